/**
 * Cost of running JSONata in the process pool (server/sandbox/jsonata-pool.ts) instead of on
 * the server's thread: per-evaluation latency (p50/p95) of a small transform expression in
 * the calling thread vs one at a time through the pool, the pool's throughput when many
 * evaluations are in flight (a map over items), a one-transform flow through runFlow, and the
 * same for an expression bounded by construction, which runs on the calling thread.
 *
 *   npx tsx bench/runtime/jsonata.ts [evaluations=3000]
 */
import type { Flow } from '../../shared';
import { loadConfig } from '../../server/config';
import { runFlow } from '../../server/runtime';
import { evaluateJsonata, warmJsonataPool } from '../../server/runtime/jsonata';
import { evaluateInThread } from '../../server/runtime/jsonata-engine';
import { coreExecutors } from '../../server/runtime/test-executors';

const EXPR = '{"name": $uppercase(user.name), "total": $sum(items.price), "n": $count(items)}';
/** Bounded by construction (no function call): runs on the calling thread (server/runtime/jsonata-inline.ts). */
const BOUNDED = '{"name": user.name & "様", "prices": items.price, "pricey": 3 in items.price}';
const input = (i: number) => ({
  user: { name: `ユーザー${i}` },
  items: [
    { price: 1.5, sku: 'a' },
    { price: i % 7, sku: 'b' },
  ],
});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push((performance.now() - t) * 1000);
  }
  return out;
}

const flowOf = (expression: string): Flow => ({
  schemaVersion: 1,
  id: 'bench-jsonata',
  name: 'Bench: one JSONata transform',
  inputs: [{ name: 'order', type: 'json', required: true }],
  outputs: [{ name: 'result', type: 'json' }],
  nodes: [
    { id: 'in', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 't',
      type: 'transform',
      position: { x: 0, y: 0 },
      config: { mode: 'jsonata', expression: expression.replace(/user|items/g, 'order.$&') },
    },
    { id: 'out', type: 'output', position: { x: 0, y: 0 } },
  ],
  edges: [
    { source: 'in', sourcePort: 'order', target: 't', targetPort: 'order' },
    { source: 't', sourcePort: 'result', target: 'out', targetPort: 'result' },
  ],
});
const oneTransform = flowOf(EXPR);
const oneBoundedTransform = flowOf(BOUNDED);

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 3000);
  warmJsonataPool();
  await evaluateJsonata('$string(1)', null); // a function call: runs in the pool
  // warm-up both paths
  await timeEach(500, (i) => evaluateInThread(EXPR, input(i), undefined, 'json'));
  await timeEach(500, (i) => evaluateJsonata(EXPR, input(i)));

  const inThread = await timeEach(n, (i) => evaluateInThread(EXPR, input(i), undefined, 'json'));
  const pooled = await timeEach(n, (i) => evaluateJsonata(EXPR, input(i)));

  const conc = 16;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async (_, k) => {
      for (let i = k; i < n; i += conc) await evaluateJsonata(EXPR, input(i));
    }),
  );
  const pipelinedUs = ((performance.now() - t0) * 1000) / n;

  const services = { config: loadConfig({}) };
  const flowRun = async (i: number) => {
    const res = await runFlow(oneTransform, { order: input(i) }, { services, executors: coreExecutors });
    if (res.status !== 'succeeded') throw new Error(JSON.stringify(res.trace.error));
  };
  await timeEach(300, flowRun);
  const flowRuns = await timeEach(Math.min(n, 2000), flowRun);
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async (_, k) => {
      for (let i = k; i < n; i += conc) await flowRun(i);
    }),
  );
  const flowPipelinedUs = ((performance.now() - t1) * 1000) / n;

  await timeEach(500, (i) => evaluateJsonata(BOUNDED, input(i)));
  const bounded = await timeEach(n, (i) => evaluateJsonata(BOUNDED, input(i)));
  const boundedInThread = await timeEach(n, (i) => evaluateInThread(BOUNDED, input(i), undefined, 'json'));
  const boundedRun = async (i: number) => {
    const res = await runFlow(oneBoundedTransform, { order: input(i) }, { services, executors: coreExecutors });
    if (res.status !== 'succeeded') throw new Error(JSON.stringify(res.trace.error));
  };
  await timeEach(300, boundedRun);
  const boundedRuns = await timeEach(Math.min(n, 2000), boundedRun);

  const f = (x: number) => `${x.toFixed(1)} µs`;
  console.log('| measure | p50 | p95 |');
  console.log('| --- | --- | --- |');
  console.log(`| evaluation on the calling thread | ${f(pct(inThread, 50))} | ${f(pct(inThread, 95))} |`);
  console.log(`| evaluation through the pool, one at a time | ${f(pct(pooled, 50))} | ${f(pct(pooled, 95))} |`);
  console.log(`| added by the pool (p50 difference) | ${f(pct(pooled, 50) - pct(inThread, 50))} | |`);
  console.log(`| pool, ${conc} in flight (per evaluation) | ${f(pipelinedUs)} | |`);
  console.log(`| runFlow: input → transform (JSONata) → output | ${f(pct(flowRuns, 50))} | ${f(pct(flowRuns, 95))} |`);
  console.log(`| runFlow, ${conc} runs in flight (per run) | ${f(flowPipelinedUs)} | |`);
  console.log(`| bounded expression, engine alone | ${f(pct(boundedInThread, 50))} | ${f(pct(boundedInThread, 95))} |`);
  console.log(`| bounded expression via evaluateJsonata (inline) | ${f(pct(bounded, 50))} | ${f(pct(bounded, 95))} |`);
  console.log(
    `| runFlow: input → bounded transform → output | ${f(pct(boundedRuns, 50))} | ${f(pct(boundedRuns, 95))} |`,
  );
  process.exit(0);
}

void main();
