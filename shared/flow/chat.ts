/**
 * How a chat conversation becomes a flow's inputs, and a run's outputs the reply: one
 * mapping for the deployed OpenAI-compatible endpoint, session memory, the deploy page's
 * playground and the builder's chat panel.
 *
 * - A flow with a `messages` input H and no required string input: H receives the whole
 *   conversation.
 * - A flow with exactly one required string input Q: Q receives the last user message;
 *   if the flow also has a `messages` input H, H receives the conversation before it.
 * - Anything else is not a chat flow.
 * The reply is the first declared output that is a string (else the outputs as JSON).
 */
import type { Flow, FlowIO } from './schema';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatShape {
  /** Input receiving the conversation (type messages). */
  history?: string;
  /** Input receiving the last user message (the one required string input). */
  text?: string;
}

export function chatShape(flow: Flow): ChatShape | undefined {
  const inputs: FlowIO[] = flow.inputs ?? [];
  const history = inputs.find((i) => i.type === 'messages')?.name;
  const requiredStrings = inputs.filter(
    (i) => (i.type ?? 'string') === 'string' && i.required && i.default === undefined,
  );
  const text = requiredStrings.length === 1 ? requiredStrings[0]?.name : undefined;
  const otherRequired = inputs.filter(
    (i) => i.required && i.default === undefined && i.name !== text && i.name !== history,
  );
  if (otherRequired.length > 0) return undefined;
  if (requiredStrings.length > 1) return undefined;
  if (!history && !text) return undefined;
  return { ...(history ? { history } : {}), ...(text ? { text } : {}) };
}

export class ChatMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatMappingError';
  }
}

/** Flow inputs for a conversation. */
export function chatInputs(
  shape: ChatShape,
  conversation: ChatMessage[],
): { inputs: Record<string, unknown>; userText: string } {
  let lastUser = -1;
  conversation.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  if (lastUser < 0) throw new ChatMappingError('messages: needs at least one user message');
  const userText = (conversation[lastUser] as ChatMessage).content;
  if (shape.text) {
    const inputs: Record<string, unknown> = { [shape.text]: userText };
    if (shape.history) inputs[shape.history] = conversation.slice(0, lastUser);
    return { inputs, userText };
  }
  return { inputs: { [shape.history as string]: conversation }, userText };
}

/** The assistant's reply from a run's outputs. */
export function replyText(flow: Flow, outputs: Record<string, unknown>): string {
  for (const o of flow.outputs ?? []) {
    const v = outputs[o.name];
    if (typeof v === 'string') return v;
  }
  const values = Object.values(outputs);
  if (values.length === 1 && typeof values[0] === 'string') return values[0];
  return JSON.stringify(outputs);
}
