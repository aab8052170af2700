/**
 * One-prompt run overhead: what Braid adds on top of a bare LangChain ChatOpenAI call to
 * the same zero-latency fake OpenAI server, measured in one process, in one run.
 *
 *   npx tsx bench/runtime/prompt.ts [--n 2000] [--batch 25] [--warmup 300] [--only a,b] [--no-stream]
 *
 * Pairs (Braid vs its baseline; the delta is what Braid adds):
 *   in-process:  runFlow(flow)                       vs  chat.invoke()  (chat.stream() for streaming)
 *   in-process:  RunService.runStored(id) (load + run + SQLite writes)  vs  the same bare call
 *   HTTP:        POST /api/flows/:id/runs on the real app (startServer)
 *                vs  a trivial Express app: express.json() + one route that calls the
 *                    same ChatOpenAI and res.json()s the text.
 * Both HTTP paths pay one client → server hop over a keep-alive node:http agent, so the
 * delta is Braid's own middleware, run service, runtime, trace and persistence — not
 * connection setup or the HTTP stack (which any deployment of the bare call would pay).
 *
 * Fairness: the baseline ChatOpenAI is configured exactly as server/llm/providers.ts does
 * it (maxRetries 0, streamUsage, temperature 0, the keep-alive fast fetch from
 * server/llm/fast-fetch.ts), on its own fetch instance. A second baseline with Node's
 * default global fetch is reported for context only. Variants are measured in alternating
 * batches (order rotated every round) after a warm-up, so machine noise hits all of them.
 * Braid logs at its default level (info, one pino line per request) into /dev/null.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, SystemMessage, type AIMessageChunk } from '@langchain/core/messages';
import type { Flow } from '../../shared';
import { loadConfig } from '../../server/config';
import { startServer } from '../../server/app';
import { runFlow } from '../../server/runtime';
import { createFastFetch, type FetchFn } from '../../server/llm/fast-fetch';
import { startFakeOpenAI } from '../../test/support/fake-openai';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const N = Number(arg('--n', '2000'));
const BATCH = Number(arg('--batch', '25'));
const WARMUP = Number(arg('--warmup', '300'));
const ONLY = arg('--only', '').split(',').filter(Boolean);
const STREAM = !args.includes('--no-stream');

const API_KEY = 'sk-bench-0123456789abcdef';
const SYSTEM = 'You are a concise assistant.';
const QUESTION = 'What is Braid?';

function promptFlow(id: string, stream: boolean): Flow {
  return {
    schemaVersion: 1,
    id,
    name: `Bench prompt (${stream ? 'stream' : 'invoke'})`,
    inputs: [{ name: 'question', type: 'string', required: true }],
    outputs: [{ name: 'answer', type: 'string' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      {
        id: 'answer',
        type: 'prompt',
        position: { x: 300, y: 0 },
        config: {
          model: 'openai:gpt-4o-mini',
          temperature: 0,
          stream,
          messages: [
            { role: 'system', content: SYSTEM },
            { role: 'user', content: '{{question}}' },
          ],
        },
      },
      { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
    ],
    edges: [
      { source: 'inputs', sourcePort: 'question', target: 'answer', targetPort: 'question' },
      { source: 'answer', sourcePort: 'text', target: 'outputs', targetPort: 'answer' },
    ],
  };
}

/** A ChatOpenAI built like server/llm/providers.ts builds it; `fetch` undefined = global fetch. */
function bareChat(baseURL: string, f: FetchFn | undefined): ChatOpenAI {
  return new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey: API_KEY,
    temperature: 0,
    maxRetries: 0,
    streamUsage: true,
    configuration: { baseURL, maxRetries: 0, ...(f ? { fetch: f } : {}) },
  });
}

async function bareCall(chat: ChatOpenAI, stream: boolean): Promise<string> {
  const messages = [new SystemMessage(SYSTEM), new HumanMessage(QUESTION)];
  if (!stream) {
    const msg = await chat.invoke(messages);
    return String(msg.content);
  }
  let text = '';
  for await (const chunk of (await chat.stream(messages)) as AsyncIterable<AIMessageChunk>)
    text += String(chunk.content);
  return text;
}

