import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { McpClientRegistry } from './client';
import { loadMcpConfig, parseMcpConfig } from './config';
import { NodeError } from '../runtime/types';
import { startMcpHttpServer, type McpHttpTestServer } from '../../test/support/mcp-test-server';
import { ConfigError } from '../config';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';

const SERVER_SCRIPT = path.resolve(__dirname, '../../test/support/mcp-test-server.ts');
const stdioDef = parseMcpConfig(
  { mcpServers: { local: { command: process.execPath, args: ['--import', 'tsx', SERVER_SCRIPT, '--stdio'] } } },
  'test',
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const signal = (): AbortSignal => new AbortController().signal;

async function failure(p: Promise<unknown>): Promise<NodeError> {
  const err = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NodeError);
  return err as NodeError;
}

describe('MCP client: stdio server built with the official SDK', () => {
  const reg = new McpClientRegistry(stdioDef, { allowHosts: [] });
  afterAll(() => reg.close());

  it('starts the process lazily, lists and calls tools (text, structured, isError)', async () => {
    expect(reg.servers()).toEqual([{ name: 'local', transport: 'stdio' }]);
    const tools = await reg.listTools('local');
    expect(tools.map((t) => t.name).sort()).toEqual(['add', 'die', 'echo', 'fail', 'pid', 'slow']);
    expect(tools.find((t) => t.name === 'echo')!.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
    });
    const echo = await reg.callTool('local', 'echo', { text: 'こんにちは' }, { signal: signal(), timeoutMs: 5000 });
    expect(echo).toEqual({ isError: false, text: 'echo: こんにちは' });
    const add = await reg.callTool('local', 'add', { a: 2, b: 3 }, { signal: signal(), timeoutMs: 5000 });
    expect(add.structured).toEqual({ sum: 5 });
    const fail = await reg.callTool('local', 'fail', { message: '失敗' }, { signal: signal(), timeoutMs: 5000 });
    expect(fail).toMatchObject({ isError: true, text: '失敗' });
  }, 30_000);

  it('times out a slow call, and restarts a process that died', async () => {
    const err = await failure(reg.callTool('local', 'slow', { ms: 5000 }, { signal: signal(), timeoutMs: 100 }));
    expect(err.code).toBe('mcp_timeout');
    const pid1 = Number((await reg.callTool('local', 'pid', {}, { signal: signal(), timeoutMs: 5000 })).text);
    expect(alive(pid1)).toBe(true);
    await reg.callTool('local', 'die', {}, { signal: signal(), timeoutMs: 5000 });
    for (let i = 0; i < 100 && alive(pid1); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    const pid2 = Number((await reg.callTool('local', 'pid', {}, { signal: signal(), timeoutMs: 10_000 })).text);
    expect(pid2).not.toBe(pid1);
    await reg.close();
    for (let i = 0; i < 100 && alive(pid2); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid2)).toBe(false);
  }, 30_000);
});

describe('MCP client: Streamable HTTP server built with the official SDK', () => {
  let srv: McpHttpTestServer;
  beforeAll(async () => {
    srv = await startMcpHttpServer();
  });
  afterAll(() => srv.close());

  const httpDef = () =>
    parseMcpConfig(
      { mcpServers: { remote: { url: srv.url, headers: { Authorization: 'Bearer t0ken-abc' } } } },
      'test',
    );

  it('lists and calls tools through the SSRF guard when the host is allow-listed, with the configured headers', async () => {
    const reg = new McpClientRegistry(httpDef(), { allowHosts: ['127.0.0.1'] });
    try {
      expect(reg.servers()[0]).toEqual({ name: 'remote', transport: 'http', origin: new URL(srv.url).origin });
      const tools = await reg.listTools('remote');
      expect(tools.map((t) => t.name)).toContain('echo');
      const r = await reg.callTool('remote', 'echo', { text: '東京' }, { signal: signal(), timeoutMs: 5000 });
      expect(r.text).toBe('echo: 東京');
      expect(srv.requests.some((q) => q.authorization === 'Bearer t0ken-abc')).toBe(true);
    } finally {
      await reg.close();
    }
  }, 30_000);

  it('refuses an MCP URL on a private address unless allow-listed (no request reaches it)', async () => {
    const before = srv.requests.length;
    const reg = new McpClientRegistry(httpDef(), { allowHosts: [] });
    try {
      const err = await failure(reg.listTools('remote'));
      expect(err.message).toMatch(/BRAID_HTTP_ALLOW_HOSTS/);
      expect(srv.requests.length).toBe(before);
    } finally {
      await reg.close();
    }
  });

  it('a server that is down is an error, not a crash', async () => {
    const down = parseMcpConfig({ mcpServers: { down: { url: 'http://127.0.0.1:9/mcp' } } }, 'test');
    const reg = new McpClientRegistry(down, { allowHosts: ['127.0.0.1'], connectTimeoutMs: 2000 });
    try {
      const err = await failure(reg.callTool('down', 'echo', { text: 'x' }, { signal: signal(), timeoutMs: 1000 }));
      expect(err.code).toBe('mcp_unavailable');
    } finally {
      await reg.close();
    }
  });
});

describe('BRAID_MCP_CONFIG file', () => {
  it('reads the Claude Desktop / Cursor format and reports problems with their path', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'braid-mcp-'));
    const good = path.join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        mcpServers: {
          files: { command: 'npx', args: ['-y', 'server-filesystem', '/srv'], env: { A: '1' } },
          tickets: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer x' } },
        },
      }),
    );
    expect(loadMcpConfig(good).map((s) => [s.name, s.transport])).toEqual([
      ['files', 'stdio'],
      ['tickets', 'http'],
    ]);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ mcpServers: { x: { url: 'ftp://host/' } } }));
    expect(() => loadMcpConfig(bad)).toThrow(ConfigError);
    expect(() => loadMcpConfig(bad)).toThrow(/mcpServers\.x/);
    expect(() => loadMcpConfig(path.join(dir, 'missing.json'))).toThrow(/ENOENT/);
    writeFileSync(bad, '{ not json');
    expect(() => loadMcpConfig(bad)).toThrow(/not valid JSON/);
  });
});
