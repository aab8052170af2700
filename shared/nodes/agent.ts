import { z } from 'zod';
import { defineNodeType } from './define';
import { MODEL_ID } from './prompt';
import { templatesVariables, SAFE_VARIABLE } from '../template';
import type { PortSpec } from '../ports';

/** Tool names as the model sees them (OpenAI's and Anthropic's rule). */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A configured MCP server's name (a key of `mcpServers` in BRAID_MCP_CONFIG). */
export const MCP_SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The optional input port that carries a prior conversation. */
export const AGENT_MESSAGES_PORT = 'messages';

export const agentFlowTool = z
  .object({
    kind: z.literal('flow'),
    /** Id of the flow to run as the tool (a child run); its inputs are the arguments, its outputs the result. */
    flow: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a flow id ([a-z0-9][a-z0-9_-]*)')
      .meta({ widget: 'flow' }),
    /** Name the model sees (default: the flow id). */
    name: z.string().regex(TOOL_NAME, 'must be 1–64 characters of A-Z a-z 0-9 _ -').optional(),
    /** What the tool does, for the model (default: the flow's name). */
    description: z.string().max(2000).optional(),
    /** A person approves each call first (and may edit its arguments); a rejection goes back to the model. */
    requireApproval: z.boolean().optional(),
  })
  .strict();

export const agentMcpTool = z
  .object({
    kind: z.literal('mcp'),
    /** A server configured by the operator (BRAID_MCP_CONFIG); a flow can only name one. */
    server: z.string().regex(MCP_SERVER_NAME, 'must be the name of a server in BRAID_MCP_CONFIG'),
    /** Only these tools of the server (default: all of them). */
    tools: z.array(z.string().min(1).max(128)).max(128).optional(),
    /** A person approves each call of these tools first (and may edit its arguments). */
    requireApproval: z.boolean().optional(),
  })
  .strict();

export const agentToolSchema = z.discriminatedUnion('kind', [agentFlowTool, agentMcpTool]);
export type AgentToolConfig = z.output<typeof agentToolSchema>;

export const agentBudget = z
  .object({
    /** Tokens (prompt + completion) over all model calls of the node. */
    maxTokens: z.number().int().min(1).optional(),
    /** USD over all model calls (models with a known price). */
    maxCostUsd: z.number().positive().optional(),
    /** Wall-clock time of the loop, ms. */
    maxDurationMs: z.number().int().min(1).optional(),
  })
  .strict();

export const agentConfig = z
  .object({
    model: z
      .string()
      .regex(MODEL_ID, 'must be provider:model with provider openai, anthropic or ollama')
      .meta({ widget: 'model' })
      .default('openai:gpt-4o-mini'),
    /** System message template. */
    instructions: z.string().default('You are a helpful assistant. Use the tools when they help.'),
    /** User message template. */
    prompt: z.string().default('{{question}}'),
    tools: z.array(agentToolSchema).max(64).default([]),
    /** Model calls that may ask for tools before the loop stops. */
    maxIterations: z.number().int().min(1).max(100).default(8),
    budget: agentBudget.default({}),
    /** At a limit: `answer` makes one last call with tools disabled; `fail` fails the node. */
    onLimit: z.enum(['answer', 'fail']).default('answer'),
    /** Let the model ask for several tools in one turn (run concurrently). */
    parallelToolCalls: z.boolean().default(true),
    temperature: z.number().min(0).max(2).default(0),
    /** Completion tokens per model call. */
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    /** One tool call's deadline, ms. */
    toolTimeoutMs: z.number().int().min(1).max(600_000).default(30_000),
    /** A tool result longer than this (characters) is cut before it goes back to the model. */
    maxToolResultChars: z.number().int().min(100).max(1_000_000).default(16_000),
    output: z.enum(['text', 'json']).default('text'),
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    /** Stream tokens and steps into the run's event stream. */
    stream: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.tools.forEach((t, i) => {
      const key = t.kind === 'flow' ? `tool:${t.name ?? t.flow}` : `mcp:${t.server}`;
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i],
          message:
            t.kind === 'flow'
              ? `tool name "${t.name ?? t.flow}" is already used by tools[${seen.get(key)}]; give one a different "name"`
              : `server "${t.server}" is already listed in tools[${seen.get(key)}]`,
        });
      else seen.set(key, i);
    });
  });
export type AgentConfig = z.output<typeof agentConfig>;

/** Input ports: the template variables of instructions and prompt, then the optional `messages`. */
export function agentInputs(config: AgentConfig): PortSpec[] {
  let vars: ReturnType<typeof templatesVariables> = [];
  try {
    vars = templatesVariables([config.instructions, config.prompt]);
  } catch {
    vars = []; // a syntax error is reported by validation
  }
  const ports: PortSpec[] = vars
    .filter((v) => SAFE_VARIABLE.test(v.name) && v.name !== AGENT_MESSAGES_PORT)
    .map((v) => ({ name: v.name, type: v.usage === 'section' ? 'any' : 'string', required: true }));
  ports.push({
    name: AGENT_MESSAGES_PORT,
    type: 'messages',
    required: false,
    description: 'prior conversation, before the prompt',
  });
  return ports;
}

export const agentNode = defineNodeType({
  type: 'agent',
  title: 'Agent',
  category: 'Models',
  icon: 'bot',
  docs: 'A model that calls tools in a bounded loop. Tools are flows (each call is a child run; the flow\'s inputs are the arguments, its outputs the result) or the tools of an MCP server the operator configured (BRAID_MCP_CONFIG). `instructions` (system) and `prompt` (user) are templates whose variables become input ports; `messages` takes a prior conversation. The loop stops at `maxIterations` or a `budget` (tokens, cost, time): with `onLimit: "answer"` one last call without tools still answers. Bad arguments, unknown tools and failing tools go back to the model as tool errors. A tool with `requireApproval: true` pauses the run before each call until a person approves it (possibly with edited arguments) or rejects it (the rejection, with the comment, goes back to the model as the tool result); the conversation so far is stored, so the run resumes after a restart without repeating a model call. Outputs `text` (or `json`) and `steps` (every tool call with its arguments, result or error and duration).',
  config: agentConfig,
  inputs: (config) => agentInputs(config),
  outputs: (config) => {
    const out: PortSpec[] = [{ name: 'text', type: 'string' }];
    if (config.output === 'json') out.push({ name: 'json', type: 'json' });
    out.push({ name: 'steps', type: 'json', description: 'tool calls: name, arguments, result or error, duration' });
    return out;
  },
  // Flow tools are part of the flow's closure: validated with it (unknown flows, cycles) and
  // snapshotted with it by deployments and evaluations.
  flowRefs: (config) =>
    config.tools.flatMap((t, i) => (t.kind === 'flow' ? [{ flow: t.flow, path: ['tools', i, 'flow'] }] : [])),
  editors: { instructions: 'mustache', prompt: 'mustache', jsonSchema: 'json' },
  example: {
    model: 'openai:gpt-4o-mini',
    instructions: 'Answer support questions. Search the knowledge base before answering.',
    prompt: '{{question}}',
    tools: [{ kind: 'flow', flow: 'kb-search', description: 'Search the help center' }],
    maxIterations: 6,
  },
});
