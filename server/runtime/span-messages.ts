/**
 * The messages a model node sent, as a span records them: bounded like the rest of the
 * trace. Each message's text (and a tool call's arguments as JSON) is cut at
 * `MAX_SPAN_MESSAGE_CHARS`; beyond `MAX_SPAN_MESSAGES_CHARS` for the whole list, the first
 * message (usually the system prompt) and the newest ones are kept and the older ones in
 * between are left out and counted. Secrets are redacted where every trace is (before it
 * leaves the process or is stored).
 */
import { capText, MAX_SPAN_MESSAGE_CHARS, MAX_SPAN_MESSAGES_CHARS } from '../../shared/limits';
import type { SpanMessage } from '../../shared/runtime/events';

function boundOne(m: SpanMessage): SpanMessage {
  const out: SpanMessage = { role: m.role, content: capText(m.content, MAX_SPAN_MESSAGE_CHARS) };
  if (m.name !== undefined) out.name = m.name;
  if (m.toolCallId !== undefined) out.toolCallId = m.toolCallId;
  if (m.toolCalls?.length) {
    out.toolCalls = m.toolCalls.map((c) => {
      const json = JSON.stringify(c.arguments ?? {}) ?? '{}';
      return {
        ...(c.id !== undefined ? { id: c.id } : {}),
        name: c.name,
        arguments: json.length > MAX_SPAN_MESSAGE_CHARS ? capText(json, MAX_SPAN_MESSAGE_CHARS) : c.arguments,
      };
    });
  }
  return out;
}

function size(m: SpanMessage): number {
  let n = m.content.length;
  for (const c of m.toolCalls ?? []) n += c.name.length + (typeof c.arguments === 'string' ? c.arguments.length : 64);
  return n;
}

/** The messages to store on a span, and how many were left out. */
export function boundMessages(list: readonly SpanMessage[]): { messages: SpanMessage[]; omitted: number } {
  const bounded = list.map(boundOne);
  let total = 0;
  for (const m of bounded) total += size(m);
  if (total <= MAX_SPAN_MESSAGES_CHARS || bounded.length <= 1) return { messages: bounded, omitted: 0 };
  const first = bounded[0]!;
  let budget = MAX_SPAN_MESSAGES_CHARS - size(first);
  let start = bounded.length;
  while (start > 1 && size(bounded[start - 1]!) <= budget) {
    budget -= size(bounded[start - 1]!);
    start--;
  }
  // The newest message is kept even when it alone exceeds the budget (it is capped already).
  if (start === bounded.length) start--;
  return { messages: [first, ...bounded.slice(start)], omitted: start - 1 };
}
