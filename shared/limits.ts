/**
 * Size limits shared by the runtime, storage and responses. Error messages are capped where
 * they are made (NodeError, SandboxError), so no copy of a huge one exists downstream: a
 * script that throws a 150 MB message yields a few KB in the span, the trace, the response
 * and the database.
 */

/** The longest error message kept anywhere (runtime errors, spans, traces, responses, logs). */
export const MAX_ERROR_MESSAGE_CHARS = 4_000;

/** `text` cut to at most about `max` characters, saying how much was cut (never splits a surrogate pair). */
export function capText(text: string, max: number = MAX_ERROR_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… [${text.length - end} more characters cut]`;
}

/** The longest message text kept in a span's `messages` (the rest is cut with a note). */
export const MAX_SPAN_MESSAGE_CHARS = 16_000;
/** All of a span's `messages` together: older messages are left out (counted) beyond this. */
export const MAX_SPAN_MESSAGES_CHARS = 64_000;
