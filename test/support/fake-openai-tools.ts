/**
 * Tool calling on the fake OpenAI server (test/support/fake-openai.ts): the wire shapes of
 * `tool_calls` in a chat completion and the chunked deltas of a streamed one, exactly as
 * OpenAI sends them — the first delta of each call carries its index, id, type and name
 * with empty arguments; the arguments follow as string fragments under the same index.
 */
import { countTokens, type FakeToolCall } from './fake-openai-wire';

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Ids like OpenAI's (`call_…`), unique per server. */
let nextCallId = 1;

/** The scripted calls as OpenAI's `tool_calls` (arguments serialised unless given as a raw string). */
export function wireToolCalls(calls: FakeToolCall[]): WireToolCall[] {
  return calls.map((c) => ({
    id: c.id ?? `call_fake${nextCallId++}`,
    type: 'function',
    function: {
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
    },
  }));
}

/** Completion tokens the calls cost (name + arguments, o200k). */
export function toolCallTokens(calls: WireToolCall[]): number {
  return calls.reduce((n, c) => n + countTokens(c.function.name) + countTokens(c.function.arguments) + 3, 0);
}

/** Split a string in fragments of `size` code points (so a fragment never cuts a surrogate pair). */
function fragments(s: string, size: number): string[] {
  const cps = [...s];
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(''));
  return out;
}

/** The `delta` objects that stream these calls, in order (one call after the other). */
export function toolCallDeltas(calls: WireToolCall[], fragmentSize = 7): Array<Record<string, unknown>> {
  const deltas: Array<Record<string, unknown>> = [];
  calls.forEach((c, index) => {
    deltas.push({
      tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }],
    });
    for (const piece of fragments(c.function.arguments, fragmentSize))
      deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  return deltas;
}

/** The tools a request offered (names), for assertions. */
export function offeredTools(body: unknown): string[] {
  const tools = (body as { tools?: Array<{ function?: { name?: string } }> } | undefined)?.tools;
  return Array.isArray(tools) ? tools.map((t) => String(t.function?.name ?? '')) : [];
}
