/**
 * Per-run cost of the OpenTelemetry export: a small flow (input → 3 template transforms →
 * output) run through `runFlow` with an event listener, export off vs on (OTLP/HTTP JSON to
 * a receiver in a child process on 127.0.0.1, so its parsing does not count against us),
 * and on with content capture off. Modes are interleaved in blocks so load changes hit
 * them alike; prints the median µs per run (wall and CPU) of each mode and the added cost.
 *
 *   npx tsx bench/telemetry/overhead.ts [runs per block=500] [blocks=5]
 */
import { spawn } from 'node:child_process';
import type { Flow, RunEvent } from '../../shared';
import { loadConfig } from '../../server/config';
import { runFlow } from '../../server/runtime';
import { coreExecutors } from '../../server/runtime/test-executors';
import { createRunTelemetry, type RunTelemetry } from '../../server/telemetry/index';

function smallFlow(): Flow {
  const t = (id: string, x: number) => ({
    id,
    type: 'transform' as const,
    position: { x, y: 0 },
    config: { mode: 'template', template: '{{a}} — 東京 {{a}}' },
  });
  return {
    schemaVersion: 1,
    id: 'bench-otel',
    name: 'Bench: OpenTelemetry overhead',
    inputs: [{ name: 'q', type: 'string', required: true }],
    outputs: [{ name: 'answer', type: 'string' }],
    nodes: [
      { id: 'in', type: 'input', position: { x: 0, y: 0 } },
      t('t1', 100),
      t('t2', 200),
      t('t3', 300),
      { id: 'out', type: 'output', position: { x: 400, y: 0 } },
    ],
    edges: [
      { source: 'in', sourcePort: 'q', target: 't1', targetPort: 'a' },
      { source: 't1', sourcePort: 'result', target: 't2', targetPort: 'a' },
      { source: 't2', sourcePort: 'result', target: 't3', targetPort: 'a' },
      { source: 't3', sourcePort: 'result', target: 'out', targetPort: 'answer' },
    ],
  };
}

/** A receiver in its own process: counts spans, answers `GET /count`. */
const RECEIVER = `
const http = require('node:http');
let spans = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') return res.end(String(spans));
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += (ss.spans ?? []).length;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startReceiver(): Promise<{ url: string; count(): Promise<number>; stop(): void }> {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    count: async () => Number(await (await fetch(`${url}/count`)).text()),
    stop: () => child.kill(),
  };
}

interface Mode {
  name: string;
  telemetry?: RunTelemetry;
  wall: number[];
  cpu: number[];
}

async function main(): Promise<void> {
  const nums = process.argv
    .slice(2)
    .filter((a) => /^\d+$/.test(a))
    .map(Number);
  const perBlock = nums[0] ?? 500;
  const blocks = nums[1] ?? 5;
  const receiver = await startReceiver();
  const flow = smallFlow();
  const services = { config: loadConfig({}) };
  const on = (maxChars: string) =>
    createRunTelemetry(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, BRAID_OTEL_CONTENT_MAX_CHARS: maxChars }),
    );
  const modes: Mode[] = [
    { name: 'off', wall: [], cpu: [] },
    { name: 'on', telemetry: on('4096'), wall: [], cpu: [] },
    { name: 'on, no content', telemetry: on('0'), wall: [], cpu: [] },
  ];
  let events = 0;
  const run = async (m: Mode): Promise<void> => {
    const t = m.telemetry;
    // The off path is what callers do: `telemetry?.onEvent(…)` with telemetry undefined.
    const onEvent = (e: RunEvent): void => {
      events++;
      t?.onEvent(e);
    };
    const res = await runFlow(flow, { q: 'こんにちは' }, { services, executors: coreExecutors, onEvent });
    if (res.status !== 'succeeded') throw new Error(`bench run ${res.status}`);
  };
  // warm-up (loads the SDK, JITs both paths)
  for (const m of modes) for (let i = 0; i < 300; i++) await run(m);
  for (const m of modes) await m.telemetry?.flush();
  const before = await receiver.count();
  for (let b = 0; b < blocks; b++) {
    for (const m of modes) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < perBlock; i++) await run(m);
      await m.telemetry?.flush(); // the export's own cost is part of "on"
      const ns = Number(process.hrtime.bigint() - t0);
      const cpu = process.cpuUsage(c0);
      m.wall.push(ns / 1e3 / perBlock);
      m.cpu.push((cpu.user + cpu.system) / perBlock);
    }
  }
  const received = (await receiver.count()) - before;
  const expected = 2 * blocks * perBlock * (flow.nodes.length + 1);
  for (const m of modes) await m.telemetry?.shutdown();
  receiver.stop();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const off = modes[0]!;
  const date = new Date().toISOString().slice(0, 10);
  console.log('| mode | µs/run (wall, median) | µs/run (CPU, median) | added vs off (wall / CPU) | date |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const m of modes) {
    const dw = median(m.wall) - median(off.wall);
    const dc = median(m.cpu) - median(off.cpu);
    console.log(
      `| ${m.name} | ${median(m.wall).toFixed(1)} | ${median(m.cpu).toFixed(1)} | ${m === off ? '—' : `${dw.toFixed(1)} / ${dc.toFixed(1)} µs (${((median(m.wall) / median(off.wall)) * 100 - 100).toFixed(0)} %)`} | ${date} |`,
    );
  }
  console.log(
    `\n${flow.nodes.length} nodes, ${perBlock} runs × ${blocks} blocks per mode; ${events} events; spans received ${received} of ${expected}`,
  );
}

void main();
