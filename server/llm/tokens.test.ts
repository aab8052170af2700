import { describe, it, expect } from 'vitest';
import { countTokens, countChatTokens, encodingForModel, estimateUsage } from './tokens';

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
});
