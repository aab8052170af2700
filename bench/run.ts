/**
 * `npm run bench -- <name> [args…]` runs one benchmark; with no name it lists them.
 * Each benchmark prints its own table; the latest numbers live in bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const BENCHES: Record<string, { file: string; about: string }> = {
  'runtime-nodes': {
    file: 'runtime/nodes.ts',
    about: 'per-node scheduler overhead on a 200-node DAG (target ≤ 50 µs/node)',
  },
  'runtime-jsonata': {
    file: 'runtime/jsonata.ts',
    about: 'JSONata through the child-process pool vs on the calling thread (p50 added latency, throughput)',
  },
  'runtime-prompt': {
    file: 'runtime/prompt.ts',
    about: 'added latency of a one-prompt run vs bare ChatOpenAI (target ≤ 1 ms at p50)',
  },
  'runtime-map': {
    file: 'runtime/map.ts',
    about: 'map node: µs/item overhead (≤ 100), 200 × 50 ms at c=20 (≤ 0.6 s), 10k items RSS (< 200 MB)',
  },
  'map-trace-view': {
    file: 'runtime/map-trace-view.ts',
    about:
      '10,000-item map through the server, its trace view in Chromium: first screen (< 2 s), RSS growth (< 200 MB)',
  },
  'runtime-agent': {
    file: 'runtime/agent.ts',
    about: 'agent overhead per tool iteration vs a hand-written LangChain bindTools loop (target ≤ 1 ms at p50)',
  },
  canvas: { file: 'canvas/run.ts', about: '500-node flow in Chromium: time to interactive, drag frame times' },
  retrieval: { file: 'retrieval/run.ts', about: '50k chunks: ingest throughput and query p50/p95 per mode' },
  'retrieval-hits': {
    file: 'retrieval/hits.ts',
    about: 'BM25 top-1/top-3 hit rates in Japanese, English, Chinese, Korean per tokenization',
  },
  eval: { file: 'eval/run.ts', about: '2,000-row evaluation wall time vs ideal; 100k-row memory growth' },
  endpoint: {
    file: 'endpoint/run.ts',
    about: 'deployed endpoint req/s and p99 vs a hand-written Express + ChatOpenAI server (target ≥ 0.9×, p99 < 50 ms)',
  },
  'page-weight': {
    file: 'startup/page-weight.ts',
    about: 'bytes over the wire vs decoded for the first load of the builder (home, flow editor) in Chromium',
  },
  startup: {
    file: 'startup/run.ts',
    about: '`braid serve` start time and RSS: compiled dist/server vs the sources through tsx; `npm start` build check',
  },
  'llm-fetch': { file: 'llm-fetch.ts', about: 'keep-alive fast fetch vs global fetch per upstream call' },
  telemetry: {
    file: 'telemetry/overhead.ts',
    about: 'per-run cost of the OpenTelemetry export, off vs on (OTLP to a local receiver)',
  },
};

const [name, ...args] = process.argv.slice(2);
if (!name || !BENCHES[name]) {
  if (name) console.error(`unknown benchmark: ${name}\n`);
  console.log('usage: npm run bench -- <name> [args…]\n');
  for (const [key, b] of Object.entries(BENCHES)) console.log(`  ${key.padEnd(16)} ${b.about}`);
  process.exit(name ? 2 : 0);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, BENCHES[name].file), ...args], {
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
