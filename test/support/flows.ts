/**
 * The smallest real flow, shared by tests that need "a flow" rather than a particular
 * graph: inputs → one prompt node (`answer`) → outputs, as in the README. Every flow input
 * is wired to the prompt's port of the same name; the prompt's `text` goes to the `answer`
 * output. A fresh object each call, so a test may mutate it.
 */
import type { Flow, FlowIO } from '../../shared/flow/schema';

export interface PromptFlowOptions {
  id?: string;
  name?: string;
  /** Default: one required string input, `question`. */
  inputs?: FlowIO[];
  /** The prompt's messages. Default: a system message and `{{question}}` as the user message. */
  messages?: Array<Record<string, unknown>>;
  /** Shorthand for the default messages with this system text. */
  system?: string;
  /** Set on the prompt's config when given (absent otherwise). */
  temperature?: number;
  model?: string;
}

export function promptFlow(opts: PromptFlowOptions = {}): Flow {
  const inputs: FlowIO[] = opts.inputs ?? [{ name: 'question', type: 'string', required: true }];
  const messages = opts.messages ?? [
    { role: 'system', content: opts.system ?? 'Answer briefly.' },
    { role: 'user', content: '{{question}}' },
  ];
  return {
    schemaVersion: 1,
    id: opts.id ?? 'support-answer',
    name: opts.name ?? 'Support answer',
    inputs: inputs.map((i) => ({ ...i })),
    outputs: [{ name: 'answer', type: 'string' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      {
        id: 'answer',
        type: 'prompt',
        position: { x: 300, y: 0 },
        config: {
          model: opts.model ?? 'openai:gpt-4o-mini',
          ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
          messages: messages.map((m) => ({ ...m })),
        },
      },
      { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
    ],
    edges: [
      ...inputs.map((i) => ({ source: 'inputs', sourcePort: i.name, target: 'answer', targetPort: i.name })),
      { source: 'answer', sourcePort: 'text', target: 'outputs', targetPort: 'answer' },
    ],
  };
}
