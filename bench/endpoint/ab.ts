/**
 * A/B of the deployed endpoint: one fake OpenAI server, two Braid servers started from two
 * checkouts (A = a baseline copy, e.g. `git archive <rev> | tar -x -C /tmp/braid-base` with
 * node_modules symlinked; B = this tree), loaded in alternating autocannon rounds (order
 * flipped every round) so the machine's background load hits both alike. Prints req/s per
 * round, Braid CPU µs per request (from /proc) and p99 for each.
 *
 *   AB_ROOTS=/tmp/braid-base,/work/main AB_ROUNDS=4 AB_DUR=6 npx tsx bench/endpoint/ab.ts
 *   (AB_B_FLAGS="--max-semi-space-size=64" passes node flags to B; AB_LOG sets BRAID_LOG_LEVEL)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/config';
import { openStorage } from '../../server/storage/index';
import { DeploymentService } from '../../server/deployment/service';
import { promptFlow } from '../../server/deployment/testing';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const roots = (process.env.AB_ROOTS ?? `/tmp/braid-base,${ROOT}`).split(',');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 3);
const DUR = Number(process.env.AB_DUR ?? 5);
function start(cmd: string[], env: Record<string, string>, ready: RegExp, cwd: string) {
  const child = spawn(process.execPath, cmd, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<{ child: ChildProcess; m: RegExpMatchArray }>((res) => {
    let o = '';
    child.stdout!.on('data', (b) => {
      o += b;
      const m = ready.exec(o);
      if (m) res({ child, m });
    });
  });
}
function cpuMs(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const kids: ChildProcess[] = [];
try {
  const fake = await start(
    ['node_modules/tsx/dist/cli.mjs', 'test/support/fake-openai.ts', '--port', '0'],
    {},
    /(http:\/\/127\.0\.0\.1:\d+\/v1)\n/,
    ROOT,
  );
  kids.push(fake.child);
  const fakeUrl = fake.m[1]!;
  const servers: Array<{ root: string; url: string; pid: number; key: string }> = [];
  for (const [ri, root] of roots.entries()) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-ab-'));
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      BRAID_FLOWS_DIR: path.join(tmp, 'flows'),
      BRAID_DATA_DIR: path.join(tmp, 'data'),
      BRAID_LOG_LEVEL: process.env.AB_LOG ?? 'warn',
      OPENAI_BASE_URL: fakeUrl,
      OPENAI_API_KEY: 'sk-bench-0123456789',
    };
    fs.mkdirSync(env.BRAID_FLOWS_DIR);
    const storage = await openStorage(loadConfig(env));
    const flow = promptFlow('bench', 'Answer briefly.');
    (flow.nodes[1]!.config as { stream?: boolean }).stream = false;
    const d = await new DeploymentService(storage).deploy(
      flow,
      { settings: { rateLimit: { requestsPerMinute: 10_000_000, burst: 1_000_000 } } },
      'http://127.0.0.1',
    );
    await storage.close();
    const nodeOpts = ri === 1 && process.env.AB_B_FLAGS ? process.env.AB_B_FLAGS.split(' ') : [];
    const b = await start(
      [...nodeOpts, path.join(root, 'bin/braid.js'), 'serve'],
      env,
      /running at (http:\/\/127\.0\.0\.1:\d+)/,
      root,
    );
    kids.push(b.child);
    servers.push({ root, url: b.m[1]!, pid: b.child.pid!, key: d.apiKey as string });
  }
  const body = JSON.stringify({ inputs: { question: 'What is the capital of France?' } });
  const run = (s: (typeof servers)[0], dur: number) =>
    autocannon({
      url: `${s.url}/v1/endpoints/bench`,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.key}` },
      connections: 32,
      duration: dur,
    });
  for (const s of servers) await run(s, 3);
  const tot = servers.map(() => ({ req: 0, cpu: 0, p99: [] as number[], rps: [] as number[], non2xx: 0 }));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...servers.keys()].reverse() : [...servers.keys()];
    for (const i of order) {
      const s = servers[i]!;
      const c0 = cpuMs(s.pid);
      const res = await run(s, DUR);
      const cpu = cpuMs(s.pid) - c0;
      tot[i]!.req += res.requests.total;
      tot[i]!.cpu += cpu;
      tot[i]!.p99.push(res.latency.p99);
      tot[i]!.rps.push(Math.round(res.requests.average));
      tot[i]!.non2xx += res.non2xx + res.errors;
    }
  }
  console.log(
    'load',
    os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
  );
  servers.forEach((s, i) => {
    const t = tot[i]!;
    console.log(
      s.root.padEnd(18),
      'rps',
      t.rps.join('/'),
      'cpu µs/req',
      Math.round((t.cpu * 1000) / t.req),
      'p99',
      t.p99.join('/'),
      'bad',
      t.non2xx,
    );
  });
} finally {
  for (const k of kids) k.kill();
}
