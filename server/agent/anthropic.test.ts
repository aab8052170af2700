/**
 * `parallelToolCalls: false` per provider, and the Anthropic wire: the agent's requests to an
 * Anthropic Messages endpoint (a small recording server in this file that answers in the
 * Messages API's shape) carry `tool_choice.disable_parallel_tool_use` only when asked, and the
 * tool_use → tool_result loop works through @langchain/anthropic.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentConfig } from '../../shared/nodes/agent';
import { agentExecutor } from '../runtime/executors/agent';
import { agentContext, templateFlow } from '../../test/support/agent-context';
import { toolBindOptions, type AgentStep } from './loop';

interface AnthropicRequest {
  model: string;
  messages: Array<{ role: string; content: unknown }>;
  tools?: Array<{ name: string; input_schema: unknown }>;
  tool_choice?: Record<string, unknown>;
  stream?: boolean;
}

let server: http.Server;
let baseUrl: string;
const requests: AnthropicRequest[] = [];

/** First request: two tool_use blocks (a parallel turn); then a text answer. */
function reply(req: AnthropicRequest): Record<string, unknown> {
  const sawResults = req.messages.some(
    (m) => Array.isArray(m.content) && m.content.some((b: { type?: string }) => b.type === 'tool_result'),
  );
  const content = sawResults
    ? [{ type: 'text', text: '在庫は東京と大阪にあります。' }]
    : [
        { type: 'text', text: '調べます。' },
        { type: 'tool_use', id: 'toolu_1', name: 'stock', input: { city: '東京' } },
        { type: 'tool_use', id: 'toolu_2', name: 'stock', input: { city: '大阪' } },
      ];
  return {
    id: `msg_${requests.length}`,
    type: 'message',
    role: 'assistant',
    model: req.model,
    content,
    stop_reason: sawResults ? 'end_turn' : 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 20, output_tokens: 10 },
  };
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as AnthropicRequest;
      requests.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
});

const stock = templateFlow('stock', 'city', '{{city}}: 3 点');

function run(parallelToolCalls: boolean) {
  const config = agentConfig.parse({
    model: 'anthropic:claude-3-5-haiku-latest',
    prompt: '{{question}}',
    tools: [{ kind: 'flow', flow: 'stock' }],
    parallelToolCalls,
    stream: false,
  });
  const ctx = agentContext(
    config,
    { question: '在庫は？' },
    { env: { ANTHROPIC_API_KEY: 'sk-ant-test-0123456789', ANTHROPIC_BASE_URL: baseUrl }, flows: [stock] },
  );
  return { ctx, result: agentExecutor(ctx) };
}

describe('parallelToolCalls per provider', () => {
  it('maps false to each provider’s switch (nothing when true)', () => {
    expect(toolBindOptions('openai', false)).toEqual({ parallel_tool_calls: false });
    expect(toolBindOptions('anthropic', false)).toEqual({
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    });
    expect(toolBindOptions('ollama', false)).toEqual({});
    for (const p of ['openai', 'anthropic', 'ollama']) expect(toolBindOptions(p, true)).toEqual({});
  });

  it('anthropic, parallelToolCalls false: disable_parallel_tool_use is on the wire; one call per turn', async () => {
    const { ctx, result } = run(false);
    const res = await result;
    expect(res.outputs.text).toBe('在庫は東京と大阪にあります。');
    expect(requests).toHaveLength(2);
    expect(requests[0]!.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(requests[0]!.tools!.map((t) => t.name)).toEqual(['stock']);
    // the model still sent two calls: only the first runs, the other is answered "one at a time"
    expect(ctx.childCalls.map((c) => c.inputs)).toEqual([{ city: '東京' }]);
    const results = (requests[1]!.messages.at(-1)!.content as Array<{ type: string; content: unknown }>).filter(
      (b) => b.type === 'tool_result',
    );
    expect(results).toHaveLength(2);
    expect(JSON.stringify(results[1]!.content)).toContain('one_at_a_time');
  });

  it('anthropic, parallelToolCalls true: no tool_choice, both calls run', async () => {
    const { ctx, result } = run(true);
    const res = await result;
    expect(requests[0]!.tool_choice).toBeUndefined();
    expect((res.outputs.steps as AgentStep[]).map((s) => s.result)).toEqual([
      { answer: '東京: 3 点' },
      { answer: '大阪: 3 点' },
    ]);
    expect(ctx.childCalls).toHaveLength(2);
  });
});
