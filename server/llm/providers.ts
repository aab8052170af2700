/**
 * Chat models by id (`provider:model`) through LangChain.js: ChatOpenAI (OpenAI or any
 * OpenAI-compatible server), ChatAnthropic and ChatOllama. Credentials and base URLs come
 * from Config (server/config.ts), never from a flow.
 *
 * Every client:
 * - uses the keep-alive fast fetch (server/llm/fast-fetch.ts) — the hot path;
 * - has SDK and LangChain retries off (`maxRetries: 0`): the scheduler retries;
 * - asks for provider-reported usage (`streamUsage`), so LangChain never falls back to
 *   its online tiktoken download (see server/llm/tokens.ts for the offline fallback).
 *
 * OpenAI and Anthropic clients are cached per (model, provider settings, call settings);
 * Ollama clients are not (see below).
 */
import { ChatOpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatOllama } from '@langchain/ollama';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { applyThirdPartyTracing, type Config } from '../config';
import { NodeError } from '../runtime/types';
import { fastFetch, type FetchFn } from './fast-fetch';

export type ProviderId = 'openai' | 'anthropic' | 'ollama';
export const PROVIDERS: readonly ProviderId[] = ['openai', 'anthropic', 'ollama'];

/** Ollama's address when OLLAMA_BASE_URL is not set (a local install). */
export const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434';
/** Sent as the API key to an OpenAI-compatible server when only OPENAI_BASE_URL is set. */
export const PLACEHOLDER_API_KEY = 'braid-no-key';

export interface ChatModelSettings {
  temperature?: number;
  maxTokens?: number;
  /** Per-request timeout inside the SDK (ms); the node's signal is the main deadline. */
  timeoutMs?: number;
  /** Replace the fetch (tests, benchmarks). */
  fetch?: FetchFn;
}

export interface ParsedModelId {
  provider: ProviderId;
  model: string;
}

export function parseModelId(modelId: string): ParsedModelId {
  const i = modelId.indexOf(':');
  const provider = i > 0 ? modelId.slice(0, i) : '';
  const model = i > 0 ? modelId.slice(i + 1) : '';
  if (!(PROVIDERS as readonly string[]).includes(provider) || !model) {
    throw new NodeError(
      'invalid_model',
      `model "${modelId}" must be provider:model with provider ${PROVIDERS.join(', ')} (e.g. openai:gpt-4o-mini)`,
      {
        path: 'config.model',
      },
    );
  }
  return { provider: provider as ProviderId, model };
}

/**
 * OpenAI reasoning models (o1, o3, o4-mini, gpt-5 except gpt-5-chat) accept only the
 * default temperature and no `stop`: Braid leaves those settings out for them.
 */
export function isOpenAIReasoningModel(modelId: string): boolean {
  const { provider, model } = parseModelId(modelId);
  return (
    provider === 'openai' && (/^o\d/.test(model) || (model.startsWith('gpt-5') && !model.startsWith('gpt-5-chat')))
  );
}

/** What to tell a user when a provider has no credentials. */
export function notConfiguredMessage(provider: ProviderId): string {
  switch (provider) {
    case 'openai':
      return 'OpenAI is not configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server such as vLLM, LM Studio or llama.cpp)';
    case 'anthropic':
      return 'Anthropic is not configured: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy)';
    case 'ollama':
      return `Ollama is not configured: set OLLAMA_BASE_URL (default ${DEFAULT_OLLAMA_BASE_URL})`;
  }
}

/** Whether a provider can be called with this config. */
export function isProviderConfigured(provider: ProviderId, config: Pick<Config, 'providers'>): boolean {
  const p = config.providers;
  if (provider === 'openai') return Boolean(p.openai.apiKey || p.openai.baseUrl);
  if (provider === 'anthropic') return Boolean(p.anthropic.apiKey);
  return true; // ollama defaults to a local install
}

/** Base URL the provider is reached at (for messages; no secrets). */
export function providerBaseUrl(provider: ProviderId, config: Pick<Config, 'providers'>): string | undefined {
  if (provider === 'openai') return config.providers.openai.baseUrl ?? 'https://api.openai.com/v1';
  if (provider === 'anthropic') return config.providers.anthropic.baseUrl ?? 'https://api.anthropic.com';
  return config.providers.ollama.baseUrl ?? DEFAULT_OLLAMA_BASE_URL;
}

