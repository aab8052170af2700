import { describe, it, expect } from 'vitest';
import { costOf, priceOf } from './prices';

describe('prices', () => {
  it('prices known models per 1M tokens, ignoring dated snapshots', () => {
    expect(costOf('openai:gpt-4o-mini', { promptTokens: 1_000_000, completionTokens: 1_000_000 })).toBeCloseTo(
      0.75,
      10,
    );
    expect(costOf('openai:gpt-4o-mini-2024-07-18', { promptTokens: 1000, completionTokens: 0 })).toBeCloseTo(
      0.00015,
      12,
    );
    expect(priceOf('openai:gpt-4o-2024-08-06')).toEqual({ input: 2.5, output: 10 });
    expect(priceOf('openai:gpt-4o-2024-05-13')).toEqual({ input: 5, output: 15 });
    expect(priceOf('anthropic:claude-3-5-sonnet-20241022')).toEqual({ input: 3, output: 15 });
    expect(priceOf('anthropic:claude-3-5-haiku-latest')).toEqual({ input: 0.8, output: 4 });
    expect(priceOf('anthropic:claude-sonnet-4-5-20250929')).toEqual({ input: 3, output: 15 });
  });

  it('returns null for unknown models and 0 for local Ollama', () => {
    expect(costOf('openai:my-finetune', { promptTokens: 10, completionTokens: 10 })).toBeNull();
    expect(costOf('anthropic:claude-9', { promptTokens: 10, completionTokens: 10 })).toBeNull();
    expect(costOf('ollama:llama3.2', { promptTokens: 10, completionTokens: 10 })).toBe(0);
    expect(costOf('gpt-4o', { promptTokens: 10, completionTokens: 10 })).toBeNull();
  });
});
