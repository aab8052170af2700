/**
 * Agent overhead per iteration: Braid's agent node against a hand-written LangChain
 * `bindTools` loop, both calling the same zero-latency fake OpenAI server, in one process
 * and one run (variants in alternating batches so machine noise hits both).
 *
 *   npx tsx bench/runtime/agent.ts [--n 400] [--iterations 3] [--batch 5] [--warmup 60] [--stream]
 *
 * Each run: the model asks for one tool call per iteration (`--iterations`), then answers.
 * - braid: the agent executor with a flow tool — every call is a real child run (runFlow of
 *   input → template transform → output), arguments checked against the flow's schema,
 *   steps streamed through emitProgress, usage and cost recorded;
 * - baseline: ChatOpenAI (configured as server/llm/providers.ts does, own keep-alive fetch)
 *   `.bindTools([tool])`, `invoke` in a loop, the tool a plain function rendering the same text.
 * - braid-loop: the same agent with `runChild` replaced by that plain function (the loop's
 *   own cost, without the child run's).
 * Reported: p50/p90 per run, the p50 delta divided by the iterations (target ≤ 1 ms), and the
 * process CPU time per run (fake server included, the same for all variants): the steadier
 * measure on a loaded machine.
 */
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, SystemMessage, ToolMessage, type AIMessage, type BaseMessage } from '@langchain/core/messages';
import { agentConfig } from '../../shared/nodes/agent';
import { renderTemplate } from '../../shared/template';
import { createAgentExecutor } from '../../server/runtime/executors/agent';
import { createFastFetch } from '../../server/llm/fast-fetch';
import { loadConfig } from '../../server/config';
import { startFakeOpenAI, type ChatRequest } from '../../test/support/fake-openai';
import { agentContext, templateFlow } from '../../test/support/agent-context';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const N = Number(arg('--n', '400'));
const ITER = Number(arg('--iterations', '3'));
const BATCH = Number(arg('--batch', '5'));
const WARMUP = Number(arg('--warmup', '60'));
const STREAM = args.includes('--stream');
const API_KEY = 'sk-bench-0123456789abcdef';
const SYSTEM = 'Use the lookup tool, then answer.';
const TEMPLATE = '記事: {{query}} の答え';

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

