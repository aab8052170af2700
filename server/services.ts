/**
 * Builds the RunServices the runtime hands to executors. One place, so the server, the
 * CLI, evaluation and deployments run flows with the same outer world.
 * Domains that add a service (e.g. knowledge search) add it here.
 */
import type { Config } from './config';
import type { RunServices } from './runtime/types';
import type { Storage } from './storage/index';
import { knowledgeSearchFor } from './knowledge/index';
import { loadMcpConfig } from './mcp/config';
import { McpClientRegistry } from './mcp/client';

export interface ServiceDeps {
  config: Config;
  /** The open storage (domains that need it for their service, e.g. knowledge bases). */
  storage?: Storage;
}

/**
 * The run services of a process. With BRAID_MCP_CONFIG the file is read now (a ConfigError
 * names the problem) and `mcp` connects to its servers on first use: whoever builds the
 * services closes `mcp` when done (app close, CLI exit) so stdio servers are stopped.
 */
export function buildRunServices(deps: ServiceDeps): RunServices {
  const { config } = deps;
  return {
    config,
    ...(deps.storage ? { knowledge: knowledgeSearchFor(config, deps.storage) } : {}),
    ...(config.mcpConfigPath
      ? {
          mcp: new McpClientRegistry(loadMcpConfig(config.mcpConfigPath), {
            allowHosts: config.httpAllowHosts,
          }),
        }
      : {}),
  };
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
