/**
 * Evaluation benchmark (issue 5):
 *  1. throughput — 2,000 rows through the qa flow (one prompt node, LangChain → fake
 *     OpenAI server with 50 ms latency), concurrency 32. Ideal wall time is
 *     2000 × 0.05 / 32 ≈ 3.1 s; target ≤ 1.2 × ideal.
 *  2. memory — upload a 100,000-row CSV (stream-parsed) and evaluate it against a
 *     zero-latency model; target peak RSS growth < 250 MB over the baseline.
 * The fake model server runs in a child process so its CPU is not counted here.
 *
 * Usage: npx tsx bench/eval/run.ts [--rows 2000] [--big-rows 100000] [--skip-big] [--skip-throughput]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/config';
import { EvaluationService } from '../../server/evaluation/service';
import { qaFlow } from '../../server/evaluation/test-fixtures';
import { runFlow } from '../../server/runtime/index';
import { openStorage } from '../../server/storage/index';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};

async function startFake(latencyMs: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/support/fake-openai.ts'), '--port', '0', '--latency', String(latencyMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (c) => reject(new Error(`fake server exited ${c}`)));
  });
  return { url, child };
}

async function setup(url: string, dir: string) {
  const config = loadConfig({
    OPENAI_BASE_URL: url,
    OPENAI_API_KEY: 'sk-bench',
    BRAID_DATA_DIR: dir,
    BRAID_LOG_LEVEL: 'silent',
  });
  const storage = await openStorage(config);
  const svc = new EvaluationService({ storage, config, runFlow, loadFlow: async () => qaFlow() });
  return { config, storage, svc };
}

function writeCsv(file: string, rows: number): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'question,expected\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    buf += `"What is item ${i}, exactly?","Echo: What is item ${i}, exactly?"\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

async function throughput(rows: number, concurrency: number, latencyMs: number): Promise<Record<string, unknown>> {
  const fake = await startFake(latencyMs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-eval-'));
  const { storage, svc } = await setup(fake.url, dir);
  try {
    const file = path.join(dir, 'd.csv');
    writeCsv(file, rows);
    const { dataset } = await svc.datasets.importStream({ name: 'bench' }, fs.createReadStream(file), {
      filename: 'd.csv',
    });
    // warm-up: model client, runtime, SQLite (not timed)
    const warm = await svc.create({
      flow: qaFlow(),
      datasetId: dataset.id,
      config: { mapping: { question: 'question' }, metrics: ['exact_match'], concurrency, limit: 64 },
    });
    await svc.wait(warm.id);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const e = await svc.create({
      flow: qaFlow(),
      datasetId: dataset.id,
      config: { mapping: { question: 'question' }, expected: 'expected', metrics: ['exact_match'], concurrency },
    });
    const done = await svc.wait(e.id);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuMsPerRow = +((cpu.user + cpu.system) / 1000 / rows).toFixed(3);
    const ideal = (rows * latencyMs) / 1000 / concurrency;
    return {
      rows,
      concurrency,
      latencyMs,
      status: done.status,
      done: done.done,
      failed: done.failed,
      passRate: done.summary?.metrics[0].passRate,
      wallS: +wall.toFixed(3),
      idealS: +ideal.toFixed(3),
      ratio: +(wall / ideal).toFixed(3),
      cpuMsPerRow,
      loadAvg: os.loadavg()[0],
    };
  } finally {
    await svc.close();
    await storage.close();
    fake.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function memory(rows: number, concurrency: number): Promise<Record<string, unknown>> {
  const fake = await startFake(0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-eval-'));
  const file = path.join(dir, 'big.csv');
  writeCsv(file, rows);
  const { storage, svc } = await setup(fake.url, dir);
  try {
    // warm-up so that lazily loaded modules are in the baseline
    const small = path.join(dir, 'small.csv');
    writeCsv(small, 50);
    const w = await svc.datasets.importStream({ name: 'warm' }, fs.createReadStream(small), { filename: 'small.csv' });
    await svc.wait(
      (
        await svc.create({
          flow: qaFlow(),
          datasetId: w.dataset.id,
          config: { mapping: { question: 'question' }, metrics: ['exact_match'], concurrency },
        })
      ).id,
    );
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    const t0 = performance.now();
    const imp = await svc.datasets.importStream({ name: 'big' }, fs.createReadStream(file), { filename: 'big.csv' });
    const uploadS = (performance.now() - t0) / 1000;
    const peakAfterUpload = peak;
    const t1 = performance.now();
    const e = await svc.create({
      flow: qaFlow(),
      datasetId: imp.dataset.id,
      config: {
        mapping: { question: 'question' },
        expected: 'expected',
        metrics: ['exact_match', 'rougeL'],
        concurrency,
      },
    });
    let last = 0;
    svc.subscribe(e.id, (ev) => {
      if (ev.type === 'progress' && ev.done - last >= 10_000) {
        last = ev.done;
        process.stderr.write(
          `  ${ev.done}/${ev.total} rows, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`,
        );
      }
    });
    const done = await svc.wait(e.id);
    const evalS = (performance.now() - t1) / 1000;
    clearInterval(sampler);
    const mb = (b: number) => +(b / 2 ** 20).toFixed(1);
    return {
      rows: imp.version.rowCount,
      fileMB: mb(fs.statSync(file).size),
      uploadS: +uploadS.toFixed(2),
      evalS: +evalS.toFixed(1),
      rowsPerS: Math.round(rows / evalS),
      status: done.status,
      done: done.done,
      failed: done.failed,
      baselineMB: mb(baseline),
      peakGrowthUploadMB: mb(peakAfterUpload - baseline),
      peakGrowthMB: mb(peak - baseline),
    };
  } finally {
    await svc.close();
    await storage.close();
    fake.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, unknown> = {};
if (!process.argv.includes('--skip-throughput')) {
  results.throughput = await throughput(arg('--rows', 2000), arg('--concurrency', 32), arg('--latency', 50));
  console.log(JSON.stringify({ throughput: results.throughput }));
}
if (!process.argv.includes('--skip-big')) {
  results.memory = await memory(arg('--big-rows', 100_000), arg('--concurrency', 32));
  console.log(JSON.stringify({ memory: results.memory }));
}
process.exit(0);
