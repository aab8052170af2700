/**
 * How a chat conversation becomes a flow's inputs (OpenAI-compatible endpoint, session
 * memory, playground), and how a run's outputs become the assistant's reply.
 *
 * - A flow with a `messages` input H and no required string input: H receives the whole
 *   conversation.
 * - A flow with exactly one required string input Q: Q receives the last user message;
 *   if the flow also has a `messages` input H, H receives the conversation before it.
 * - Anything else is not a chat flow.
 * With a session, stored history stands in for the earlier turns: from the request we
 * keep its system messages and the messages after its last assistant message, so clients
 * that resend the whole conversation and clients that send only the new turn both work.
 * The reply is the first declared output that is a string (else the outputs as JSON).
 */
import type { Flow, FlowIO } from '../../shared';
import type { ChatMessage } from './conversations';

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

/** Normalise OpenAI-style messages (string content or text parts) to { role, content }. */
export function normaliseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new ChatMappingError('messages: must be a non-empty array');
  return raw.map((m: unknown, i) => {
    if (!m || typeof m !== 'object') throw new ChatMappingError(`messages[${i}]: must be an object`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    const r = role === 'developer' ? 'system' : role;
    if (r !== 'system' && r !== 'user' && r !== 'assistant')
      throw new ChatMappingError(`messages[${i}].role: must be system, developer, user or assistant`);
    let text: string;
    if (typeof content === 'string') text = content;
    else if (Array.isArray(content)) {
      text = content
        .map((p: unknown) =>
          p && typeof p === 'object' && (p as { type?: unknown }).type === 'text'
            ? String((p as { text?: unknown }).text ?? '')
            : '',
        )
        .join('');
    } else if (content === null && r === 'assistant') text = '';
    else throw new ChatMappingError(`messages[${i}].content: must be a string or text parts`);
    return { role: r, content: text };
  });
}

/** The conversation the flow sees: with stored history, only the new part of the request. */
export function mergeWithHistory(request: ChatMessage[], stored: ChatMessage[] | undefined): ChatMessage[] {
  if (!stored || stored.length === 0) return request;
  const system = request.filter((m) => m.role === 'system');
  let lastAssistant = -1;
  request.forEach((m, i) => {
    if (m.role === 'assistant') lastAssistant = i;
  });
  const fresh = request.slice(lastAssistant + 1).filter((m) => m.role !== 'system');
  return [...system, ...stored.filter((m) => m.role !== 'system'), ...fresh];
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
