/**
 * Endpoint benchmark: a deployed one-prompt flow whose model is the zero-latency fake
 * OpenAI server, against a hand-written Express 5 + LangChain `ChatOpenAI` server calling
 * the same fake (bench/endpoint/handwritten.ts) in alternating rounds of the same run, and
 * against the fake server alone (the ceiling), with autocannon. Braid runs at its default
 * settings (log level `info`, request log, metrics, traces) from the compiled server
 * (built first when stale; `--tsx` runs the sources instead); the deployment's rate limit
 * is raised so that it checks every call without refusing any.
 *
 *   npx tsx bench/endpoint/run.ts [--duration 20] [--rounds 4] [--connections 32] [--stream-prompt] [--log-level L] [--tsx] [--no-compare] [--no-write] [--cpu-prof DIR] [--braid-node-args '--heap-prof …']
 *
 * With comparison on (default) it also loads the same flow through the run API and the
 * bare HTTP stack (GET /api/health), to show where the time goes.
 *
 * The fake server and the Braid server each run in their own child process (as in
 * production); autocannon runs here. Reports req/s, p50, p99, errors and the Braid
 * process's RSS (peak and end, from /proc), and writes bench/endpoint/results.json plus
 * the "Endpoint" section of bench/RESULTS.md.
 * Targets (issue 14): ≥ 0.9 × the hand-written server's req/s, 0 errors, p99 < 50 ms. The
 * p99 is judged with both servers offered the same steady rate (`--steady`, default 50% of
 * the hand-written server's maximum, open loop): flat out, every request also waits behind the other connections'
 * (CONNECTIONS / req/s on average, ~30 ms at 32 connections and ~1,000 req/s), whatever the
 * server; that p99 is reported too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadConfig } from '../../server/config';
import { openStorage } from '../../server/storage/index';
import { DeploymentService } from '../../server/deployment/service';
import { promptFlow } from '../../server/deployment/testing';
import { runFlow } from '../../server/runtime/index';
import { createChatModel } from '../../server/llm/providers';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { Flow } from '../../shared';
import { checkBuild } from '../../bin/build-stamp.mjs';
import { buildServer } from '../../scripts/build.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const DURATION = Number(arg('--duration', '20'));
const CONNECTIONS = Number(arg('--connections', '32'));
const STREAM_PROMPT = args.includes('--stream-prompt');
const WRITE = !args.includes('--no-write');
const COMPARE = !args.includes('--no-compare');
const ROUNDS = Number(arg('--rounds', '4'));
const LOG_LEVEL = arg('--log-level', '');
const TSX = args.includes('--tsx');
/** The steady (open-loop) phase's rate, as a fraction of the hand-written server's maximum. */
const STEADY = Number(arg('--steady', '0.5'));

function startChild(
  cmd: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, cmd, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = ready.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        resolve({ child, match: m });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
    child.once('exit', (code) => reject(new Error(`${cmd.join(' ')} exited with ${code}: ${out}`)));
  });
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

/**
 * CPU time (user + system) a process and its live descendants have used so far, in ms
 * (from /proc, 10 ms ticks). Descendants count: `tsx` runs the fake server in a child.
 */
function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let ms = (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14, 15); USER_HZ 100
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const kids = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const kid of kids ? kids.split(' ') : []) ms += cpuMsOf(Number(kid));
  }
  return ms;
}

/** CPU µs per request of each process over a load phase. */
async function withCpu<T extends { requests: number }>(
  pids: Record<string, number>,
  fn: () => Promise<T>,
): Promise<T & { cpuUsPerRequest: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMsOf(pid)]));
  const self0 = process.cpuUsage();
  const r = await fn();
  const self = process.cpuUsage(self0);
  const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, r.requests));
  const cpu: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) cpu[k] = per(cpuMsOf(pid) - (before[k] as number));
  cpu.autocannon = per((self.user + self.system) / 1000);
  return { ...r, cpuUsPerRequest: cpu };
}

