/**
 * Chat requests of the deployed endpoints: the mapping of a conversation to a flow's inputs
 * and of its outputs to the reply is shared with the builder (shared/flow/chat.ts).
 * With a session, stored history stands in for the earlier turns: from the request we
 * keep its system messages and the messages after its last assistant message, so clients
 * that resend the whole conversation and clients that send only the new turn both work.
 */
import type { ChatMessage } from './conversations';
import { ChatMappingError } from '../../shared/flow/chat';

export { chatShape, chatInputs, replyText, ChatMappingError, type ChatShape } from '../../shared/flow/chat';

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