/** POST JSON over a keep-alive agent; resolves with the parsed body (status must be 200). */
function postJson(agent: http.Agent, url: URL, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            reject(new Error(`${url.pathname}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Variant {
  id: string;
  label: string;
  fn: () => Promise<void>;
  samples: number[];
  /** Process CPU time (user + system, µs) spent while this variant ran. */
  cpuUs: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

function stats(samples: number[]): { p50: number; p90: number; p99: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
  };
}

const us = (ms: number): string => `${Math.round(ms * 1000)} µs`;
const signedUs = (ms: number): string => `${ms >= 0 ? '+' : '−'}${Math.round(Math.abs(ms) * 1000)} µs`;

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

async function main(): Promise<void> {
  const fake = await startFakeOpenAI();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-prompt-'));
  const flowsDir = path.join(tmp, 'flows');
  fs.mkdirSync(flowsDir);
  for (const [id, stream] of [
    ['bench-invoke', false],
    ['bench-stream', true],
  ] as const) {
    fs.writeFileSync(path.join(flowsDir, `${id}.flow.json`), JSON.stringify(promptFlow(id, stream), null, 2));
  }
  const config = loadConfig({
    BRAID_FLOWS_DIR: flowsDir,
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    OPENAI_BASE_URL: fake.url,
    // A key, as in production: Braid then redacts it from every event, trace and response.
    OPENAI_API_KEY: API_KEY,
    BRAID_LOG_LEVEL: 'info',
  });
  // Braid's own logger settings (createLogger), written to /dev/null instead of stdout.
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: 'braid' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.apiKey', '*.token'],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: '/dev/null', sync: true }),
  );
  const braid = await startServer({ ...config, port: 0 }, { logger });
  const ctx = braid.app.context;
  const loaded = {
    invoke: await ctx.runService.loadRunnable('bench-invoke'),
    stream: await ctx.runService.loadRunnable('bench-stream'),
  };

  const fast = createFastFetch();
  const chatFast = bareChat(fake.url, fast);
  const chatGlobal = bareChat(fake.url, undefined);

  // The baseline HTTP hop: a trivial Express app around the bare call.
  const plain = express();
  plain.use(express.json());
  plain.post('/invoke', async (req, res) => {
    const q = (req.body as { inputs?: { question?: string } }).inputs?.question;
    res.json({ outputs: { answer: await bareCall(chatFast, false) }, q });
  });
  plain.post('/stream', async (_req, res) => {
    res.json({ outputs: { answer: await bareCall(chatFast, true) } });
  });
  const plainServer = http.createServer(plain);
  plainServer.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => plainServer.listen(0, '127.0.0.1', r));
  const plainUrl = `http://127.0.0.1:${(plainServer.address() as AddressInfo).port}`;

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ inputs: { question: QUESTION } });
  const inputs = { question: QUESTION };
  const expectAnswer = (v: unknown, where: string): void => {
    const a = (v as { outputs?: { answer?: unknown } }).outputs?.answer;
    if (typeof a !== 'string' || !a.startsWith('Echo:'))
      throw new Error(`${where}: unexpected answer ${JSON.stringify(v).slice(0, 300)}`);
  };

  const variants: Variant[] = [];
  const add = (id: string, label: string, fn: () => Promise<void>): void => {
    if (ONLY.length === 0 || ONLY.includes(id)) variants.push({ id, label, fn, samples: [], cpuUs: 0 });
  };
  const modes: Array<'invoke' | 'stream'> = STREAM ? ['invoke', 'stream'] : ['invoke'];
  for (const mode of modes) {
    const s = mode === 'stream';
    const flow = loaded[mode];
    add(`bare-${mode}`, `bare ChatOpenAI.${mode}() + fast fetch`, async () => {
      if (!(await bareCall(chatFast, s)).startsWith('Echo:')) throw new Error('bare: bad reply');
    });
    add(`bare-global-${mode}`, `bare ChatOpenAI.${mode}() + global fetch (context)`, async () => {
      if (!(await bareCall(chatGlobal, s)).startsWith('Echo:')) throw new Error('bare-global: bad reply');
    });
    add(`runflow-${mode}`, `runFlow (prompt stream: ${s})`, async () => {
      const r = await runFlow(flow, inputs, { services: ctx.services });
      if (r.status !== 'succeeded') throw new Error(`runFlow: ${JSON.stringify(r.trace.error)}`);
    });
    add(`service-${mode}`, `RunService.runStored (load + run + SQLite)`, async () => {
      const r = await ctx.runService.runStored(`bench-${mode}`, inputs, { source: 'api' });
      if (r.status !== 'succeeded') throw new Error(`runStored: ${JSON.stringify(r.trace.error)}`);
    });
    add(`http-plain-${mode}`, `Express + bare ChatOpenAI.${mode}()`, async () => {
      expectAnswer(await postJson(agent, new URL(`${plainUrl}/${mode}`), body), 'plain');
    });
    add(`http-braid-${mode}`, `POST /api/flows/:id/runs`, async () => {
      expectAnswer(await postJson(agent, new URL(`${braid.url}/api/flows/bench-${mode}/runs`), body), 'braid');
    });
  }

  // Warm up every variant (JIT, sockets, caches), then alternate batches.
  for (const v of variants) for (let i = 0; i < WARMUP; i++) await v.fn();
  fake.reset();
  await ctx.runService.settled();
  const rounds = Math.ceil(N / BATCH);
  for (let r = 0; r < rounds; r++) {
    const count = Math.min(BATCH, N - r * BATCH);
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length] as Variant;
      const c0 = process.cpuUsage();
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await v.fn();
        v.samples.push(performance.now() - t0);
      }
      const c = process.cpuUsage(c0);
      v.cpuUs += c.user + c.system;
      // The last run's finished row is written on the next turn: let it land before the
      // next variant's batch (earlier ones are counted, as the next request would feel them).
      await ctx.runService.settled();
    }
    fake.calls.length = 0; // the fake records every call; keep memory flat
  }
  await ctx.runService.settled();

  const byId = new Map(variants.map((v) => [v.id, { v, s: stats(v.samples) }]));
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${os.cpus().length} cpu (${cpuModel()}), node ${process.version}, load avg ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
  console.log(`\n${date} · ${machine}`);
  console.log(`n = ${N} per variant (batches of ${BATCH}, alternating, ${WARMUP} warm-up each), sequential requests\n`);
  console.log('| variant | p50 | p90 | p99 | mean | CPU per call |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const v of variants) {
    const s = stats(v.samples);
    const cpu = `${Math.round(v.cpuUs / Math.max(1, v.samples.length))} µs`;
    console.log(`| ${v.label} | ${us(s.p50)} | ${us(s.p90)} | ${us(s.p99)} | ${us(s.mean)} | ${cpu} |`);
  }
  const pairs: Array<[string, string, string]> = [];
  for (const mode of modes) {
    pairs.push([`in-process, ${mode}: runFlow − bare`, `runflow-${mode}`, `bare-${mode}`]);
    pairs.push([`in-process, ${mode}: RunService − bare`, `service-${mode}`, `bare-${mode}`]);
    pairs.push([`HTTP, ${mode}: Braid endpoint − Express + bare`, `http-braid-${mode}`, `http-plain-${mode}`]);
    pairs.push([`context, ${mode}: bare global fetch − bare fast fetch`, `bare-global-${mode}`, `bare-${mode}`]);
  }
  console.log('\n| added latency | Δ p50 | Δ p90 | Δ p99 | target p50 ≤ 1 ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [label, a, b] of pairs) {
    const x = byId.get(a);
    const y = byId.get(b);
    if (!x || !y) continue;
    const d50 = x.s.p50 - y.s.p50;
    const ok = label.startsWith('context') ? '—' : d50 <= 1 ? 'met' : 'MISSED';
    console.log(
      `| ${label} | ${signedUs(d50)} | ${signedUs(x.s.p90 - y.s.p90)} | ${signedUs(x.s.p99 - y.s.p99)} | ${ok} |`,
    );
  }

  // Where Braid's added time goes, layer by layer (differences of p50s and of CPU per call).
  const cpuOf = (id: string): number | undefined => {
    const v = byId.get(id)?.v;
    return v ? v.cpuUs / Math.max(1, v.samples.length) / 1000 : undefined;
  };
  const p50Of = (id: string): number | undefined => byId.get(id)?.s.p50;
  const layer = (get: (id: string) => number | undefined, plus: string[], minus: string[]): string => {
    let sum = 0;
    for (const id of plus) {
      const x = get(id);
      if (x === undefined) return 'n/a';
      sum += x;
    }
    for (const id of minus) {
      const x = get(id);
      if (x === undefined) return 'n/a';
      sum -= x;
    }
    return signedUs(sum);
  };
  console.log('\n| layer (p50 / CPU per call) | ' + modes.join(' | ') + ' |');
  console.log('| --- | ' + modes.map(() => '---').join(' | ') + ' |');
  const rows: Array<[string, (m: string) => [string[], string[]]]> = [
    ['runtime: runFlow − bare call', (m) => [[`runflow-${m}`], [`bare-${m}`]]],
    ['run service: load flow, redact, SQLite start + finish rows', (m) => [[`service-${m}`], [`runflow-${m}`]]],
    [
      'HTTP layer beyond a plain Express hop: middleware, routing, trace in the response, log line',
      (m) => [
        [`http-braid-${m}`, `bare-${m}`],
        [`service-${m}`, `http-plain-${m}`],
      ],
    ],
  ];
  for (const [label, ids] of rows) {
    const cells = modes.map((m) => {
      const [plus, minus] = ids(m);
      return `${layer(p50Of, plus, minus)} / ${layer(cpuOf, plus, minus)}`;
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }

  agent.destroy();
  await new Promise<void>((r) => {
    plainServer.close(() => r());
    plainServer.closeAllConnections();
  });
  await braid.close();
  await fake.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
