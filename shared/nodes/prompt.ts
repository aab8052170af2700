import { z } from 'zod';
import { defineNodeType } from './define';
import { templatesVariables, SAFE_VARIABLE, SAFE_VARIABLE_MESSAGE } from '../template';
import type { PortSpec } from '../ports';

/** `maxTokens` of a prompt node that sets none: every model call is bounded. */
export const DEFAULT_MAX_TOKENS = 4096;

export const MODEL_ID = /^(openai|anthropic|ollama):[A-Za-z0-9._:/-]+$/;

export const promptMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }).strict(),
  z.object({ role: z.literal('user'), content: z.string() }).strict(),
  z.object({ role: z.literal('assistant'), content: z.string() }).strict(),
  /** Inserts a whole conversation (a `messages` input port) at this point. */
  z
    .object({
      role: z.literal('history'),
      variable: z.string().regex(SAFE_VARIABLE, SAFE_VARIABLE_MESSAGE),
    })
    .strict(),
]);
export type PromptMessage = z.output<typeof promptMessageSchema>;

export const promptConfig = z
  .object({
    model: z
      .string()
      .regex(MODEL_ID, 'must be provider:model with provider openai, anthropic or ollama')
      .meta({ widget: 'model' })
      .default('openai:gpt-4o-mini'),
    temperature: z.number().min(0).max(2).default(0),
    /** The most tokens the reply may have (sent as `max_tokens`; a deployment's cap can lower it). */
    maxTokens: z.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_TOKENS),
    /** A reply cut at `maxTokens` (finish reason `length`): `warn` marks the span, `fail` fails the node. */
    onTruncated: z.enum(['warn', 'fail']).default('warn'),
    stop: z.array(z.string()).max(8).optional(),
    messages: z
      .array(promptMessageSchema)
      .min(1)
      .default([{ role: 'user', content: '{{question}}' }]),
    /** `text`: the reply as a string; `json`: the reply parsed as JSON (and checked against `jsonSchema`). */
    output: z.enum(['text', 'json']).default('text'),
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    /** Stream tokens into the run's event stream. */
    stream: z.boolean().default(true),
  })
  .strict();
export type PromptConfig = z.output<typeof promptConfig>;

/** The input ports of a prompt: the variables of its templates, then its history slots. */
export function promptInputs(config: PromptConfig): PortSpec[] {
  const templates: string[] = [];
  const history: string[] = [];
  for (const m of config.messages) {
    if (m.role === 'history') history.push(m.variable);
    else templates.push(m.content);
  }
  let vars: ReturnType<typeof templatesVariables> = [];
  try {
    vars = templatesVariables(templates);
  } catch {
    vars = []; // a syntax error is reported by validation
  }
  const ports: PortSpec[] = vars
    .filter((v) => SAFE_VARIABLE.test(v.name) && !history.includes(v.name))
    .map((v) => ({ name: v.name, type: v.usage === 'section' ? 'any' : 'string', required: true }));
  for (const h of new Set(history)) ports.push({ name: h, type: 'messages', required: false });
  return ports;
}

export const promptNode = defineNodeType({
  type: 'prompt',
  title: 'Prompt',
  category: 'Models',
  icon: 'message-square',
  docs: 'Chat messages with mustache templates sent to an LLM (`openai:…`, `anthropic:…` or `ollama:…`). Every `{{variable}}` in the messages becomes an input port; `{{#documents}}…{{/documents}}` loops over a list. A `history` message inserts a whole conversation from a `messages` port. Output `text` is the reply; with `output: "json"` the reply is parsed (and checked against `jsonSchema` when given) into `json`. Every call sends `maxTokens` (default 4096; a deployment\'s `maxTokens` cap lowers it); a reply cut there is a warning on the span (`meta.truncated`), or a failure with `onTruncated: "fail"`. Token usage and cost are recorded in the trace.',
  config: promptConfig,
  inputs: (config) => promptInputs(config),
  outputs: (config) => {
    const out: PortSpec[] = [{ name: 'text', type: 'string' }];
    if (config.output === 'json') out.push({ name: 'json', type: 'json' });
    return out;
  },
  editors: { 'messages.content': 'mustache', jsonSchema: 'json' },
  preview: (config) =>
    config.messages.map((m) => (m.role === 'history' ? `[${m.variable}]` : m.content.trim())).join('\n'),
  example: {
    model: 'openai:gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: '{{question}}' },
    ],
  },
});
