/**
 * Start-up of `braid serve` and of `npm start`, before and after the production build
 * (issue 14), measured in one run:
 * - server start: spawn → the "Braid is running" line, and RSS (VmRSS from /proc) at that
 *   moment and 2 s later, for the TypeScript sources through tsx (how bin/braid.js started
 *   before: bench/startup/tsx-entry.mjs) and for bin/braid.js running dist/server (its
 *   stamp check included), in alternating rounds on the same flows and data folders (the
 *   example knowledge base is seeded by an unmeasured first start of each);
 * - `npm start` with an up-to-date client: before, it ran `vite build` every time (timed once
 *   here with `--with-vite`, it takes minutes on a loaded machine); now `scripts/build.mjs
 *   --if-stale` checks the stamps and builds nothing.
 *
 *   npx tsx bench/startup/run.ts [--rounds 5] [--with-vite] [--no-write]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBuild } from '../../bin/build-stamp.mjs';
import { buildServer } from '../../scripts/build.mjs';
import { spawnServer } from '../../test/support/spawn-server';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const ROUNDS = Number(arg('--rounds', '5'));
const WITH_VITE = args.includes('--with-vite');
const WRITE = !args.includes('--no-write');

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

interface Start {
  readyMs: number;
  rssReadyMb: number;
  rss2sMb: number;
}

/** Start one server, time it to its ready line, read its RSS, stop it. */
async function startOnce(entry: string, dir: string): Promise<Start> {
  // Default settings (no log level), and no health request: the time is to the ready line.
  const s = await spawnServer({ dir, entry, env: { BRAID_LOG_LEVEL: undefined }, health: false });
  const pid = s.child.pid as number;
  const rssReadyMb = rssMb(pid);
  await new Promise((r) => setTimeout(r, 2000));
  const rss2sMb = rssMb(pid);
  await s.stop();
  return { readyMs: s.readyMs, rssReadyMb, rss2sMb };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-startup-'));
try {
  if (!checkBuild(ROOT, 'server').fresh) await buildServer();
  const variants = {
    tsx: path.join(ROOT, 'bench/startup/tsx-entry.mjs'),
    compiled: path.join(ROOT, 'bin/braid.js'),
  };
  const dirs: Record<string, string> = {};
  for (const name of Object.keys(variants)) {
    dirs[name] = path.join(tmp, name);
    fs.mkdirSync(path.join(dirs[name] as string, 'flows'), { recursive: true });
    for (const f of fs.readdirSync(path.join(ROOT, 'flows')))
      fs.copyFileSync(path.join(ROOT, 'flows', f), path.join(dirs[name] as string, 'flows', f));
  }
  const loadBefore = os.loadavg()[0] as number;
  // first start of each: seeds the example knowledge base (not measured)
  for (const [name, entry] of Object.entries(variants)) await startOnce(entry, dirs[name] as string);
  const runs: Record<string, Start[]> = { tsx: [], compiled: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? (['tsx', 'compiled'] as const) : (['compiled', 'tsx'] as const);
    for (const name of order) runs[name]?.push(await startOnce(variants[name], dirs[name] as string));
  }
  // `npm start`'s build step with everything up to date (what every warm start pays now)
  const checks: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--if-stale'], { cwd: ROOT });
    checks.push(Math.round(performance.now() - t0));
    if (r.status !== 0) throw new Error(`scripts/build.mjs --if-stale failed: ${r.stderr}`);
    if (String(r.stdout).includes('build:')) throw new Error('scripts/build.mjs --if-stale rebuilt something');
  }
  let viteMs: number | undefined;
  if (WITH_VITE) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: ROOT });
    viteMs = Math.round(performance.now() - t0);
    if (r.status !== 0) throw new Error(`vite build failed: ${r.stderr}`);
  }
  const summary = (xs: Start[]) => ({
    readyMs: median(xs.map((x) => x.readyMs)),
    readyMsAll: xs.map((x) => x.readyMs),
    rssReadyMb: median(xs.map((x) => x.rssReadyMb)),
    rss2sMb: median(xs.map((x) => x.rss2sMb)),
  });
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    loadAverage1m: {
      before: Math.round(loadBefore * 10) / 10,
      after: Math.round((os.loadavg()[0] as number) * 10) / 10,
    },
    rounds: ROUNDS,
    tsx: summary(runs.tsx ?? []),
    compiled: summary(runs.compiled ?? []),
    npmStartBuildCheckMs: median(checks),
    ...(viteMs !== undefined ? { viteBuildMs: viteMs } : {}),
  };
  console.log(JSON.stringify(result, null, 2));
  if (WRITE) {
    const t = result.tsx;
    const c = result.compiled;
    const section = [
      '<!-- startup:start -->',
      '## Start-up: compiled server vs TypeScript through tsx (`bench/startup/run.ts`)',
      '',
      `${result.at.slice(0, 16).replace('T', ' ')} UTC, Node ${result.node}, ${result.cpus} × ${result.cpuModel ?? '?'} shared with other work (1-min load average ${result.loadAverage1m.before} → ${result.loadAverage1m.after}). \`braid serve\` from spawn to its "Braid is running" line, ${ROUNDS} alternating rounds (medians; every run in brackets), the example flows and an already seeded data folder, default settings. RSS = VmRSS at the ready line and 2 s later.`,
      '',
      '| server | ready (median) | every run | RSS at ready | RSS 2 s later |',
      '| --- | --- | --- | --- | --- |',
      `| before: sources through tsx (the old bin/braid.js) | ${t.readyMs} ms | ${t.readyMsAll.join(', ')} | ${t.rssReadyMb} MB | ${t.rss2sMb} MB |`,
      `| after: \`bin/braid.js\` → dist/server (stamp check included) | ${c.readyMs} ms | ${c.readyMsAll.join(', ')} | ${c.rssReadyMb} MB | ${c.rss2sMb} MB |`,
      `| difference | ${c.readyMs - t.readyMs} ms (${((100 * c.readyMs) / Math.max(1, t.readyMs)).toFixed(0)}%) | | ${c.rssReadyMb - t.rssReadyMb} MB | ${c.rss2sMb - t.rss2sMb} MB |`,
      '',
      `\`npm start\` with everything up to date: its build step (\`scripts/build.mjs --if-stale\`: node start + stamp checks of client and server) takes ${result.npmStartBuildCheckMs} ms${viteMs !== undefined ? `, where the old \`npm start\` ran \`vite build\` every time: ${viteMs} ms in this run` : ' (the old `npm start` ran `vite build` every time; `--with-vite` times it)'}.`,
      '<!-- startup:end -->',
    ].join('\n');
    const file = path.join(ROOT, 'bench/RESULTS.md');
    const prev = fs.readFileSync(file, 'utf8');
    const re = /<!-- startup:start -->[\s\S]*?<!-- startup:end -->/;
    fs.writeFileSync(file, re.test(prev) ? prev.replace(re, section) : `${prev.trimEnd()}\n\n${section}\n`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
