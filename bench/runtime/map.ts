/**
 * Map node benchmarks (issue 10), in one process:
 *
 *   npx tsx bench/runtime/map.ts [overhead|throughput|scale|all]
 *
 * - overhead: 1,000 items over a one-transform child flow, concurrency 1. Per item, the map run's wall time
 *   minus the same child flow run directly with runFlow (the child's own work, measured in
 *   the same process right before): target ≤ 100 µs per item.
 * - throughput: 200 items, child = one prompt node against the fake OpenAI server at 50 ms
 *   latency, concurrency 20: target ≤ 1.2 × the ideal 200 / 20 × 50 ms = 0.5 s. The fake runs in
 *   its own process, as a model server does (`--fake-in-process` puts it in this one, where its
 *   CPU competes with the runtime's).
 * - scale: 10,000 items over the one-transform child, with an event listener that drops
 *   every event (as a caller persisting child runs would): peak RSS growth < 200 MB.
 */
import type { RunEvent } from '../../shared';
import { loadConfig } from '../../server/config';
import { runFlow } from '../../server/runtime';
import { coreExecutors } from '../../server/runtime/test-executors';
import { makeFlow, mapFlow, memoryFlows, node, upperFlow } from '../../server/runtime/composition-fixtures';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../../test/support/fake-openai';

const which = process.argv[2] ?? 'all';
const config = loadConfig({ BRAID_MAX_TREE_NODES: '1000000', BRAID_LOG_LEVEL: 'silent' });

async function overhead(): Promise<void> {
  const child = upperFlow();
  const services = { config, flows: memoryFlows(child) };
  const items = Array.from({ length: 1000 }, (_, i) => `項目${i}`);
  const parent = mapFlow('upper', { concurrency: 1 }); // sequential, like the direct loop
  const direct = async (): Promise<number> => {
    const t0 = performance.now();
    for (const text of items) await runFlow(child, { text }, { services, executors: coreExecutors });
    return performance.now() - t0;
  };
  const mapped = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await runFlow(parent, { items }, { services, executors: coreExecutors });
    if (res.status !== 'succeeded') throw new Error(JSON.stringify(res.trace.error));
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) {
    await direct();
    await mapped();
  }
  const rounds = 7;
  const d: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < rounds; i++) {
    d.push(await direct());
    m.push(await mapped());
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perChild = (med(d) * 1000) / items.length;
  const perItem = (med(m) * 1000) / items.length;
  console.log(
    `overhead   1000 items: child run alone ${perChild.toFixed(1)} µs/item, in a map ${perItem.toFixed(1)} µs/item → map overhead ${(perItem - perChild).toFixed(1)} µs/item (target ≤ 100)`,
  );
}

/** The fake OpenAI server in a child process (as a model server is): its URL and a close. */
async function fakeInChild(latencyMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'node_modules/tsx/dist/cli.mjs'),
      'test/support/fake-openai.ts',
      '--port',
      '0',
      '--latency',
      String(latencyMs),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/v1)\n/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`fake OpenAI server exited with ${code}: ${out}`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function throughput(): Promise<void> {
  const fake = process.argv.includes('--fake-in-process')
    ? await startFakeOpenAI({ latencyMs: 50, responder: () => 'ok' })
    : await fakeInChild(50);
  try {
    const cfg = loadConfig({
      BRAID_MAX_TREE_NODES: '1000000',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-bench-0123456789',
    });
    const child = makeFlow(
      'ask',
      [{ name: 'text', type: 'string', required: true }],
      [{ name: 'out', type: 'string' }],
      [
        node('p', 'prompt', {
          model: 'openai:gpt-4o-mini',
          messages: [{ role: 'user', content: '{{text}}' }],
        }),
      ],
      [
        ['inputs', 'text', 'p', 'text'],
        ['p', 'text', 'outputs', 'out'],
      ],
    );
    const services = { config: cfg, flows: memoryFlows(child) };
    const parent = mapFlow('ask', { concurrency: 20 });
    const items = Array.from({ length: 200 }, (_, i) => `質問${i}`);
    await runFlow(parent, { items: items.slice(0, 20) }, { services }); // warm-up (LangChain, sockets)
    // Baseline: the same 200 child runs started directly, 20 at a time (no map node).
    const t1 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < items.length) await runFlow(child, { text: items[next++] }, { services });
      }),
    );
    console.log(
      `throughput baseline: the same 200 child runs, 20 at a time, no map: ${((performance.now() - t1) / 1000).toFixed(3)} s`,
    );
    // A/B in the same process, interleaved: the direct chunk stream (default) against
    // LangChain's Runnable stream() (what a prompt uses when BRAID_LANGSMITH_TRACING=1 lets
    // LangChain callbacks observe calls; no LANGSMITH_* variables are set, so nothing is sent).
    const traced = { ...services, config: { ...cfg, langsmithTracing: true } };
    const walls: Record<'direct' | 'runnable', string[]> = { direct: [], runnable: [] };
    for (let r = 0; r < 3; r++) {
      for (const [name, svc] of [
        ['direct', services],
        ['runnable', traced],
      ] as const) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const res = await runFlow(parent, { items }, { services: svc });
        if (res.status !== 'succeeded') throw new Error(JSON.stringify(res.trace.error));
        const w = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(c0);
        const perItem = (cpu.user + cpu.system) / 1000 / items.length;
        walls[name].push(`${w.toFixed(3)} s (${(w / 0.5).toFixed(2)} ×, ${perItem.toFixed(2)} ms CPU/item)`);
      }
    }
    console.log(`throughput 200 items × 50 ms, c=20: ${walls.direct.join(', ')}; target ≤ 0.6 s (1.2 × 0.5 s)`);
    console.log(`  same, prompt through Runnable.stream() (LangChain tracing on): ${walls.runnable.join(', ')}`);
  } finally {
    await fake.close();
  }
}

async function scale(): Promise<void> {
  const child = upperFlow();
  const services = { config, flows: memoryFlows(child) };
  const items = Array.from({ length: 10_000 }, (_, i) => `文書${i}: ${'x'.repeat(40)}`);
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  let events = 0;
  const t0 = performance.now();
  const res = await runFlow(
    mapFlow('upper', { concurrency: 8 }),
    { items },
    {
      services,
      executors: coreExecutors,
      onEvent: (_e: RunEvent) => void events++,
    },
  );
  const wall = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (res.status !== 'succeeded') throw new Error(JSON.stringify(res.trace.error));
  console.log(
    `scale      10000 items: ${(wall / 1000).toFixed(2)} s, ${events} events, peak RSS growth ${((peak - base) / 1048576).toFixed(1)} MB (target < 200 MB)`,
  );
}

if (which === 'overhead' || which === 'all') await overhead();
if (which === 'throughput' || which === 'all') await throughput();
if (which === 'scale' || which === 'all') await scale();
