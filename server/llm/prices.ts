/**
 * The one price table: USD per 1M tokens (input, output) for common hosted models.
 * Prices are the providers' public list prices (standard tier, no batch or cache
 * discounts) as of late 2025; update this file when they change.
 *
 * `costOf` returns null for a model not in the table (unknown price is not free), and 0
 * for `ollama:` models, which run on your own machine.
 */
import type { TokenUsage } from '../../shared';

export interface ModelPrice {
  /** USD per 1M input (prompt) tokens. */
  input: number;
  /** USD per 1M output (completion) tokens. */
  output: number;
}

export const PRICES: Readonly<Record<string, Readonly<Record<string, ModelPrice>>>> = {
  openai: {
    'gpt-5': { input: 1.25, output: 10 },
    'gpt-5-mini': { input: 0.25, output: 2 },
    'gpt-5-nano': { input: 0.05, output: 0.4 },
    'gpt-4.1': { input: 2, output: 8 },
    'gpt-4.1-mini': { input: 0.4, output: 1.6 },
    'gpt-4.1-nano': { input: 0.1, output: 0.4 },
    'gpt-4o': { input: 2.5, output: 10 },
    'gpt-4o-2024-05-13': { input: 5, output: 15 },
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
    'chatgpt-4o-latest': { input: 5, output: 15 },
    'gpt-4-turbo': { input: 10, output: 30 },
    'gpt-4': { input: 30, output: 60 },
    'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
    o1: { input: 15, output: 60 },
    'o1-mini': { input: 1.1, output: 4.4 },
    o3: { input: 2, output: 8 },
    'o3-mini': { input: 1.1, output: 4.4 },
    'o4-mini': { input: 1.1, output: 4.4 },
    'text-embedding-3-small': { input: 0.02, output: 0 },
    'text-embedding-3-large': { input: 0.13, output: 0 },
    'text-embedding-ada-002': { input: 0.1, output: 0 },
  },
  anthropic: {
    'claude-opus-4-5': { input: 5, output: 25 },
    'claude-opus-4-1': { input: 15, output: 75 },
    'claude-opus-4': { input: 15, output: 75 },
    'claude-sonnet-4-5': { input: 3, output: 15 },
    'claude-sonnet-4': { input: 3, output: 15 },
    'claude-haiku-4-5': { input: 1, output: 5 },
    'claude-3-7-sonnet': { input: 3, output: 15 },
    'claude-3-5-sonnet': { input: 3, output: 15 },
    'claude-3-5-haiku': { input: 0.8, output: 4 },
    'claude-3-opus': { input: 15, output: 75 },
    'claude-3-haiku': { input: 0.25, output: 1.25 },
  },
};

/**
 * The price entry of a model id (`provider:model`), ignoring dated snapshots
 * (`gpt-4o-mini-2024-07-18`, `claude-3-5-sonnet-20241022`) and `-latest` aliases.
 */
export function priceOf(modelId: string): ModelPrice | null {
  const i = modelId.indexOf(':');
  if (i < 0) return null;
  const table = PRICES[modelId.slice(0, i)];
  if (!table) return null;
  const model = modelId.slice(i + 1).toLowerCase();
  const exact = table[model];
  if (exact) return exact;
  const base = model.replace(/-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/, '');
  return table[base] ?? null;
}

/** USD cost of one call; null when the price is unknown; 0 for local Ollama models. */
export function costOf(modelId: string, usage: Pick<TokenUsage, 'promptTokens' | 'completionTokens'>): number | null {
  if (modelId.startsWith('ollama:')) return 0;
  const price = priceOf(modelId);
  if (!price) return null;
  const cost = (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
  return Math.round(cost * 1e10) / 1e10;
}
