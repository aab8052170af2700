/**
 * Span attributes of runs and nodes: Braid's own (`braid.*`), the OpenTelemetry GenAI
 * semantic conventions on model, retrieval and tool nodes (`gen_ai.*`), and the
 * OpenInference names Phoenix and Langfuse read (`input.value`, `output.value`,
 * `openinference.span.kind`, `llm.*`). Every string that comes from a run is redacted.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_WORKFLOW_NAME,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
  GEN_AI_OPERATION_NAME_VALUE_RETRIEVAL,
} from '@opentelemetry/semantic-conventions/incubating';
import type { RunParent, Span, SpanMessage, Trace } from '../../shared';
import { boundedJson, boundedText } from './content';

/** Longest error message or skip reason sent (characters). */
export const MAX_MESSAGE_CHARS = 1024;

export interface ContentOptions {
  /** Characters of inputs/outputs per attribute (0: none). */
  maxContentChars: number;
  secrets: string[];
}

/** Attributes of a run span when it starts. */
export function runStartAttributes(ev: { runId: string; flowId: string; parent?: RunParent }): Attributes {
  const a: Attributes = {
    'braid.run.id': ev.runId,
    'braid.flow.id': ev.flowId,
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
    [ATTR_GEN_AI_WORKFLOW_NAME]: ev.flowId,
    'openinference.span.kind': 'CHAIN',
  };
  if (ev.parent) {
    a['braid.parent.run_id'] = ev.parent.runId;
    a['braid.parent.node_id'] = ev.parent.nodeId;
    a['braid.root_run.id'] = ev.parent.rootRunId;
    a['braid.depth'] = ev.parent.depth;
    if (ev.parent.iteration !== undefined) a['braid.iteration'] = ev.parent.iteration;
  }
  return a;
}

/** The run's inputs as span attributes (set once the span is known to be recorded). */
export function runInputAttributes(inputs: Record<string, unknown>, opts: ContentOptions): Attributes {
  const a: Attributes = {};
  content(a, 'input', inputs, opts);
  return a;
}

/** Attributes of a run span when it ends. */
export function runEndAttributes(trace: Trace, opts: ContentOptions): Attributes {
  const a: Attributes = {
    'braid.run.status': trace.status,
    'braid.usage.input_tokens': trace.usage.promptTokens,
    'braid.usage.output_tokens': trace.usage.completionTokens,
  };
  if (typeof trace.usage.cost === 'number') a['braid.cost_usd'] = trace.usage.cost;
  if (trace.error) {
    a['braid.error.code'] = trace.error.code;
    a['error.type'] = trace.error.code;
    if (trace.error.nodeId) a['braid.error.node_id'] = trace.error.nodeId;
  }
  content(a, 'output', trace.outputs, opts);
  return a;
}

/** The OpenInference span kind of a node type (how Phoenix draws it). */
export function nodeKind(nodeType: string): string {
  switch (nodeType) {
    case 'prompt':
      return 'LLM';
    case 'retrieval':
      return 'RETRIEVER';
    case 'tool':
      return 'TOOL';
    case 'validator':
      return 'GUARDRAIL';
    case 'agent':
      return 'AGENT';
    default:
      return 'CHAIN';
  }
}

/** Attributes of a node span when it starts (before its outcome is known). */
export function nodeStartAttributes(nodeId: string, nodeType: string): Attributes {
  const a: Attributes = {
    'braid.node.id': nodeId,
    'braid.node.type': nodeType,
    'openinference.span.kind': nodeKind(nodeType),
  };
  if (nodeType === 'retrieval') a[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_RETRIEVAL;
  if (nodeType === 'tool') {
    a[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
    a[ATTR_GEN_AI_TOOL_NAME] = nodeId;
  }
  return a;
}

/** Attributes of a finished, failed or skipped node, from its span. */
export function nodeEndAttributes(span: Span, opts: ContentOptions): Attributes {
  const a: Attributes = {
    'braid.node.status': span.status,
    'braid.node.attempts': span.attempts,
  };
  if (span.model) Object.assign(a, modelAttributes(span));
  if (typeof span.cost === 'number') a['braid.cost_usd'] = span.cost;
  if (span.error) {
    a['braid.error.code'] = span.error.code;
    a['error.type'] = span.error.code;
    if (span.error.path) a['braid.error.path'] = boundedText(span.error.path, MAX_MESSAGE_CHARS, opts.secrets);
  }
  if (span.skipReason) a['braid.skip_reason'] = boundedText(span.skipReason, MAX_MESSAGE_CHARS, opts.secrets);
  content(a, 'input', span.inputs, opts);
  content(a, 'output', span.outputs, opts);
  const meta = boundedJson(span.meta, opts.maxContentChars, opts.secrets);
  if (meta !== undefined) a['braid.node.meta'] = meta;
  if (span.messages?.length) {
    const sent = boundedJson(genAiMessages(span.messages), opts.maxContentChars, opts.secrets);
    if (sent !== undefined) a['gen_ai.input.messages'] = sent;
  }
  return a;
}

/** `provider:model` as the GenAI provider name and model (a bare model has no provider). */
export function splitModel(model: string): { provider?: string; model: string } {
  const at = model.indexOf(':');
  return at > 0 ? { provider: model.slice(0, at), model: model.slice(at + 1) } : { model };
}

/** GenAI semantic-convention attributes of a node that called a model. */
function modelAttributes(span: Span): Attributes {
  const { provider, model } = splitModel(span.model!);
  const a: Attributes = {
    [ATTR_GEN_AI_REQUEST_MODEL]: model,
    'llm.model_name': model,
  };
  if (span.nodeType === 'prompt') a[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_CHAT;
  if (provider) {
    a[ATTR_GEN_AI_PROVIDER_NAME] = provider;
    // Deprecated name of the same thing, still the one several backends read.
    a[ATTR_GEN_AI_SYSTEM] = provider;
    a['llm.provider'] = provider;
  }
  if (span.tokens) {
    a[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = span.tokens.promptTokens;
    a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = span.tokens.completionTokens;
    a['llm.token_count.prompt'] = span.tokens.promptTokens;
    a['llm.token_count.completion'] = span.tokens.completionTokens;
    a['llm.token_count.total'] = span.tokens.totalTokens;
  }
  const meta = span.meta ?? {};
  if (typeof meta.responseModel === 'string') a[ATTR_GEN_AI_RESPONSE_MODEL] = meta.responseModel;
  if (typeof meta.finishReason === 'string') a[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [meta.finishReason];
  if (meta.usageEstimated === true) a['braid.usage.estimated'] = true;
  return a;
}

/** The messages a model call sent, in the OpenTelemetry GenAI shape (`role` + `parts`). */
function genAiMessages(messages: SpanMessage[]): unknown[] {
  return messages.map((m) => {
    const parts: unknown[] = [];
    if (m.role === 'tool') parts.push({ type: 'tool_call_response', id: m.toolCallId, response: m.content });
    else if (m.content) parts.push({ type: 'text', content: m.content });
    for (const c of m.toolCalls ?? [])
      parts.push({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments });
    return { role: m.role, parts };
  });
}

function content(a: Attributes, key: 'input' | 'output', value: unknown, opts: ContentOptions): void {
  const text = boundedJson(value, opts.maxContentChars, opts.secrets);
  if (text === undefined) return;
  a[`${key}.value`] = text;
  a[`${key}.mime_type`] = 'application/json';
}