/** The env var that sets a provider's base URL. */
export function baseUrlEnv(provider: ProviderId): string {
  return provider === 'openai'
    ? 'OPENAI_BASE_URL'
    : provider === 'anthropic'
      ? 'ANTHROPIC_BASE_URL'
      : 'OLLAMA_BASE_URL';
}

/** API keys of a config, to scrub from error messages. */
export function providerSecrets(config: Pick<Config, 'providers'>): string[] {
  return [config.providers.openai.apiKey, config.providers.anthropic.apiKey].filter((s): s is string => Boolean(s));
}

const MAX_CACHED = 256;
const cache = new Map<string, BaseChatModel>();
/**
 * Configs whose third-party tracing variables were already turned off: reading the
 * environment four times on every model call cost more than the rest of the cache lookup.
 */
const tracingApplied = new WeakSet<object>();
const fetchIds = new WeakMap<FetchFn, number>();
let nextFetchId = 1;

function fetchId(f: FetchFn | undefined): number {
  if (!f) return 0;
  let id = fetchIds.get(f);
  if (id === undefined) {
    id = nextFetchId++;
    fetchIds.set(f, id);
  }
  return id;
}

/**
 * A LangChain chat model for `provider:model`. Throws NodeError `provider_not_configured`
 * (naming the env vars to set) or `invalid_model`.
 */
export function createChatModel(modelId: string, config: Config, settings: ChatModelSettings = {}): BaseChatModel {
  // LangChain would trace to LangSmith on its own when LANGSMITH_TRACING is set: off unless
  // asked (once per config: the environment does not change under a running process).
  if (!tracingApplied.has(config)) {
    applyThirdPartyTracing(config);
    tracingApplied.add(config);
  }
  const { provider, model } = parseModelId(modelId);
  if (!isProviderConfigured(provider, config)) {
    throw new NodeError('provider_not_configured', notConfiguredMessage(provider), { path: 'config.model' });
  }
  const p = config.providers;
  const creds =
    provider === 'openai'
      ? [p.openai.apiKey ?? '', p.openai.baseUrl ?? '']
      : provider === 'anthropic'
        ? [p.anthropic.apiKey ?? '', p.anthropic.baseUrl ?? '']
        : [p.ollama.baseUrl ?? ''];
  // NUL-separated (no model id, key or URL contains one): cheaper than JSON.stringify per call.
  const key = `${modelId}\u0000${creds.join('\u0000')}\u0000${settings.temperature}\u0000${settings.maxTokens}\u0000${settings.timeoutMs}\u0000${fetchId(settings.fetch)}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // refresh LRU position
    cache.set(key, hit);
    return hit;
  }
  const f = settings.fetch ?? fastFetch;
  let chat: BaseChatModel;
  if (provider === 'openai') {
    chat = new ChatOpenAI({
      model,
      apiKey: p.openai.apiKey ?? PLACEHOLDER_API_KEY,
      temperature: isOpenAIReasoningModel(modelId) ? undefined : settings.temperature,
      maxTokens: settings.maxTokens,
      maxRetries: 0,
      streamUsage: true,
      timeout: settings.timeoutMs,
      configuration: { baseURL: p.openai.baseUrl, fetch: f, maxRetries: 0 },
    });
  } else if (provider === 'anthropic') {
    chat = new ChatAnthropic({
      model,
      apiKey: p.anthropic.apiKey,
      anthropicApiUrl: p.anthropic.baseUrl,
      temperature: settings.temperature,
      ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
      maxRetries: 0,
      streamUsage: true,
      clientOptions: { fetch: f, maxRetries: 0, ...(settings.timeoutMs ? { timeout: settings.timeoutMs } : {}) },
    });
  } else {
    chat = new ChatOllama({
      model,
      baseUrl: p.ollama.baseUrl ?? DEFAULT_OLLAMA_BASE_URL,
      temperature: settings.temperature,
      numPredict: settings.maxTokens,
      maxRetries: 0,
      fetch: f,
    });
  }
  // ChatOllama cancels through its client's abort(), which stops every request of that
  // client: each Ollama call gets its own client so one run's cancel cannot hit another.
  if (provider === 'ollama') return chat;
  cache.set(key, chat);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  return chat;
}

/** Drop cached clients (tests; config reload). */
export function clearChatModelCache(): void {
  cache.clear();
}
