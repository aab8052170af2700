/**
 * A small MCP server built with the official SDK, for tests and benchmarks: over stdio
 * (`node --import tsx test/support/mcp-test-server.ts --stdio`) or over Streamable HTTP
 * in-process (`startMcpHttpServer()`, stateless, on 127.0.0.1).
 *
 * Tools: `echo {text}` (text back), `add {a, b}` (structured `{sum}`), `fail {message}`
 * (an isError result), `slow {ms}` (waits), `pid` (the server's process id), `die`
 * (the stdio process exits).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export function buildTestMcpServer(): McpServer {
  const server = new McpServer({ name: 'braid-test-mcp', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echo the text back', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }),
  );
  server.registerTool(
    'add',
    {
      description: 'Add two numbers',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool(
    'fail',
    { description: 'Always fails', inputSchema: { message: z.string().optional() } },
    async ({ message }) => ({ isError: true, content: [{ type: 'text', text: message ?? 'failed on purpose' }] }),
  );
  server.registerTool(
    'slow',
    { description: 'Wait ms milliseconds', inputSchema: { ms: z.number() } },
    async ({ ms }, extra) => {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      return { content: [{ type: 'text', text: `waited ${ms}` }] };
    },
  );
  server.registerTool('pid', { description: 'The process id' }, async () => ({
    content: [{ type: 'text', text: String(process.pid) }],
  }));
  server.registerTool('die', { description: 'Exit the process' }, async () => {
    setTimeout(() => process.exit(1), 5);
    return { content: [{ type: 'text', text: 'bye' }] };
  });
  return server;
}

export interface McpHttpTestServer {
  url: string;
  /** Requests received (method, path, authorization header). */
  requests: Array<{ method: string; path: string; authorization?: string }>;
  close(): Promise<void>;
}

/** A stateless Streamable HTTP MCP server on 127.0.0.1 (one server+transport per request, as the SDK recommends). */
export async function startMcpHttpServer(): Promise<McpHttpTestServer> {
  const requests: McpHttpTestServer['requests'] = [];
  const srv = http.createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const server = buildTestMcpServer();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        await transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8')));
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv.includes('--stdio')) {
  await buildTestMcpServer().connect(new StdioServerTransport());
}
