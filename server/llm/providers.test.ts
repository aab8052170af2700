/**
 * Provider wiring: configuration errors, client caching, and the Anthropic and Ollama
 * paths through the prompt executor against minimal wire-format servers on 127.0.0.1
 * (the OpenAI path is covered in server/runtime/executors/prompt.test.ts).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatOpenAI } from '@langchain/openai';
import { loadConfig } from '../config';
import { NodeError } from '../runtime/types';
import { createChatModel, parseModelId, notConfiguredMessage, PLACEHOLDER_API_KEY } from './providers';
import { promptExecutor } from '../runtime/executors/prompt';
import { promptConfig } from '../../shared/nodes/prompt';
import { executorContext } from '../../test/support/executor-context';

let server: http.Server;
let base: string;
const requests: Array<{ path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> = [];

function anthropic(res: http.ServerResponse, body: Record<string, unknown>): void {
  const text = 'Hello from Claude';
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 12, output_tokens: 4 },
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const ev = (type: string, data: unknown): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  ev('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_2',
      type: 'message',
      role: 'assistant',
      content: [],
      model: body.model,
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 0 },
    },
  });
  ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  for (const piece of ['Hello ', 'from ', 'Claude'])
    ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
  ev('content_block_stop', { type: 'content_block_stop', index: 0 });
  ev('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 4 },
  });
  ev('message_stop', { type: 'message_stop' });
  res.end();
}

function ollama(res: http.ServerResponse, body: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const line = (o: unknown): void => {
    res.write(`${JSON.stringify(o)}\n`);
  };
  for (const piece of ['Hi ', 'from ', 'llama'])
    line({
      model: body.model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: piece },
      done: false,
    });
  line({
    model: body.model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: 'stop',
    prompt_eval_count: 9,
    eval_count: 3,
  });
  res.end();
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/v1/messages') anthropic(res, body);
      else if (req.url === '/api/chat') ollama(res, body);
      else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('model ids and configuration', () => {
  it('parses provider:model and refuses the rest', () => {
    expect(parseModelId('openai:gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseModelId('ollama:llama3.2:3b')).toEqual({ provider: 'ollama', model: 'llama3.2:3b' });
    for (const bad of ['gpt-4o', 'azure:gpt-4o', 'openai:', ':x']) {
      expect(() => parseModelId(bad)).toThrow(NodeError);
    }
  });

  it('names the env vars for each provider', () => {
    expect(notConfiguredMessage('openai')).toMatch(/OPENAI_API_KEY.*OPENAI_BASE_URL/);
    expect(notConfiguredMessage('anthropic')).toContain('ANTHROPIC_API_KEY');
    expect(notConfiguredMessage('ollama')).toContain('OLLAMA_BASE_URL');
    const err = (() => {
      try {
        createChatModel('anthropic:claude-3-5-haiku-latest', loadConfig({}));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NodeError);
    expect((err as NodeError).code).toBe('provider_not_configured');
  });

  it('caches clients per model and settings, with SDK retries off', () => {
    const config = loadConfig({ OPENAI_API_KEY: 'sk-a' });
    const a = createChatModel('openai:gpt-4o-mini', config, { temperature: 0 });
    expect(createChatModel('openai:gpt-4o-mini', config, { temperature: 0 })).toBe(a);
    expect(createChatModel('openai:gpt-4o-mini', config, { temperature: 1 })).not.toBe(a);
    expect(createChatModel('openai:gpt-4o-mini', loadConfig({ OPENAI_API_KEY: 'sk-b' }), { temperature: 0 })).not.toBe(
      a,
    );
    expect(a).toBeInstanceOf(ChatOpenAI);
    const chat = a as ChatOpenAI;
    expect(chat.streaming).toBe(false); // streaming:true would make LangChain count tokens online
    expect(chat.streamUsage).toBe(true);
    expect((chat.caller as unknown as { maxRetries: number }).maxRetries).toBe(0);
    const local = createChatModel(
      'openai:llama3',
      loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' }),
    ) as ChatOpenAI;
    expect(local.apiKey).toBe(PLACEHOLDER_API_KEY);
  });
});

describe('Anthropic and Ollama through the prompt executor', () => {
  const cfg = (model: string, stream: boolean) =>
    promptConfig.parse({
      model,
      stream,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: '{{q}}' },
      ],
    });

  it('Anthropic, streaming and not: text, finish reason, summed usage and cost', async () => {
    for (const stream of [true, false]) {
      const ctx = executorContext(
        'prompt',
        cfg('anthropic:claude-3-5-haiku-20241022', stream),
        { q: 'hi' },
        { env: { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: base } },
      );
      const res = await promptExecutor(ctx);
      expect(res.outputs.text).toBe('Hello from Claude');
      expect(ctx.meta.finishReason).toBe('end_turn');
      expect(ctx.usage[0].usage.promptTokens).toBe(12);
      expect(ctx.usage[0].usage.completionTokens).toBe(4);
      expect(ctx.usage[0].cost).toBeCloseTo((12 * 0.8 + 4 * 4) / 1e6, 12);
      if (stream) expect(ctx.tokens.join('')).toBe('Hello from Claude');
      const req = requests[requests.length - 1];
      expect(req.path).toBe('/v1/messages');
      expect(req.headers['x-api-key']).toBe('sk-ant-test');
      expect(req.body.system).toBe('Be brief.');
    }
  });

  it('Ollama, streaming and not: text, done reason, usage and zero cost', async () => {
    for (const stream of [true, false]) {
      const ctx = executorContext(
        'prompt',
        cfg('ollama:llama3.2', stream),
        { q: 'hi' },
        { env: { OLLAMA_BASE_URL: base } },
      );
      const res = await promptExecutor(ctx);
      expect(res.outputs.text).toBe('Hi from llama');
      expect(ctx.meta.finishReason).toBe('stop');
      expect(ctx.usage[0]).toEqual({
        model: 'ollama:llama3.2',
        usage: { promptTokens: 9, completionTokens: 3, totalTokens: 12 },
        cost: 0,
      });
      expect(requests[requests.length - 1].path).toBe('/api/chat');
    }
  });
});
