import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { agentConfig, agentNode, type AgentConfig } from '../../../shared/nodes/agent';
import { NodeError, type RunResult } from '../types';
import { agentExecutor } from './agent';
import { startFakeOpenAI, offeredTools, type FakeOpenAI, type ChatRequest } from '../../../test/support/fake-openai';
import { agentContext, failingFlow, templateFlow } from '../../../test/support/agent-context';
import type { AgentStep } from '../../agent/loop';

let fake: FakeOpenAI;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  env = { OPENAI_API_KEY: 'sk-test-agent-0123456789', OPENAI_BASE_URL: fake.url };
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const kb = templateFlow('kb-search', 'query', '記事: 「{{query}}」の返品期限は30日です', '検索語');
const stock = failingFlow('stock', '在庫DBに接続できません');

function cfg(c: Partial<AgentConfig> = {}): AgentConfig {
  return agentConfig.parse({
    model: 'openai:gpt-4o-mini',
    instructions: 'サポート担当として答えてください。',
    prompt: '{{question}}',
    tools: [
      { kind: 'flow', flow: 'kb-search', description: 'ヘルプセンターを検索' },
      { kind: 'flow', flow: 'stock' },
    ],
    stream: false,
    ...c,
  });
}

async function failure(p: Promise<unknown>): Promise<NodeError> {
  const err = await p.then(
    () => {
      throw new Error('expected the node to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NodeError);
  return err as NodeError;
}

/**
 * One quick agent run, then a clean fake: the model client and its connection are warm, so a
 * request of the next run surely reaches the fake within a short time budget (even when a
 * test runs alone on a loaded machine).
 */
async function warmModel(): Promise<void> {
  fake.enqueue({ reply: 'warm' });
  await agentExecutor(agentContext(cfg(), { question: '?' }, { env, flows: [kb, stock] }));
  fake.reset();
}

const body = (i: number): ChatRequest => fake.calls[i]!.body as ChatRequest;
const toolMessages = (i: number) => body(i).messages.filter((m) => m.role === 'tool');

describe('agent node declaration', () => {
  it('has the template variables and `messages` as inputs, text/json and steps as outputs', () => {
    const c = cfg({ instructions: 'Tone: {{tone}}', prompt: '{{question}}', output: 'json' });
    const ctx = { flow: { inputs: [], outputs: [] } };
    expect(agentNode.inputs(c, ctx).map((p) => `${p.name}:${p.type}:${p.required}`)).toEqual([
      'tone:string:true',
      'question:string:true',
      'messages:messages:false',
    ]);
    expect(agentNode.outputs(c, ctx).map((p) => p.name)).toEqual(['text', 'json', 'steps']);
  });

  it('refuses two flow tools with one name and a flow file that tries to add a command or URL', () => {
    const dup = agentConfig.safeParse({
      tools: [
        { kind: 'flow', flow: 'a' },
        { kind: 'flow', flow: 'b', name: 'a' },
      ],
    });
    expect(dup.success).toBe(false);
    const cmd = agentConfig.safeParse({ tools: [{ kind: 'mcp', server: 'fs', command: 'rm', args: ['-rf', '/'] }] });
    expect(cmd.success).toBe(false);
    const url = agentConfig.safeParse({ tools: [{ kind: 'mcp', url: 'http://10.0.0.1/mcp' }] });
    expect(url.success).toBe(false);
  });
});

describe('agent executor against the scripted fake model', () => {
  it('answers after one tool call: the flow runs as a child run and the result goes back', async () => {
    fake.enqueue(
      { toolCalls: [{ id: 'call_1', name: 'kb-search', arguments: { query: '返品' } }] },
      { reply: '返品期限は30日です。' },
    );
    const ctx = agentContext(cfg(), { question: '返品できますか？' }, { env, flows: [kb, stock] });
    const res = await agentExecutor(ctx);
    expect(res.outputs.text).toBe('返品期限は30日です。');
    const steps = res.outputs.steps as AgentStep[];
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({
      iteration: 1,
      id: 'call_1',
      name: 'kb-search',
      kind: 'flow',
      arguments: { query: '返品' },
      result: { answer: '記事: 「返品」の返品期限は30日です' },
    });
    expect(steps[0]!.childRunId).toEqual(expect.any(String));
    expect(ctx.childCalls).toEqual([{ flowId: 'kb-search', inputs: { query: '返品' }, iteration: 1 }]);
    // the tools as the model sees them: the flow's inputs are the schema
    const tools = body(0).tools as Array<{ function: { name: string; description: string; parameters: unknown } }>;
    expect(offeredTools(body(0))).toEqual(['kb-search', 'stock']);
    expect(tools[0]!.function.description).toBe('ヘルプセンターを検索');
    expect(tools[0]!.function.parameters).toMatchObject({
      type: 'object',
      properties: { query: { type: 'string', description: '検索語' } },
      required: ['query'],
    });
    // second request: the assistant turn with its call, then the tool result
    const second = body(1).messages;
    expect(second[0]).toMatchObject({ role: 'system', content: 'サポート担当として答えてください。' });
    expect(second[2]).toMatchObject({ role: 'assistant', tool_calls: [expect.objectContaining({ id: 'call_1' })] });
    expect(second[3]).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
    expect(JSON.parse(String(second[3]!.content))).toEqual({ answer: '記事: 「返品」の返品期限は30日です' });
    expect(ctx.usage).toHaveLength(2);
    expect(ctx.meta).toMatchObject({ modelCalls: 2, toolCalls: 1, finishReason: 'stop' });
    expect(ctx.progress.map((p) => p.kind)).toEqual([
      'model_call',
      'model_reply',
      'tool_call',
      'tool_result',
      'model_call',
      'model_reply',
      'answer',
    ]);
    expect(ctx.progress[1]).toMatchObject({ iteration: 1, toolCalls: 1, durationMs: expect.any(Number) });
    // the span keeps what the last call sent: system, user, the tool call and the tool's result
    expect(ctx.sentMessages()).toEqual([
      { role: 'system', content: 'サポート担当として答えてください。' },
      { role: 'user', content: '返品できますか？' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'kb-search', arguments: { query: '返品' } }],
      },
      {
        role: 'tool',
        name: 'kb-search',
        toolCallId: 'call_1',
        content: JSON.stringify({ answer: '記事: 「返品」の返品期限は30日です' }),
      },
    ]);
  });

  it('streams several iterations with parallel calls, tokens and steps live', async () => {
    fake.enqueue(
      {
        content: '調べます。',
        toolCalls: [
          { id: 'a', name: 'kb-search', arguments: { query: '配送' } },
          { id: 'b', name: 'kb-search', arguments: { query: '返品' } },
        ],
      },
      { toolCalls: [{ id: 'c', name: 'kb-search', arguments: { query: '交換' } }] },
      { reply: 'まとめ: 30日以内なら返品・交換できます。' },
    );
    const ctx = agentContext(cfg({ stream: true }), { question: '配送と返品は？' }, { env, flows: [kb, stock] });
    const res = await agentExecutor(ctx);
    expect(res.outputs.text).toBe('まとめ: 30日以内なら返品・交換できます。');
    const steps = res.outputs.steps as AgentStep[];
    expect(steps.map((s) => [s.iteration, s.id])).toEqual([
      [1, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    expect(ctx.tokens.join('')).toBe('調べます。まとめ: 30日以内なら返品・交換できます。');
    expect(body(0).stream).toBe(true);
    expect(toolMessages(1).map((m) => m.tool_call_id)).toEqual(['a', 'b']);
    expect(ctx.usage.every((u) => u.usage.completionTokens > 0)).toBe(true);
    // the text written before the tool calls is reported as the turn's thinking, live and in the span
    expect(ctx.progress.find((p) => p.kind === 'model_reply')).toMatchObject({ text: '調べます。', toolCalls: 2 });
    expect(ctx.meta.thinking).toEqual([{ iteration: 1, text: '調べます。' }]);
  });

  it('feeds an unknown tool, bad arguments and broken JSON back to the model as tool errors', async () => {
    fake.enqueue(
      {
        toolCalls: [
          { id: 'u', name: 'web-search', arguments: { q: 'x' } },
          { id: 'v', name: 'kb-search', arguments: { query: 42 } },
          { id: 'w', name: 'kb-search', arguments: '{"query": ' },
        ],
      },
      { reply: 'ツールが使えませんでした。' },
    );
    const ctx = agentContext(cfg(), { question: '?' }, { env, flows: [kb, stock] });
    const res = await agentExecutor(ctx);
    const steps = res.outputs.steps as AgentStep[];
    expect(steps.map((s) => s.error?.code)).toEqual(['unknown_tool', 'invalid_arguments', 'invalid_arguments']);
    expect(steps[0]!.error!.message).toContain('kb-search, stock');
    expect(steps[1]!.error!.message).toContain('/query: must be string');
    expect(ctx.childCalls).toHaveLength(0);
    const errs = toolMessages(1).map((m) => JSON.parse(String(m.content)) as { error: { code: string } });
    expect(errs.map((e) => e.error.code)).toEqual(['unknown_tool', 'invalid_arguments', 'invalid_arguments']);
    expect(res.outputs.text).toBe('ツールが使えませんでした。');
  });

  it('feeds a failing tool flow back as a tool error and still answers', async () => {
    fake.enqueue(
      { toolCalls: [{ id: 's', name: 'stock', arguments: { sku: 'A-1' } }] },
      { reply: '在庫を確認できません。' },
    );
    const ctx = agentContext(cfg(), { question: '在庫は？' }, { env, flows: [kb, stock] });
    const res = await agentExecutor(ctx);
    const step = (res.outputs.steps as AgentStep[])[0]!;
    expect(step.error!.message).toContain('在庫DBに接続できません');
    expect(step.error!.message).toContain('node "db"');
    expect(step.childRunId).toEqual(expect.any(String));
    expect(res.outputs.text).toBe('在庫を確認できません。');
  });

  it('caps tool results before they go back to the model', async () => {
    const big = templateFlow('big', 'query', `{{query}}${'長'.repeat(5000)}`);
    fake.enqueue({ toolCalls: [{ id: 'x', name: 'big', arguments: { query: 'q' } }] }, { reply: 'ok' });
    const ctx = agentContext(
      cfg({ tools: [{ kind: 'flow', flow: 'big' }], maxToolResultChars: 300 }),
      { question: '?' },
      { env, flows: [big] },
    );
    await agentExecutor(ctx);
    const content = String(toolMessages(1)[0]!.content);
    expect(content.length).toBeLessThan(400);
    expect(content).toMatch(/truncated: \d+ characters in all, 300 shown/);
  });

  it('stops at maxIterations and makes one last call with tools disabled', async () => {
    fake.enqueue(
      { toolCalls: [{ name: 'kb-search', arguments: { query: '1' } }] },
      { toolCalls: [{ name: 'kb-search', arguments: { query: '2' } }] },
      { reply: '分かった範囲で答えます。' },
    );
    const ctx = agentContext(cfg({ maxIterations: 2 }), { question: '?' }, { env, flows: [kb, stock] });
    const res = await agentExecutor(ctx);
    expect(res.outputs.text).toBe('分かった範囲で答えます。');
    expect(fake.calls).toHaveLength(3);
    expect(body(2).tool_choice).toBe('none');
    expect(String(body(2).messages.at(-1)!.content)).toContain('maximum number of tool-using steps');
    expect(ctx.meta.stoppedBy).toBe('maxIterations');
    expect(ctx.progress.some((p) => p.kind === 'limit' && p.limit === 'maxIterations')).toBe(true);
  });

  it('fails at a limit with onLimit: "fail" (and the error is not retried)', async () => {
    fake.enqueue({ toolCalls: [{ name: 'kb-search', arguments: { query: '1' } }] });
    const ctx = agentContext(
      cfg({ maxIterations: 1, onLimit: 'fail' }),
      { question: '?' },
      { env, flows: [kb, stock] },
    );
    const err = await failure(agentExecutor(ctx));
    expect(err.code).toBe('agent_limit');
    expect(err.retryable).toBe(false);
    expect(err.path).toBe('config.maxIterations');
    expect(fake.calls).toHaveLength(1);
  });

  it('stops at the token budget: tools the over-budget turn asked for are not run', async () => {
    fake.enqueue(
      { toolCalls: [{ id: 't1', name: 'kb-search', arguments: { query: '1' } }] },
      { reply: '予算内の答え' },
    );
    const ctx = agentContext(
      cfg({ budget: { maxTokens: 10 } }),
      { question: '長めの質問です' },
      { env, flows: [kb, stock] },
    );
    const res = await agentExecutor(ctx);
    expect(ctx.meta.stoppedBy).toBe('maxTokens');
    expect(ctx.childCalls).toHaveLength(0);
    expect((res.outputs.steps as AgentStep[])[0]!.error!.code).toBe('limit_reached');
    expect(res.outputs.text).toBe('予算内の答え');
    expect(body(1).tool_choice).toBe('none');
  });

  it('stops at the cost budget', async () => {
    fake.enqueue({ toolCalls: [{ name: 'kb-search', arguments: { query: '1' } }] }, { reply: 'コスト上限で停止' });
    // gpt-4o-mini: one turn here costs about 1e-5 USD
    const ctx = agentContext(cfg({ budget: { maxCostUsd: 0.000001 } }), { question: '?' }, { env, flows: [kb, stock] });
    const res = await agentExecutor(ctx);
    expect(ctx.meta.stoppedBy).toBe('maxCostUsd');
    expect(res.outputs.text).toBe('コスト上限で停止');
    expect(fake.calls).toHaveLength(2);
    expect(ctx.childCalls).toHaveLength(0);
    expect(ctx.usage.reduce((s, u) => s + (u.cost ?? 0), 0)).toBeGreaterThan(0.000001);
  });

  it('stops at the time budget, cutting a slow tool call', async () => {
    fake.enqueue({ toolCalls: [{ name: 'slow', arguments: { query: 'q' } }] });
    // The answer after the cut comes from the responder, not the queue: a request retried by
    // the HTTP client on a busy machine must not leave the final call with nothing scripted.
    fake.setResponder(() => '時間切れ');
    const slow = templateFlow('slow', 'query', '{{query}}');
    const ctx = agentContext(
      // long enough for the first model call even on a loaded machine (it is cut too, since
      // the budget also bounds model calls), far shorter than the tool's 5 s
      cfg({ tools: [{ kind: 'flow', flow: 'slow' }], budget: { maxDurationMs: 1_000 } }),
      { question: '?' },
      {
        env,
        flows: [slow],
        runChild: (_id, _inputs, o) =>
          new Promise<RunResult>((resolve) => {
            const t = setTimeout(
              () => resolve({ runId: 'late', status: 'succeeded', outputs: {}, trace: {} as RunResult['trace'] }),
              5_000,
            );
            o?.signal?.addEventListener('abort', () => {
              clearTimeout(t);
              resolve({
                runId: 'cut',
                status: 'cancelled',
                outputs: {},
                trace: { error: undefined } as unknown as RunResult['trace'],
              });
            });
          }),
      },
    );
    const t0 = Date.now();
    const res = await agentExecutor(ctx);
    expect(Date.now() - t0).toBeLessThan(3_500);
    expect((res.outputs.steps as AgentStep[])[0]!.error!.code).toBe('tool_timeout');
    expect(ctx.meta.stoppedBy).toBe('maxDurationMs');
    expect(res.outputs.text).toBe('時間切れ');
  });

  it('cuts an in-flight model call at the time budget (abort) and still answers', async () => {
    await warmModel();
    // The first call is slow (the fake's latency); the answer at the limit is fast again.
    fake.setLatency(5_000);
    const watch = setInterval(() => {
      if (fake.calls.length >= 1) {
        fake.setLatency(0);
        clearInterval(watch);
      }
    }, 2);
    fake.enqueue({ toolCalls: [{ name: 'kb-search', arguments: { query: 'q' } }] }, { reply: '時間内に答えます' });
    const ctx = agentContext(cfg({ budget: { maxDurationMs: 400 } }), { question: '?' }, { env, flows: [kb, stock] });
    const t0 = Date.now();
    const res = await agentExecutor(ctx);
    clearInterval(watch);
    // cut at the budget (400 ms from the node's start), not at the fake's 5 s
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(res.outputs.text).toBe('時間内に答えます');
    expect(ctx.meta.stoppedBy).toBe('maxDurationMs');
    expect(ctx.childCalls).toHaveLength(0);
    expect(res.outputs.steps).toEqual([]);
    await expect.poll(() => fake.calls[0]!.clientClosed).toBe(true);
    expect(fake.calls).toHaveLength(2);
    expect(body(1).tool_choice).toBe('none');
    expect(String(body(1).messages.at(-1)!.content)).toContain('time budget');
    const cut = ctx.progress.find((p) => p.kind === 'model_cut');
    expect(cut).toMatchObject({ iteration: 1, limit: 'maxDurationMs' });
    expect(cut!.durationMs as number).toBeGreaterThan(0);
    expect(cut!.durationMs as number).toBeLessThan(2_500); // the 400 ms budget plus timer lateness, not 5 s
    expect(ctx.progress.map((p) => p.kind)).toEqual([
      'model_call',
      'model_cut',
      'limit',
      'model_call',
      'model_reply',
      'answer',
    ]);
  });

  it('fails at the time budget with onLimit: "fail", cutting the streamed model call', async () => {
    await warmModel();
    fake.setLatency(5_000);
    const ctx = agentContext(
      cfg({ budget: { maxDurationMs: 400 }, onLimit: 'fail', stream: true }),
      { question: '?' },
      { env, flows: [kb, stock] },
    );
    const t0 = Date.now();
    const err = await failure(agentExecutor(ctx));
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(err.code).toBe('agent_limit');
    expect(err.path).toBe('config.budget.maxDurationMs');
    expect(err.retryable).toBe(false);
    await expect.poll(() => fake.calls[0]?.clientClosed).toBe(true);
    expect(fake.calls).toHaveLength(1);
  });

  it('cancels mid-tool-call: the child run is aborted and no further model call is made', async () => {
    fake.enqueue({ toolCalls: [{ name: 'slow', arguments: { query: 'q' } }] }, { reply: 'never' });
    const slow = templateFlow('slow', 'query', '{{query}}');
    const ac = new AbortController();
    let childSignal: AbortSignal | undefined;
    const ctx = agentContext(
      cfg({ tools: [{ kind: 'flow', flow: 'slow' }] }),
      { question: '?' },
      {
        env,
        flows: [slow],
        signal: ac.signal,
        runChild: (_id, _inputs, o) =>
          new Promise<RunResult>((resolve) => {
            childSignal = o?.signal;
            setTimeout(() => ac.abort(new Error('user cancelled')), 20);
            o?.signal?.addEventListener('abort', () =>
              resolve({ runId: 'c', status: 'cancelled', outputs: {}, trace: {} as RunResult['trace'] }),
            );
          }),
      },
    );
    const err = await failure(agentExecutor(ctx));
    expect(err.code).toBe('cancelled');
    expect(childSignal?.aborted).toBe(true);
    expect(fake.calls).toHaveLength(1);
  });

  it('retries a failed model call without re-running the tool (count calls at the tool)', async () => {
    fake.enqueue(
      { toolCalls: [{ id: 'once', name: 'kb-search', arguments: { query: '返品' } }] },
      { status: 500 },
      { status: 429, retryAfterMs: 1 },
      { reply: '返品は30日以内です。' },
    );
    const ctx = agentContext(cfg(), { question: '?' }, { env, flows: [kb, stock], retry: { max: 2, baseMs: 1 } });
    const res = await agentExecutor(ctx);
    expect(res.outputs.text).toBe('返品は30日以内です。');
    expect(ctx.childCalls).toHaveLength(1);
    expect(fake.calls).toHaveLength(4);
    expect(ctx.meta.modelRetries).toBe(2);
    // the retried request carries the same tool result, not a new call
    expect(toolMessages(3).map((m) => m.tool_call_id)).toEqual(['once']);
  });

  it('never hands the scheduler a retryable error (a whole-agent retry would repeat tools)', async () => {
    fake.enqueue({ toolCalls: [{ name: 'kb-search', arguments: { query: 'x' } }] }, { status: 503 }, { status: 503 });
    const ctx = agentContext(cfg(), { question: '?' }, { env, flows: [kb, stock], retry: { max: 1, baseMs: 1 } });
    const err = await failure(agentExecutor(ctx));
    expect(err.code).toBe('provider_error');
    expect(err.retryable).toBe(false);
    expect(ctx.childCalls).toHaveLength(1);
  });

  it('parses a JSON answer against the schema', async () => {
    fake.enqueue({ reply: '{"days": 30}' });
    const ctx = agentContext(
      cfg({ output: 'json', jsonSchema: { type: 'object', required: ['days'] } }),
      { question: '?' },
      { env, flows: [kb, stock] },
    );
    const res = await agentExecutor(ctx);
    expect(res.outputs).toMatchObject({ text: '{"days": 30}', json: { days: 30 }, steps: [] });
  });

  it('takes a prior conversation from `messages`', async () => {
    fake.enqueue({ reply: 'はい' });
    const ctx = agentContext(
      cfg(),
      {
        question: '続きは？',
        messages: [
          { role: 'user', content: '前の質問' },
          { role: 'assistant', content: '前の答え' },
        ],
      },
      { env, flows: [kb, stock] },
    );
    await agentExecutor(ctx);
    expect(body(0).messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('fails clearly for a tool flow that does not exist or an MCP server that is not configured', async () => {
    const missing = await failure(
      agentExecutor(agentContext(cfg({ tools: [{ kind: 'flow', flow: 'nope' }] }), { question: '?' }, { env })),
    );
    expect(missing.code).toBe('flow_not_found');
    expect(missing.path).toBe('config.tools[0].flow');
    const mcp = await failure(
      agentExecutor(agentContext(cfg({ tools: [{ kind: 'mcp', server: 'evil' }] }), { question: '?' }, { env })),
    );
    expect(mcp.code).toBe('mcp_server_not_configured');
    expect(mcp.message).toContain('BRAID_MCP_CONFIG');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('agent with MCP tools', () => {
  it('offers the chosen tools of a configured server and calls them; a server that is down is a tool error', async () => {
    const { McpClientRegistry } = await import('../../mcp/client');
    const { parseMcpConfig } = await import('../../mcp/config');
    const { startMcpHttpServer } = await import('../../../test/support/mcp-test-server');
    const srv = await startMcpHttpServer();
    const mcp = new McpClientRegistry(
      parseMcpConfig({ mcpServers: { calc: { url: srv.url }, gone: { url: 'http://127.0.0.1:9/mcp' } } }, 'test'),
      { allowHosts: ['127.0.0.1'], connectTimeoutMs: 2000 },
    );
    try {
      fake.enqueue(
        {
          toolCalls: [
            { id: 'm1', name: 'add', arguments: { a: 20, b: 22 } },
            { id: 'm2', name: 'echo', arguments: { text: 'やあ' } },
          ],
        },
        { reply: '42です' },
      );
      const ctx = agentContext(
        cfg({
          tools: [
            { kind: 'mcp', server: 'calc', tools: ['add', 'echo'] },
            { kind: 'mcp', server: 'gone', tools: ['lookup'] },
          ],
        }),
        { question: '20+22は？' },
        { env, mcp },
      );
      const res = await agentExecutor(ctx);
      expect(offeredTools(body(0))).toEqual(['add', 'echo', 'lookup']);
      const steps = res.outputs.steps as AgentStep[];
      expect(steps[0]).toMatchObject({ name: 'add', kind: 'mcp', result: { sum: 42 } });
      expect(steps[1]).toMatchObject({ name: 'echo', result: 'echo: やあ' });
      expect(ctx.meta.unavailableServers).toEqual([
        { server: 'gone', message: expect.stringContaining('unavailable') },
      ]);
      expect(res.outputs.text).toBe('42です');

      fake.enqueue({ toolCalls: [{ id: 'g', name: 'lookup', arguments: {} }] }, { reply: '使えません' });
      const ctx2 = agentContext(
        cfg({ tools: [{ kind: 'mcp', server: 'gone', tools: ['lookup'] }] }),
        { question: '?' },
        { env, mcp },
      );
      const res2 = await agentExecutor(ctx2);
      expect((res2.outputs.steps as AgentStep[])[0]!.error!.code).toBe('mcp_unavailable');
    } finally {
      await mcp.close();
      await srv.close();
    }
  }, 30_000);
});

describe('agent node in a real run', () => {
  it('runs through runFlow: steps stream as node_progress events and land in the outputs and span', async () => {
    const { runFlow } = await import('../index');
    const { loadConfig } = await import('../../config');
    const { McpClientRegistry } = await import('../../mcp/client');
    const { parseMcpConfig } = await import('../../mcp/config');
    const { startMcpHttpServer } = await import('../../../test/support/mcp-test-server');
    const srv = await startMcpHttpServer();
    const mcp = new McpClientRegistry(parseMcpConfig({ mcpServers: { calc: { url: srv.url } } }, 'test'), {
      allowHosts: ['127.0.0.1'],
    });
    try {
      fake.enqueue({ toolCalls: [{ id: 'e1', name: 'echo', arguments: { text: '東京' } }] }, { reply: '東京です' });
      const flow = {
        schemaVersion: 1 as const,
        id: 'agent-run',
        name: 'Agent run',
        inputs: [{ name: 'question', type: 'string' as const, required: true }],
        outputs: [
          { name: 'answer', type: 'string' as const },
          { name: 'steps', type: 'json' as const },
        ],
        nodes: [
          { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
          {
            id: 'agent',
            type: 'agent',
            position: { x: 1, y: 0 },
            config: {
              model: 'openai:gpt-4o-mini',
              prompt: '{{question}}',
              tools: [{ kind: 'mcp', server: 'calc', tools: ['echo'] }],
            },
          },
          { id: 'outputs', type: 'output', position: { x: 2, y: 0 } },
        ],
        edges: [
          { source: 'inputs', sourcePort: 'question', target: 'agent', targetPort: 'question' },
          { source: 'agent', sourcePort: 'text', target: 'outputs', targetPort: 'answer' },
          { source: 'agent', sourcePort: 'steps', target: 'outputs', targetPort: 'steps' },
        ],
      };
      const events: Array<{ type: string; progress?: Record<string, unknown> }> = [];
      const res = await runFlow(
        flow,
        { question: '首都は？' },
        {
          services: { config: loadConfig(env), mcp },
          onEvent: (e) => events.push(e as never),
        },
      );
      expect(res.status).toBe('succeeded');
      expect(res.outputs.answer).toBe('東京です');
      expect((res.outputs.steps as AgentStep[])[0]).toMatchObject({ name: 'echo', result: 'echo: 東京' });
      const kinds = events.filter((e) => e.type === 'node_progress').map((e) => e.progress!.kind);
      expect(kinds).toEqual([
        'model_call',
        'model_reply',
        'tool_call',
        'tool_result',
        'model_call',
        'model_reply',
        'answer',
      ]);
      const span = res.trace.spans.find((s) => s.nodeId === 'agent')!;
      expect(span.meta).toMatchObject({ modelCalls: 2, toolCalls: 1, tools: ['echo'] });
      expect(span.tokens!.totalTokens).toBeGreaterThan(0);
      expect(span.attempts).toBe(1);
    } finally {
      await mcp.close();
      await srv.close();
    }
  }, 30_000);
});
