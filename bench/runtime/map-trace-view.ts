/**
 * A 10,000-item map in the builder (issue 10, "Scale"): run a map over a one-transform
 * child flow through the real server (the builder's run API, which stores every child run
 * as its own record), then open that run's trace view in Chromium and time the first screen.
 *
 *   npm run bench -- map-trace-view [--items 10000] [--rounds 3]
 *
 * Measured:
 * - the run: wall time, and peak RSS growth of the server process (this process) from before
 *   the run until the trace view has been opened (target < 200 MB);
 * - first screen: from navigation to `#/flows/<flow>/runs/<runId>` until the map node shows
 *   the run's status on the canvas (target < 2 s);
 * - drill-in: from clicking the map node until the first page of its child runs is listed
 *   ("1–50 of 10000"), and from clicking one item until its spans are shown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureClientBuilt, launchBrowser, newPage, screenshot, startStack } from '../../test/browser/harness';
import { mapFlow, upperFlow } from '../../server/runtime/composition-fixtures';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const ITEMS = arg('items', 10_000);
const ROUNDS = arg('rounds', 3);
const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);

await ensureClientBuilt();
const stack = await startStack({}, { env: { BRAID_MAX_TREE_NODES: '1000000', BRAID_BODY_LIMIT: '10mb' } });
const browser = await launchBrowser();
try {
  const mapper = mapFlow('upper', { concurrency: 8 }, 'mapper');
  mapper.nodes.forEach((n, i) => (n.position = { x: i * 320, y: 0 })); // side by side, clickable
  for (const f of [upperFlow('upper', 'input & "!"'), mapper])
    fs.writeFileSync(path.join(stack.flowsDir, `${f.id}.flow.json`), JSON.stringify(f, null, 2));
  const items = Array.from({ length: ITEMS }, (_, i) => `文書${i}: ${'x'.repeat(40)}`);

  // A 20-item run: warms the server's paths, and its views are the baseline (page load and
  // rendering on this machine at this load, without the size).
  const small = (await (
    await fetch(`${stack.url}/api/flows/mapper/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { items: items.slice(0, 20) } }),
    })
  ).json()) as { runId: string };

  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const res = await fetch(`${stack.url}/api/flows/mapper/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: { items } }),
  });
  const run = (await res.json()) as { runId: string; status: string; outputs: { outs: unknown[] } };
  const runWall = performance.now() - t0;
  if (run.status !== 'succeeded' || run.outputs.outs.length !== ITEMS)
    throw new Error(`the map run did not succeed: ${JSON.stringify(run).slice(0, 300)}`);
  const runPeak = peak;
  console.log(
    `run        ${ITEMS} items, c=8, one-transform child: ${(runWall / 1000).toFixed(2)} s (every child run stored), peak RSS growth during the run ${mb(runPeak - base)} MB`,
  );

  for (const [what, url] of [
    ['GET the run (trace)', `/api/runs/${run.runId}`],
    ['GET its first 50 child runs', `/api/runs/${run.runId}/children?nodeId=each&offset=0&limit=50`],
    ['GET child runs 9950–9999', `/api/runs/${run.runId}/children?nodeId=each&offset=${ITEMS - 50}&limit=50`],
  ] as const) {
    const a0 = performance.now();
    const body = await (await fetch(`${stack.url}${url}`)).text();
    console.log(`api        ${what}: ${Math.round(performance.now() - a0)} ms, ${(body.length / 1024).toFixed(0)} KB`);
  }

  const views = async (runId: string, total: number, rounds: number, shot?: string) => {
    const firstScreen: number[] = [];
    const drill: number[] = [];
    const item: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const { page, errors } = await newPage(browser);
      const nav = performance.now();
      await page.goto(`${stack.url}/#/flows/mapper/runs/${runId}`);
      const mapNode = page.locator('[data-testid="node-each"]');
      await page.locator('[data-testid="node-each"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
      firstScreen.push(performance.now() - nav);

      const d0 = performance.now();
      await mapNode.locator('.bnode-head').click();
      const header = page.getByTestId('child-runs').locator('h5').first();
      await header.filter({ hasText: `of ${total})` }).waitFor({ timeout: 30_000 });
      drill.push(performance.now() - d0);

      const i0 = performance.now();
      await page.getByTestId('child-run-7').click();
      await page.getByTestId('child-span-t').waitFor({ timeout: 30_000 });
      item.push(performance.now() - i0);
      if (r === 0 && shot) await screenshot(page, shot);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      await page.context().close();
    }
    return { firstScreen, drill, item };
  };
  const ms = (xs: number[]): string => xs.map((x) => `${Math.round(x)}`).join(' / ');
  const report = (label: string, v: Awaited<ReturnType<typeof views>>): void => {
    console.log(`${label} first screen (run on the canvas): ${ms(v.firstScreen)} ms (target < 2000)`);
    console.log(`${label} map node → first page of child runs: ${ms(v.drill)} ms`);
    console.log(`${label} item → its spans: ${ms(v.item)} ms`);
  };
  report(`${ITEMS} items:`, await views(run.runId, ITEMS, ROUNDS, 'bench-map-trace-view'));
  report('20 items (baseline):', await views(small.runId, 20, ROUNDS));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    `server RSS: ${mb(base)} MB before the run, peak growth ${mb(peak - base)} MB through the run and the views (target < 200 MB)`,
  );
} finally {
  await browser.close();
  await stack.close();
}