interface Run {
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
  cpuUsPerRequest?: Record<string, number>;
}

async function load(url: string, body: string, headers: Record<string, string>, duration: number): Promise<Run> {
  const r = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    connections: CONNECTIONS,
    duration,
    pipelining: 1,
  });
  return {
    reqPerSec: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    requests: r.requests.total,
  };
}

/**
 * An open-loop load: requests sent on a fixed schedule (every 5 ms, rate/200 of them),
 * whatever the answers, over keep-alive connections, each latency measured from the moment
 * it was due (so a stalled server is not let off: no coordinated omission). autocannon's
 * `overallRate` is not this: it lets each second's quota through at once, then waits.
 */
async function openLoop(
  url: string,
  body: string,
  headers: Record<string, string>,
  rate: number,
  duration: number,
): Promise<Run> {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const pending = new Set<Promise<void>>();
  const send = (due: number): void => {
    const p = new Promise<void>((resolve) => {
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if ((res.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  const tickMs = 5;
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const elapsed = now - start;
      const due = Math.min(Math.floor((elapsed / 1000) * rate), Math.round(rate * duration));
      for (; sent < due; sent++) send(start + (sent * 1000) / rate);
      if (elapsed >= duration * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (f: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? 0);
  return {
    reqPerSec: Math.round(latencies.length / duration),
    p50: q(0.5),
    p99: q(0.99),
    errors,
    non2xx,
    requests: latencies.length,
  };
}

async function loadGet(url: string, duration: number): Promise<Run> {
  const r = await autocannon({ url, method: 'GET', connections: CONNECTIONS, duration, pipelining: 1 });
  return {
    reqPerSec: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    requests: r.requests.total,
  };
}

/**
 * Alternating rounds of two targets (order flipped every round), so that the machine's
 * background load hits both alike; each side's rounds combined (requests over time, the
 * median p50, the worst p99, summed errors and CPU).
 */
async function alternate(
  a: () => Promise<Run>,
  b: () => Promise<Run>,
  rounds: number,
): Promise<{ a: Run; b: Run; rounds: Array<{ a: number; b: number }> }> {
  const ra: Run[] = [];
  const rb: Run[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      ra.push(await a());
      rb.push(await b());
    } else {
      rb.push(await b());
      ra.push(await a());
    }
  }
  const combine = (runs: Run[]): Run => {
    const requests = runs.reduce((n, r) => n + r.requests, 0);
    const cpu: Record<string, number> = {};
    for (const r of runs)
      for (const [k, v] of Object.entries(r.cpuUsPerRequest ?? {})) cpu[k] = (cpu[k] ?? 0) + v * r.requests;
    for (const k of Object.keys(cpu)) cpu[k] = Math.round((cpu[k] as number) / Math.max(1, requests));
    const p50s = runs.map((r) => r.p50).sort((x, y) => x - y);
    return {
      reqPerSec: Math.round(runs.reduce((n, r) => n + r.reqPerSec, 0) / runs.length),
      p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
      p99: Math.max(...runs.map((r) => r.p99)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
      non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
      requests,
      cpuUsPerRequest: cpu,
    };
  };
  return { a: combine(ra), b: combine(rb), rounds: ra.map((r, i) => ({ a: r.reqPerSec, b: rb[i]?.reqPerSec ?? 0 })) };
}

/** `call` in this process (no HTTP server, no storage), CONNECTIONS calls at a time. */
async function inProcess(call: () => Promise<boolean>, duration: number): Promise<Run> {
  for (let i = 0; i < 300; i++) await call();
  const times: number[] = [];
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + duration * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        if (!(await call())) errors++;
        times.push(performance.now() - t);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const q = (x: number) => Math.round(times[Math.min(times.length - 1, Math.floor(x * times.length))] ?? 0);
  return {
    reqPerSec: Math.round(times.length / ((performance.now() - start) / 1000)),
    p50: q(0.5),
    p99: q(0.99),
    errors,
    non2xx: 0,
    requests: times.length,
    cpuUsPerRequest: { self: Math.round((cpu.user + cpu.system) / Math.max(1, times.length)) },
  };
}

function benchConfig(fakeUrl: string) {
  return loadConfig({ OPENAI_BASE_URL: fakeUrl, OPENAI_API_KEY: 'sk-bench-0123456789', BRAID_LOG_LEVEL: 'silent' });
}

/** runFlow alone in this process (no HTTP server, no storage), CONNECTIONS calls at a time. */
function runtimeAlone(flow: Flow, fakeUrl: string, duration: number): Promise<Run> {
  const services = { config: benchConfig(fakeUrl) };
  const inputs = { question: 'What is the capital of France?' };
  return inProcess(async () => (await runFlow(flow, inputs, { services })).status === 'succeeded', duration);
}

/**
 * The model call alone: the LangChain ChatOpenAI client Braid builds for the flow's prompt
 * node (createChatModel: fast fetch, no retries), `invoke` with the same two messages.
 */
function langchainAlone(flow: Flow, fakeUrl: string, duration: number): Promise<Run> {
  const cfg = flow.nodes[1]?.config as { model: string; temperature?: number; maxTokens?: number };
  const model = createChatModel(cfg.model, benchConfig(fakeUrl), {
    temperature: cfg.temperature,
    maxTokens: cfg.maxTokens,
  });
  const messages = [new SystemMessage('Answer briefly.'), new HumanMessage('What is the capital of France?')];
  return inProcess(async () => {
    const signal = new AbortController().signal; // as the prompt node passes one
    const msg = STREAM_PROMPT ? await model.stream(messages, { signal }) : await model.invoke(messages, { signal });
    if (STREAM_PROMPT) for await (const chunk of msg as AsyncIterable<unknown>) void chunk;
    return true;
  }, duration);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-endpoint-'));
const children: ChildProcess[] = [];
try {
  const fake = await startChild(
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'test/support/fake-openai.ts', '--port', '0'],
    {},
    /(http:\/\/127\.0\.0\.1:\d+\/v1)\n/,
  );
  children.push(fake.child);
  const fakeUrl = fake.match[1] as string;

  // Deploy straight into the database the server will use (as `braid deploy` does).
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    BRAID_FLOWS_DIR: path.join(tmp, 'flows'),
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    ...(LOG_LEVEL ? { BRAID_LOG_LEVEL: LOG_LEVEL } : {}),
    OPENAI_BASE_URL: fakeUrl,
    OPENAI_API_KEY: 'sk-bench-0123456789',
  };
  fs.mkdirSync(env.BRAID_FLOWS_DIR);
  const config = loadConfig(env);
  const storage = await openStorage(config);
  const flow = promptFlow('bench', 'Answer briefly.');
  const node = flow.nodes[1];
  if (node?.config) node.config.stream = STREAM_PROMPT;
  fs.writeFileSync(path.join(env.BRAID_FLOWS_DIR, 'bench.flow.json'), `${JSON.stringify(flow, null, 2)}\n`);
  const deployed = await new DeploymentService(storage).deploy(
    flow,
    { settings: { rateLimit: { requestsPerMinute: 10_000_000, burst: 1_000_000 } } },
    'http://127.0.0.1',
  );
  await storage.close();

  // The production shape: the compiled server (bin/braid.js runs it while it is fresh).
  if (!TSX && !checkBuild(ROOT, 'server').fresh) await buildServer();
  const profile = arg('--cpu-prof', '');
  const braid = await startChild(
    [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      ...arg('--braid-node-args', '').split(' ').filter(Boolean),
      path.join(ROOT, TSX ? 'node_modules/tsx/dist/cli.mjs' : 'bin/braid.js'),
      ...(TSX ? ['server/cli/main.ts'] : []),
      'serve',
    ],
    env,
    /running at (http:\/\/127\.0\.0\.1:\d+)/,
  );
  children.push(braid.child);
  const braidUrl = braid.match[1] as string;
  const pid = braid.child.pid as number;
  const hand = await startChild(
    // one process (not tsx's CLI, which runs the script in a child): its RSS is the server's
    [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profile, 'handwritten')}`] : []),
      '--import',
      'tsx',
      'bench/endpoint/handwritten.ts',
      '--openai',
      fakeUrl,
      // Like for like: with the prompt node streaming, the hand-written server streams too.
      ...(STREAM_PROMPT ? ['--stream'] : []),
    ],
    {},
    /listening at (http:\/\/127\.0\.0\.1:\d+)/,
  );
  children.push(hand.child);
  const handUrl = hand.match[1] as string;
  const handPid = hand.child.pid as number;

  const chatBody = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
  });
  const endpointBody = JSON.stringify({ inputs: { question: 'What is the capital of France?' } });
  const auth = { authorization: `Bearer ${deployed.apiKey as string}` };

  // Warm up both (JIT, connection pools, SQLite pages), then measure.
  await load(`${fakeUrl}/chat/completions`, chatBody, {}, 2);
  await load(`${braidUrl}/v1/endpoints/bench`, endpointBody, auth, 3);
  await load(`${handUrl}/v1/endpoints/bench`, endpointBody, {}, 3);
  const rssBefore = rssOf(pid);
  const fakePid = fake.child.pid as number;
  const ceiling = await withCpu({ fake: fakePid }, () => load(`${fakeUrl}/chat/completions`, chatBody, {}, DURATION));
  const loadBefore = Math.round(os.loadavg()[0] * 10) / 10;
  const roundS = Math.max(3, Math.round(DURATION / ROUNDS));
  const duel = await alternate(
    () =>
      withCpu({ braid: pid, fake: fakePid }, () => load(`${braidUrl}/v1/endpoints/bench`, endpointBody, auth, roundS)),
    () =>
      withCpu({ braid: handPid, fake: fakePid }, () => load(`${handUrl}/v1/endpoints/bench`, endpointBody, {}, roundS)),
    ROUNDS,
  );
  const endpoint = duel.a;
  const handwritten = duel.b;
  // Latency below saturation: both servers offered the same steady rate, open loop (--steady, 50% of what the
  // hand-written server served flat out), so p99 shows the service time, not the queue of
  // CONNECTIONS requests waiting on a saturated process.
  const fixedRate = Math.max(1, Math.round(STEADY * handwritten.reqPerSec));
  const atRate = await alternate(
    () => openLoop(`${braidUrl}/v1/endpoints/bench`, endpointBody, auth, fixedRate, roundS),
    () => openLoop(`${handUrl}/v1/endpoints/bench`, endpointBody, {}, fixedRate, roundS),
    2,
  );
  const rssAfter = rssOf(pid);
  const handRss = rssOf(handPid);
  // Attribution: the same flow through the builder's run API (same runtime, no deployment
  // layer), and the HTTP stack alone (GET /api/health).
  const runsApi = COMPARE
    ? await withCpu({ braid: pid, fake: fakePid }, () =>
        load(`${braidUrl}/api/flows/bench/runs`, endpointBody, {}, DURATION),
      )
    : undefined;
  const health = COMPARE ? await withCpu({ braid: pid }, () => loadGet(`${braidUrl}/api/health`, DURATION)) : undefined;
  const runtimeOnly = COMPARE ? await runtimeAlone(flow, fakeUrl, DURATION) : undefined;
  const langchainOnly = COMPARE ? await langchainAlone(flow, fakeUrl, DURATION) : undefined;

  const ratio = endpoint.reqPerSec / Math.max(1, ceiling.reqPerSec);
  const vsHand = endpoint.reqPerSec / Math.max(1, handwritten.reqPerSec);
  // p99 judged below saturation (flat out, it is the queue of CONNECTIONS requests, for any server).
  const pass =
    vsHand >= 0.9 && endpoint.errors + endpoint.non2xx + atRate.a.errors + atRate.a.non2xx === 0 && atRate.a.p99 < 50;
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage1mBefore: loadBefore,
    loadAverage1m: Math.round(os.loadavg()[0] * 10) / 10,
    durationS: DURATION,
    connections: CONNECTIONS,
    promptStreaming: STREAM_PROMPT,
    braidServer: TSX ? 'sources through tsx' : 'compiled (dist/server)',
    logLevel: LOG_LEVEL || 'info (default)',
    rounds: duel.rounds.map((r) => ({ endpoint: r.a, handwritten: r.b })),
    ceiling,
    endpoint,
    handwritten,
    fixedRate: { reqPerSec: fixedRate, endpoint: atRate.a, handwritten: atRate.b },
    ...(runsApi ? { runsApi } : {}),
    ...(health ? { health } : {}),
    ...(runtimeOnly ? { runtimeOnly } : {}),
    ...(langchainOnly ? { langchainOnly } : {}),
    ratio: Math.round(ratio * 1000) / 1000,
    vsHandwritten: Math.round(vsHand * 1000) / 1000,
    braidRss: { beforeMb: rssBefore.rssMb, afterMb: rssAfter.rssMb, peakMb: rssAfter.peakMb },
    handwrittenRssMb: handRss.rssMb,
    targets: { vsHandwritten: '>= 0.90', errors: 0, p99Ms: '< 50 (at the steady rate)' },
    pass,
  };
  console.log(JSON.stringify(result, null, 2));
  if (WRITE) {
    fs.writeFileSync(path.join(ROOT, 'bench/endpoint/results.json'), `${JSON.stringify(result, null, 2)}\n`);
    const cpu = (r: Run | undefined, k: string) =>
      r?.cpuUsPerRequest?.[k] !== undefined ? String(r.cpuUsPerRequest[k]) : '–';
    const row = (name: string, r: Run, braidKey = 'braid') =>
      `| ${name} | ${r.reqPerSec} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${cpu(r, braidKey)} | ${cpu(r, 'fake')} | ${cpu(r, 'autocannon')} |`;
    const pct = (r: Run | undefined) => (r ? ((100 * r.reqPerSec) / Math.max(1, ceiling.reqPerSec)).toFixed(1) : '?');
    const ep = endpoint.cpuUsPerRequest ?? {};
    const hw = handwritten.cpuUsPerRequest ?? {};
    const section = [
      '<!-- endpoint:start -->',
      '## Endpoint (`bench/endpoint/run.ts`)',
      '',
      `${result.at.slice(0, 16).replace('T', ' ')} UTC, Node ${result.node}, ${result.cpus} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}) shared with other work (1-min load average ${result.loadAverage1mBefore} before the endpoint phase, ${result.loadAverage1m} when the run ended), ${CONNECTIONS} connections; one-prompt flow (prompt streaming ${STREAM_PROMPT ? 'on' : 'off'}) against the zero-latency fake OpenAI server; Braid ${result.braidServer} at log level ${result.logLevel}, deployment rate limit raised to 10M/min (checked on every call); fake server, Braid, the hand-written server and autocannon in separate processes. Braid and the hand-written server were loaded in ${ROUNDS} alternating rounds of ${roundS} s each (req/s per round, Braid / hand-written: ${duel.rounds.map((r) => `${r.a} / ${r.b}`).join(', ')}); the other rows ran ${DURATION} s each. CPU columns: user + system CPU time of each process during the phase (from /proc; autocannon = this bench process) divided by the requests served ("Braid CPU" is the hand-written server's on its row).`,
      '',
      '| target | req/s | p50 ms | p99 ms | errors | non-2xx | Braid CPU µs/req | fake CPU µs/req | autocannon CPU µs/req |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      row('fake OpenAI server alone (ceiling)', ceiling),
      row('deployed endpoint `POST /v1/endpoints/bench`', endpoint),
      row('hand-written Express 5 + LangChain `ChatOpenAI` (bench/endpoint/handwritten.ts)', handwritten),
      row(
        `deployed endpoint, offered a steady ${fixedRate} req/s (${Math.round(STEADY * 100)}% of the hand-written maximum; open loop)`,
        atRate.a,
      ),
      row(`hand-written server, offered the same steady ${fixedRate} req/s`, atRate.b),
      ...(runsApi ? [row('same flow via `POST /api/flows/bench/runs` (no deployment layer)', runsApi)] : []),
      ...(health ? [row('Braid HTTP stack alone `GET /api/health`', health)] : []),
      ...(runtimeOnly
        ? [row(`runtime alone: \`runFlow\` in one process, no HTTP, ${CONNECTIONS} at a time`, runtimeOnly, 'self')]
        : []),
      ...(langchainOnly
        ? [
            row(
              `model call alone: Braid's LangChain \`ChatOpenAI\` (createChatModel) \`invoke\`, ${CONNECTIONS} at a time`,
              langchainOnly,
              'self',
            ),
          ]
        : []),
      '',
      `Endpoint / hand-written server: **${vsHand.toFixed(2)}×** (target ≥ 0.9×); p99 (target < 50 ms) ${atRate.a.p99} ms at a steady ${fixedRate} req/s (hand-written ${atRate.b.p99} ms), and ${endpoint.p99} ms flat out with ${CONNECTIONS} connections (hand-written ${handwritten.p99} ms: there every request also waits behind the ${CONNECTIONS - 1} others, ${Math.round((1000 * CONNECTIONS) / Math.max(1, endpoint.reqPerSec))} ms on average at this rate); errors ${endpoint.errors + endpoint.non2xx + atRate.a.errors + atRate.a.non2xx} (target 0): **${pass ? 'pass' : 'FAIL'}**. Endpoint / ceiling ${(ratio * 100).toFixed(1)}%. CPU per call: Braid ${ep.braid ?? '?'} µs, hand-written ${hw.braid ?? '?'} µs. RSS: Braid ${rssBefore.rssMb} MB before the load, ${rssAfter.rssMb} MB after, peak ${rssAfter.peakMb} MB; hand-written server ${handRss.rssMb} MB after.`,
      ...(runtimeOnly && runsApi && langchainOnly && health
        ? [
            '',
            `Where Braid's time goes: the LangChain + OpenAI SDK model call alone costs ${cpu(langchainOnly, 'self')} µs of CPU (${pct(langchainOnly)}% of the ceiling's rate in one process), \`runFlow\` around it ${cpu(runtimeOnly, 'self')} µs in all, and a bare \`GET /api/health\` through Express (which deployed calls now skip: server/http/fast-endpoint.ts) ${cpu(health, 'braid')} µs. The endpoint serves ${((100 * endpoint.reqPerSec) / Math.max(1, runtimeOnly.reqPerSec)).toFixed(0)}% of the runtime-alone rate and ${((100 * endpoint.reqPerSec) / Math.max(1, runsApi.reqPerSec)).toFixed(0)}% of the builder's run API for the same flow (key check, rate limit, trace, request log, metrics included).`,
          ]
        : []),
      '<!-- endpoint:end -->',
    ].join('\n');
    const file = path.join(ROOT, 'bench/RESULTS.md');
    const prev = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmark results\n';
    const next = /<!-- endpoint:start -->[\s\S]*?<!-- endpoint:end -->/.test(prev)
      ? prev.replace(/<!-- endpoint:start -->[\s\S]*?<!-- endpoint:end -->/, section)
      : `${prev.trimEnd()}\n\n${section}\n`;
    fs.writeFileSync(file, next);
  }
  process.exitCode = pass ? 0 : 1;
} finally {
  for (const c of children) c.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