async function main(): Promise<void> {
  const fake = await startFakeOpenAI();
  // Scripted by the conversation: a tool call until ITER tool results are in, then the answer.
  fake.setResponder((req: ChatRequest) => {
    const done = req.messages.filter((m) => m.role === 'tool').length;
    return done < ITER ? { toolCalls: [{ name: 'lookup', arguments: { query: `q${done}` } }] } : 'done';
  });
  const env = { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: API_KEY };
  const runConfig = loadConfig(env); // once, as a server does
  const flow = templateFlow('lookup', 'query', TEMPLATE, 'what to look up');
  const config = agentConfig.parse({
    model: 'openai:gpt-4o-mini',
    instructions: SYSTEM,
    prompt: '{{question}}',
    tools: [{ kind: 'flow', flow: 'lookup', description: 'Look something up' }],
    maxIterations: ITER + 1,
    stream: STREAM,
  });
  const agent = createAgentExecutor();
  const braid = async (): Promise<void> => {
    const ctx = agentContext(config, { question: 'What is Braid?' }, { env, config: runConfig, flows: [flow] });
    const res = await agent(ctx);
    if (res.outputs.text !== 'done' || (res.outputs.steps as unknown[]).length !== ITER)
      throw new Error('bad braid run');
  };

  // The same agent with the child run replaced by the plain function the baseline uses:
  // isolates the loop's own cost from the cost of a child run (server/runtime scheduler).
  const stubChild = async (_id: string, inputs: Record<string, unknown>) => ({
    runId: 'stub',
    status: 'succeeded' as const,
    outputs: { answer: renderTemplate(TEMPLATE, inputs) },
    trace: {} as never,
  });
  const braidLoop = async (): Promise<void> => {
    const ctx = agentContext(
      config,
      { question: 'What is Braid?' },
      { env, config: runConfig, flows: [flow], runChild: stubChild },
    );
    const res = await agent(ctx);
    if (res.outputs.text !== 'done' || (res.outputs.steps as unknown[]).length !== ITER)
      throw new Error('bad braid run');
  };

  const chat = new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey: API_KEY,
    temperature: 0,
    maxRetries: 0,
    streamUsage: true,
    configuration: { baseURL: fake.url, maxRetries: 0, fetch: createFastFetch() },
  }).bindTools([
    {
      type: 'function',
      function: {
        name: 'lookup',
        description: 'Look something up',
        parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
      },
    },
  ]);
  const baseline = async (): Promise<void> => {
    const messages: BaseMessage[] = [new SystemMessage(SYSTEM), new HumanMessage('What is Braid?')];
    let calls = 0;
    for (;;) {
      let msg: AIMessage;
      if (STREAM) {
        let full: AIMessage | undefined;
        for await (const c of await chat.stream(messages))
          full = full ? (full as never as { concat(x: unknown): AIMessage }).concat(c) : c;
        msg = full!;
      } else msg = await chat.invoke(messages);
      if (!msg.tool_calls?.length) break;
      messages.push(msg);
      for (const tc of msg.tool_calls) {
        calls++;
        const answer = renderTemplate(TEMPLATE, tc.args);
        messages.push(new ToolMessage({ content: JSON.stringify({ answer }), tool_call_id: tc.id ?? '' }));
      }
    }
    if (calls !== ITER) throw new Error('bad baseline run');
  };

  const variants = [
    { id: 'baseline', fn: baseline, samples: [] as number[], cpuUs: 0 },
    { id: 'braid', fn: braid, samples: [] as number[], cpuUs: 0 },
    { id: 'braid-loop', fn: braidLoop, samples: [] as number[], cpuUs: 0 },
  ];
  for (let i = 0; i < WARMUP; i++) for (const v of variants) await v.fn();
  for (let round = 0; round * BATCH < N; round++) {
    const order = round % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < BATCH; i++) {
        const t0 = performance.now();
        await v.fn();
        v.samples.push(performance.now() - t0);
      }
      const c = process.cpuUsage(c0);
      v.cpuUs += c.user + c.system;
    }
  }
  const p = (v: (typeof variants)[number], q: number) =>
    quantile(
      [...v.samples].sort((a, b) => a - b),
      q,
    );
  const [b, a, l] = variants as [(typeof variants)[number], (typeof variants)[number], (typeof variants)[number]];
  console.log(
    `agent overhead, ${ITER} tool iterations + answer per run, ${N} runs each, ${STREAM ? 'streamed' : 'invoke'}`,
  );
  for (const v of variants)
    console.log(`  ${v.id.padEnd(10)} p50 ${p(v, 0.5).toFixed(3)} ms  p90 ${p(v, 0.9).toFixed(3)} ms per run`);
  for (const [v, what] of [
    [a, 'agent with child runs'],
    [l, 'agent loop only (tool = plain function)'],
  ] as const) {
    const delta = p(v, 0.5) - p(b, 0.5);
    // CPU time of the whole process (fake server included, the same for both) per run: robust to a loaded machine.
    const cpuDelta = (v.cpuUs - b.cpuUs) / v.samples.length / 1000;
    console.log(
      `  ${what}: CPU ${(cpuDelta / ITER).toFixed(3)} ms more per iteration (${(v.cpuUs / v.samples.length / 1000).toFixed(3)} vs ${(b.cpuUs / b.samples.length / 1000).toFixed(3)} ms CPU per run)`,
    );
    console.log(
      `  ${what}: delta p50 ${delta.toFixed(3)} ms per run = ${(delta / ITER).toFixed(3)} ms per iteration (target ≤ 1 ms)`,
    );
  }
  await fake.close();
}

await main();
