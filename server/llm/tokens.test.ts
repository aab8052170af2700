import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, it, expect } from 'vitest';
import { countTokens, countChatTokens, encodingForModel, estimateUsage, getEncoder } from './tokens';

function mixedText(chars: number): string {
  const words = ['Braid', 'は', 'フローを', 'streams', 'the', '答え', 'quickly.', '速い', '日本語のテキスト', 'token'];
  let text = '';
  for (let i = 0; text.length < chars; i++) text += `${words[(i * 7) % words.length]} `;
  return text;
}

// Runs under test/setup/no-network.ts: any attempt to download rank files fails the file.
describe('offline token counting', () => {
  it('picks the encoding by model', () => {
    expect(encodingForModel('openai:gpt-4o-mini')).toBe('o200k_base');
    expect(encodingForModel('openai:o3-mini')).toBe('o200k_base');
    expect(encodingForModel('openai:gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodingForModel('anthropic:claude-3-5-haiku-latest')).toBe('cl100k_base');
  });

  it('counts with the bundled ranks', async () => {
    expect(await countTokens('Hello world', 'openai:gpt-4o')).toBe(2);
    expect(await countTokens('Hello world', 'openai:gpt-4')).toBe(2);
    expect(await countTokens('', 'openai:gpt-4o')).toBe(0);
    // o200k and cl100k differ on this text
    const a = await countTokens('Braid ist ein visueller Fluss-Editor für Sprachmodelle.', 'openai:gpt-4o');
    const b = await countTokens('Braid ist ein visueller Fluss-Editor für Sprachmodelle.', 'openai:gpt-4');
    expect(a).toBeGreaterThan(5);
    expect(b).toBeGreaterThan(a);
  });

  it('counts chat framing like OpenAI documents', async () => {
    const n = await countChatTokens([{ role: 'user', content: 'Hello world' }], 'openai:gpt-4o');
    expect(n).toBe(3 + 3 + 2);
    const u = await estimateUsage([{ role: 'user', content: 'Hello world' }], 'Hi there', 'openai:gpt-4o');
    expect(u).toEqual({ promptTokens: 8, completionTokens: 2, totalTokens: 10 });
  });

  it('estimates a huge reply without blocking the event loop for long', async () => {
    const enc = await getEncoder('o200k_base');
    const mid = mixedText(48 * 1024);
    const exact = enc.encode(mid).length;
    const estimated = await countTokens(mid, 'openai:gpt-4o');
    expect(Math.abs(estimated - exact) / exact).toBeLessThan(0.03);

    const huge = mixedText(512 * 1024);
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    await new Promise((resolve) => setTimeout(resolve, 30)); // the monitor's first tick is only a baseline
    const n = await countTokens(huge, 'openai:gpt-4o');
    await new Promise((resolve) => setTimeout(resolve, 30)); // let the monitor see a late tick
    h.disable();
    expect(Math.abs(n - (exact * huge.length) / mid.length) / n).toBeLessThan(0.05);
    // Encoding 512 KiB whole blocks for seconds; sliced, the loop is never held for long.
    expect(h.max / 1e6).toBeLessThan(750);
  });
});
