/**
 * Builds the RunServices the runtime hands to executors. One place, so the server, the
 * CLI, evaluation and deployments run flows with the same outer world.
 * Domains that add a service (e.g. knowledge search) add it here.
 */
import type { Config } from './config';
import type { RunServices } from './runtime/types';
import type { Storage } from './storage/index';
import { knowledgeSearchFor } from './knowledge/index';

export interface ServiceDeps {
  config: Config;
  /** The open storage (domains that need it for their service, e.g. knowledge bases). */
  storage?: Storage;
}

export function buildRunServices(deps: ServiceDeps): RunServices {
  return { config: deps.config, ...(deps.storage ? { knowledge: knowledgeSearchFor(deps.config, deps.storage) } : {}) };
}

/** Which model providers are configured (names only; never keys). */
export interface ProviderStatus {
  name: 'openai' | 'anthropic' | 'ollama';
  configured: boolean;
  /** Environment variables that configure it. */
  env: string[];
}

export function providerStatus(config: Config): ProviderStatus[] {
  return [
    {
      name: 'openai',
      configured: Boolean(config.providers.openai.apiKey || config.providers.openai.baseUrl),
      env: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    },
    {
      name: 'anthropic',
      configured: Boolean(config.providers.anthropic.apiKey),
      env: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'],
    },
    { name: 'ollama', configured: Boolean(config.providers.ollama.baseUrl), env: ['OLLAMA_BASE_URL'] },
  ];
}
