/**
 * Test and benchmark support: a real Braid server on 127.0.0.1:0 over a temp flows
 * folder and SQLite database, with the fake OpenAI server (or any OpenAI-compatible URL)
 * as provider and 127.0.0.1 allow-listed for webhooks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { startServer, type RunningServer } from '../app';
import type { Flow } from '../../shared';
import { promptFlow as minimalPromptFlow } from '../../test/support/flows';

export const PROVIDER_KEY = 'sk-fake-provider-0123456789';

export interface DeployServer {
  url: string;
  config: Config;
  flowsDir: string;
  server: RunningServer;
  writeFlow(flow: Flow): void;
  api(p: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  call(p: string, key: string | undefined, json?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startDeployServer(
  opts: { openaiUrl?: string; flows?: Flow[]; env?: Record<string, string> } = {},
): Promise<DeployServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-deploy-'));
  const flowsDir = path.join(root, 'flows');
  fs.mkdirSync(flowsDir);
  const writeFlow = (flow: Flow) =>
    fs.writeFileSync(path.join(flowsDir, `${flow.id}.flow.json`), `${JSON.stringify(flow, null, 2)}\n`);
  for (const f of opts.flows ?? []) writeFlow(f);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    BRAID_FLOWS_DIR: flowsDir,
    BRAID_DATA_DIR: path.join(root, 'data'),
    BRAID_LOG_LEVEL: 'silent',
    BRAID_NODE_TIMEOUT_MS: '10000',
    BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1',
    ...(opts.openaiUrl ? { OPENAI_BASE_URL: opts.openaiUrl, OPENAI_API_KEY: PROVIDER_KEY } : {}),
    ...opts.env,
  });
  const server = await startServer(config);
  return {
    url: server.url,
    config,
    flowsDir,
    server,
    writeFlow,
    api(p, init = {}) {
      const { json, headers, ...rest } = init;
      return fetch(`${server.url}${p}`, {
        ...rest,
        headers: {
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(headers as Record<string, string> | undefined),
        },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    call(p, key, json, headers = {}) {
      return fetch(`${server.url}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
        body: JSON.stringify(json ?? {}),
      });
    },
    async close() {
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A one-prompt flow: `question` → prompt (system text) → `answer`. */
export function promptFlow(id: string, system: string, opts: { model?: string } = {}): Flow {
  return minimalPromptFlow({
    id,
    name: `Prompt ${id}`,
    inputs: [{ name: 'question', type: 'string', required: true, description: 'What to ask' }],
    system,
    temperature: 0,
    ...(opts.model ? { model: opts.model } : {}),
  });
}

/** A chat flow: `question` + `history` (messages) → prompt → `answer`. */
export function chatFlow(id: string): Flow {
  const f = promptFlow(id, 'You are a helpful assistant.');
  f.inputs.push({ name: 'history', type: 'messages', required: false });
  const node = f.nodes[1];
  if (node)
    node.config = {
      model: 'openai:gpt-4o-mini',
      temperature: 0,
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'history', variable: 'history' },
        { role: 'user', content: '{{question}}' },
      ],
    };
  f.edges.push({ source: 'inputs', sourcePort: 'history', target: 'answer', targetPort: 'history' });
  return f;
}
