/**
 * Offline token counting. Braid prefers the usage a provider reports (OpenAI
 * `stream_options.include_usage`, Anthropic and Ollama usage fields); this is the fallback
 * when a server reports none. It uses the rank files bundled in js-tiktoken — never
 * LangChain's `getNumTokens`, which downloads ranks from the internet at run time.
 *
 * Ranks load lazily (the first count per encoding costs ~0.3 s to build the encoder).
 */
import type { Tiktoken } from 'js-tiktoken/lite';
import type { TokenUsage } from '../../shared';

export type EncodingName = 'o200k_base' | 'cl100k_base';

const encoders = new Map<EncodingName, Promise<Tiktoken>>();
/** Encoders already built, for counting without waiting (estimateUsageNow). */
const ready = new Map<EncodingName, Tiktoken>();

/** The encoding a model uses; non-OpenAI models are estimated with cl100k_base. */
export function encodingForModel(modelId: string): EncodingName {
  const model = modelId.includes(':') ? modelId.slice(modelId.indexOf(':') + 1) : modelId;
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss)/.test(model)) return 'o200k_base';
  return 'cl100k_base';
}

export function getEncoder(name: EncodingName): Promise<Tiktoken> {
  let p = encoders.get(name);
  if (!p) {
    p = (async () => {
      const { Tiktoken: Ctor } = await import('js-tiktoken/lite');
      const ranks =
        name === 'o200k_base'
          ? (await import('js-tiktoken/ranks/o200k_base')).default
          : (await import('js-tiktoken/ranks/cl100k_base')).default;
      return new Ctor(ranks);
    })();
    p.then(
      (enc) => ready.set(name, enc),
      () => encoders.delete(name),
    );
    encoders.set(name, p);
  }
  return p;
}

/** Texts up to this many characters are counted exactly; longer ones from samples of this total size. */
export const EXACT_COUNT_CHARS = 32 * 1024;
/** Characters encoded between two yields to the event loop (js-tiktoken costs ~10–40 µs per token). */
const SLICE_CHARS = 4 * 1024;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Encode `text` from `from` to `to` slice by slice (cut after whitespace where there is some), yielding between slices. */
async function countRange(enc: Tiktoken, text: string, from: number, to: number): Promise<number> {
  let n = 0;
  for (let at = from; at < to;) {
    let end = Math.min(to, at + SLICE_CHARS);
    if (end < to) {
      const space = text.lastIndexOf(' ', end);
      if (space > at + SLICE_CHARS / 2) end = space + 1;
    }
    n += enc.encode(text.slice(at, end)).length;
    at = end;
    if (at < to) await yieldToLoop();
  }
  return n;
}

/**
 * Tokens in a text, never blocking the event loop for long: a very large text (a huge
 * model reply) is estimated from evenly spaced samples instead of encoded whole (1 MB of
 * mixed Japanese and English costs seconds of CPU to encode). Exact up to EXACT_COUNT_CHARS.
 */
async function countText(enc: Tiktoken, text: string): Promise<number> {
  if (text.length <= SLICE_CHARS) return enc.encode(text).length;
  if (text.length <= EXACT_COUNT_CHARS) return countRange(enc, text, 0, text.length);
  const samples = EXACT_COUNT_CHARS / SLICE_CHARS;
  const stride = Math.floor(text.length / samples);
  let tokens = 0;
  let chars = 0;
  for (let i = 0; i < samples; i++) {
    const from = i * stride;
    const to = Math.min(text.length, from + SLICE_CHARS);
    tokens += await countRange(enc, text, from, to);
    chars += to - from;
    await yieldToLoop();
  }
  return Math.round((tokens * text.length) / chars);
}

/** Tokens in a text for a model (`provider:model` or a bare model name); large texts are estimated (see countText). */
export async function countTokens(text: string, modelId: string): Promise<number> {
  if (!text) return 0;
  const enc = await getEncoder(encodingForModel(modelId));
  return countText(enc, text);
}

/**
 * Prompt tokens of a chat request, counted the way OpenAI documents for chat models:
 * 3 tokens of framing per message, 1 for a name, 3 priming the reply.
 */
export async function countChatTokens(
  messages: Array<{ role: string; content: string; name?: string }>,
  modelId: string,
): Promise<number> {
  const enc = await getEncoder(encodingForModel(modelId));
  let n = 3;
  for (const m of messages) n += 3 + (await countText(enc, m.content)) + (m.name ? 1 + enc.encode(m.name).length : 0);
  return n;
}

/** Usage estimated offline for a call whose provider reported none. */
export async function estimateUsage(
  messages: Array<{ role: string; content: string }>,
  reply: string,
  modelId: string,
): Promise<TokenUsage> {
  const promptTokens = await countChatTokens(messages, modelId);
  const completionTokens = await countTokens(reply, modelId);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/**
 * Usage estimated at once, without awaiting (an abort listener must record it before the
 * run's trace is written): with the model's encoder when it is already built, else about
 * four characters a token (building an encoder takes the event loop for a while).
 */
export function estimateUsageNow(
  messages: Array<{ role: string; content: string }>,
  reply: string,
  modelId: string,
): TokenUsage {
  const name = encodingForModel(modelId);
  const enc = ready.get(name);
  const count = (t: string): number => (!t ? 0 : enc ? enc.encode(t).length : Math.ceil(t.length / 4));
  let promptTokens = 3;
  for (const m of messages) promptTokens += 3 + count(m.content);
  const completionTokens = count(reply);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
