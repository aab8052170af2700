/**
 * A 100-row evaluation through the UI in Chromium: upload a CSV, start an evaluation in
 * the dialog, watch it finish, scroll the virtualized table, open a row's trace, rate
 * it, then compare two evaluations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, newPage, ROOT, screenshot, startStack, type Stack } from './harness';
import { Readable } from 'node:stream';
import { DatasetStore } from '../../server/datasets/store';
import { EvaluationStore } from '../../server/evaluation/store';
import { computeSummary } from '../../server/evaluation/summary';
import { qaFlow } from '../../server/evaluation/test-fixtures';
import type { RowResult } from '../../shared/api/evaluation';

let stack: Stack;
let browser: Browser;
let csvFile: string;

beforeAll(async () => {
  await ensureClientBuilt();
  stack = await startStack({ latencyMs: 5 });
  fs.copyFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), path.join(stack.flowsDir, 'qa.flow.json'));
  csvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'braid-eval-ui-')), 'support.csv');
  const rows = Array.from(
    { length: 100 },
    (_, i) => `"question ${i}","${i % 5 === 0 ? 'something else' : `Echo: question ${i}`}"`,
  );
  fs.writeFileSync(csvFile, `question,expected\n${rows.join('\n')}\n`);
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('evaluations page', () => {
  it('uploads a dataset, runs a 100-row evaluation, drills into a row, compares two runs', async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/evaluations`);
    await page.getByTestId('evaluation-page').waitFor();
    await page.getByTestId('dataset-upload').setInputFiles(csvFile);
    await expect.poll(() => page.getByTestId('upload-message').textContent()).toContain('100 rows');
    await expect.poll(() => page.getByTestId('dataset-meta').textContent()).toContain('question, expected');

    const start = async () => {
      await page.getByTestId('new-evaluation-button').click();
      await page.getByTestId('new-evaluation').waitFor();
      await page.getByTestId('eval-flow').selectOption('qa');
      await expect.poll(() => page.getByTestId('map-question').inputValue()).toBe('question');
      await page.getByTestId('metric-rougeL').check();
      await page.getByTestId('start-evaluation').click();
      await page.getByTestId('evaluation-view').waitFor();
      await expect.poll(() => page.getByTestId('eval-status').textContent(), { timeout: 30_000 }).toBe('completed');
    };
    await start();
    await expect.poll(() => page.getByTestId('eval-progress').textContent()).toContain('100/100 rows (100%)');
    await expect.poll(() => page.getByTestId('chart-exact_match').textContent()).toContain('pass 80%');
    await screenshot(page, 'eval1-completed');

    // virtualized: only a window of the 100 rows is in the DOM; scrolling loads the rest
    await page.getByTestId('result-row-0').waitFor();
    expect(await page.locator('[data-testid^="result-row-"]').count()).toBeLessThan(100);
    await page.getByTestId('results-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.getByTestId('result-row-99').waitFor();

    await page.getByTestId('result-row-99').click();
    await page.getByTestId('row-drawer').waitFor();
    await expect.poll(() => page.getByTestId('row-output').textContent()).toContain('Echo: question 99');
    await page.getByTestId('row-trace').waitFor();
    expect(await page.getByTestId('row-trace').textContent()).toContain('prompt');
    await page.getByTestId('thumbs-up').click();
    await expect.poll(() => page.getByTestId('row-drawer').textContent()).toContain('saved');
    expect(await page.getByTestId('export-csv').getAttribute('href')).toMatch(/export\?format=csv&bom=1$/);

    // a second evaluation with a different model behaviour, then compare
    stack.fake.setResponder(() => 'I do not know');
    await page.getByTestId('dataset-support.csv').click();
    await start();
    const boxes = page.locator('[data-testid^="evaluation-item-"] input[type=checkbox]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByTestId('compare-button').click();
    await page.getByTestId('compare-view').waitFor();
    const metricsText = await page.getByTestId('compare-metrics').textContent();
    expect(metricsText).toContain('exact_match');
    expect(metricsText).toContain('significant');
    await expect.poll(() => page.locator('[data-testid^="compare-row-"]').count()).toBe(100);
    await screenshot(page, 'eval2-compare');
    expect(errors).toEqual([]);
  }, 120_000);
  it('stays fast with 100,000 result rows (virtualized, paged)', async () => {
    // Seed a finished 100k-row evaluation straight through the stores (running it would take minutes).
    const storage = stack.server.storage;
    const N = 100_000;
    const ds = await new DatasetStore(storage).importStream(
      { name: 'big' },
      Readable.from(
        (function* () {
          yield 'question,expected\n';
          for (let i = 0; i < N; i++) yield `q${i},a${i}\n`;
        })(),
      ),
      { filename: 'big.csv' },
    );
    const store = new EvaluationStore(storage);
    const config = {
      mapping: { question: 'question' },
      expected: 'expected',
      output: 'answer',
      metrics: [{ type: 'exact_match' as const }],
      concurrency: 8,
    };
    const e = await store.insert({
      name: 'big run',
      flow: qaFlow(),
      datasetId: ds.dataset.id,
      datasetVersionId: ds.version.id,
      config,
      total: N,
    });
    await store.lease(e.id, 'seed', 600_000); // keep the server's resume loop away from it
    for (let from = 0; from < N; from += 1000) {
      const batch: Array<{ result: RowResult }> = [];
      for (let i = from; i < from + 1000; i++) {
        const ok = i % 7 !== 0;
        batch.push({
          result: {
            rowIdx: i,
            status: 'succeeded',
            inputs: { question: `q${i}` },
            outputs: { answer: ok ? `a${i}` : 'no' },
            expected: `a${i}`,
            metrics: { exact_match: { value: ok ? 1 : 0, passed: ok } },
            runId: null,
            latencyMs: 40 + (i % 50),
            totalTokens: 12,
            cost: 0.00001,
            error: null,
            finishedAt: Date.now(),
          },
        });
      }
      await store.putResults(e.id, batch);
    }
    await store.saveCounts(e.id, N, 0);
    await store.setStatus(e.id, 'completed', { finished: true, summary: await computeSummary(store, e.id, config) });

    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/evaluations`);
    const t0 = Date.now();
    await page.getByTestId(`evaluation-item-${e.id}`).click();
    await page.getByTestId('result-row-0').waitFor();
    const firstRows = Date.now() - t0;
    expect(await page.locator('[data-testid^="result-row-"]').count()).toBeLessThan(100);
    const t1 = Date.now();
    await page.getByTestId('results-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.getByTestId(`result-row-${N - 1}`).waitFor();
    const toEnd = Date.now() - t1;
    await page.getByTestId('results-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page
      .getByTestId('result-row-50000')
      .waitFor({ timeout: 5000 })
      .catch(() => undefined);
    expect(await page.locator('[data-testid^="result-row-"]').count()).toBeLessThan(100);
    console.log(`[evaluation UI] 100k rows: first rows ${firstRows} ms, jump to the last row ${toEnd} ms`);
    expect(firstRows).toBeLessThan(5000);
    expect(toEnd).toBeLessThan(3000);
    await expect.poll(() => page.getByTestId('chart-exact_match').textContent()).toContain('n=100000');
    await screenshot(page, 'eval3-100k');
    expect(errors).toEqual([]);
  }, 180_000);
  it("shows a running evaluation's no_workers warning with what to do", async () => {
    // A scale-out evaluation that no worker consumes: running, leased by another process, and the
    // coordinator's warning arriving after the page opened (the view re-reads the evaluation).
    const storage = stack.server.storage;
    const ds = await new DatasetStore(storage).importStream(
      { name: 'waiting' },
      Readable.from(['question,expected\nq0,a0\nq1,a1\n']),
      { filename: 'waiting.csv' },
    );
    const store = new EvaluationStore(storage);
    const e = await store.insert({
      name: 'waiting run',
      flow: qaFlow(),
      datasetId: ds.dataset.id,
      datasetVersionId: ds.version.id,
      config: {
        mapping: { question: 'question' },
        expected: 'expected',
        output: 'answer',
        metrics: [{ type: 'exact_match' as const }],
        concurrency: 8,
      },
      total: 2,
    });
    await store.lease(e.id, 'seed', 600_000); // keep the server's resume loop away from it
    await store.setStatus(e.id, 'running', { started: true, error: null });
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/evaluations`);
    await page.getByTestId(`evaluation-item-${e.id}`).click();
    await expect.poll(() => page.getByTestId('eval-status').textContent()).toBe('running');
    expect(await page.getByTestId('eval-error').count()).toBe(0);
    await store.noteError(e.id, { code: 'no_workers', message: 'no worker is consuming the evaluation queue' });
    const banner = page.getByTestId('eval-error');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).toMatch(
      /start braid worker with the same REDIS_URL.*enable BRAID_EVAL_INPROCESS_WORKER/,
    );
    await screenshot(page, 'eval4-no-workers');
    await store.setStatus(e.id, 'cancelled', { finished: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
