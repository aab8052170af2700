/**
 * A 100-row evaluation through the UI in Chromium: upload a CSV, start an evaluation in
 * the dialog, watch it finish, scroll the virtualized table, open a row's trace, rate
 * it, then compare two evaluations. Then manage them: the results table shows each row's
 * inputs, datasets and evaluations are renamed and deleted (with a confirmation saying
 * what happens), and the monitoring tab of a deployment keeps 4xx apart from 5xx with
 * labelled alert fields and readable sparse charts.
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
import type { DeployResult } from '../../shared/api/deployment';

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
    await page.getByTestId('dataset-support').click();
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
  it('renames and deletes datasets and evaluations; the results table shows the inputs', async () => {
    const { page, errors } = await newPage(browser);
    stack.fake.setResponder((req) => `Echo: ${String(req.messages.at(-1)?.content ?? '')}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-eval-manage-'));
    const file = path.join(dir, '日本語の質問.csv');
    fs.writeFileSync(file, 'question,expected\n東京の天気は？,Echo: 東京の天気は？\nこんにちは,Echo: こんにちは\n');
    await page.goto(`${stack.url}/#/evaluations`);
    await page.getByTestId('evaluation-page').waitFor();
    const taken = await fetch(`${stack.url}/api/datasets?name=taken-name`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'question,expected\nq,a\n',
    });
    expect(taken.status).toBe(201);
    await page.getByTestId('dataset-upload').setInputFiles(file);
    // The dataset is named after the file without its extension.
    await page.getByTestId('dataset-日本語の質問').waitFor();
    await expect.poll(() => page.getByTestId('dataset-title').textContent()).toBe('日本語の質問');

    await page.getByTestId('new-evaluation-button').click();
    await page.getByTestId('new-evaluation').waitFor();
    await page.getByTestId('eval-flow').selectOption('qa');
    await expect.poll(() => page.getByTestId('map-question').inputValue()).toBe('question');
    await page.getByTestId('start-evaluation').click();
    await page.getByTestId('evaluation-view').waitFor();
    await expect.poll(() => page.getByTestId('eval-status').textContent(), { timeout: 30_000 }).toBe('completed');
    // Each result row shows the inputs it ran with.
    await expect
      .poll(() => page.getByTestId('result-row-0').getByTestId('result-inputs').textContent())
      .toBe('東京の天気は？');
    expect(await page.getByTestId('results-table').textContent()).toContain('input: question');
    expect(await page.getByTestId('evaluation-dataset').textContent()).toContain('日本語の質問');

    // Rename the evaluation: empty is refused at the field, a Japanese name is kept.
    await page.getByTestId('rename-evaluation').click();
    await page.getByTestId('rename-input').fill('  ');
    await page.getByTestId('rename-save').click();
    await expect.poll(() => page.getByTestId('rename-error').textContent()).toBe('Name is required');
    await page.getByTestId('rename-input').fill('ベースライン評価');
    await page.getByTestId('rename-save').click();
    await expect.poll(() => page.getByTestId('evaluation-title').textContent()).toBe('ベースライン評価');
    await expect
      .poll(() => page.locator('[data-testid^="evaluation-item-"]').first().textContent())
      .toContain('ベースライン評価');

    // Rename the dataset to a name another dataset has: the server's 409 is shown at the field.
    await page.getByTestId('dataset-日本語の質問').click();
    await page.getByTestId('rename-dataset').click();
    await page.getByTestId('rename-input').fill('taken-name');
    await page.getByTestId('rename-save').click();
    await expect.poll(() => page.getByTestId('rename-error').textContent()).toContain('Another dataset has this name');
    await page.getByTestId('rename-input').fill('天気の質問');
    await page.getByTestId('rename-save').click();
    await page.getByTestId('dataset-天気の質問').waitFor();
    await expect.poll(() => page.getByTestId('dataset-title').textContent()).toBe('天気の質問');

    // Delete it: the confirmation names the evaluation that keeps its results.
    await page.getByTestId('delete-dataset').click();
    const dialog = page.getByTestId('delete-dataset-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Delete dataset “天気の質問”?');
    expect(await page.getByTestId('delete-dataset-usage').textContent()).toContain(
      '1 evaluation used it (ベースライン評価): it keeps its results',
    );
    await screenshot(page, 'eval5-delete-dataset-confirm');
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => page.getByTestId('dataset-天気の質問').count()).toBe(0);

    // The evaluation is still there, says its dataset was deleted, and still shows its rows.
    await page.locator('[data-testid^="evaluation-item-"]', { hasText: 'ベースライン評価' }).click();
    await page.getByTestId('dataset-deleted').waitFor();
    await expect
      .poll(() => page.getByTestId('result-row-1').getByTestId('result-inputs').textContent())
      .toBe('こんにちは');
    await screenshot(page, 'eval6-dataset-deleted');

    // Delete the evaluation, confirmed.
    await page.getByTestId('delete-evaluation').click();
    await page.getByTestId('delete-evaluation-dialog').waitFor();
    await page.getByTestId('confirm-delete').click();
    await expect
      .poll(() => page.locator('[data-testid^="evaluation-item-"]', { hasText: 'ベースライン評価' }).count())
      .toBe(0);
    expect(await page.getByTestId('evaluation-view').count()).toBe(0);
    // The one failed request is the deliberate rename to a taken name (409).
    expect(errors).toEqual(['console: Failed to load resource: the server responded with a status of 409 (Conflict)']);
  }, 90_000);

  it('monitoring keeps client errors apart from server errors, with labelled alert fields and a latency legend', async () => {
    stack.fake.setResponder(() => 'ok');
    const dep = await fetch(`${stack.url}/api/flows/qa/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'qa-monitor' }),
    });
    expect(dep.status).toBe(201);
    const { apiKey } = (await dep.json()) as DeployResult;
    const call = (inputs: unknown) =>
      fetch(`${stack.url}/v1/endpoints/qa-monitor`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ inputs }),
      });
    for (let i = 0; i < 3; i++) expect((await call({ question: `q${i}` })).status).toBe(200);
    expect((await call({})).status).toBe(400);
    stack.fake.enqueue({ status: 400 });
    expect((await call({ question: 'refused by the provider' })).status).toBe(500);

    const { page, errors } = await newPage(browser);
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.goto(`${stack.url}/#/deployments/qa-monitor/monitoring`);
    await page.getByTestId('monitoring').waitFor();
    await expect.poll(() => page.getByTestId('server-error-rate').textContent()).toBe('20.0% (1)');
    expect(await page.getByTestId('client-error-rate').textContent()).toBe('20.0% (1)');
    // The latency chart names its series; all calls fell in one bucket: points, not a line to nowhere.
    const latency = page.getByTestId('chart-latency');
    expect(await latency.locator('.chart-legend').textContent()).toBe('p50p95p99');
    expect(await latency.locator('polyline').count()).toBe(0);
    expect(await latency.locator('circle').count()).toBe(3);
    expect(await page.getByTestId('chart-errors').locator('.chart-legend').textContent()).toBe(
      'server (5xx)client (4xx)',
    );

    // Alert rule fields are labelled; an out-of-range threshold is refused at the field.
    await page.getByTestId('alert-kind').selectOption('client_error_rate');
    const form = page.getByTestId('alert-form');
    for (const label of ['Alert when', 'Is at least (share 0–1)', 'Over (minutes)', 'Minimum samples', 'Webhook URL'])
      expect(await form.textContent()).toContain(label);
    await page.getByTestId('alert-threshold').fill('1.5');
    expect(await page.getByTestId('add-alert-rule').isDisabled()).toBe(true);
    await page.getByTestId('alert-threshold').fill('0.1');
    await page.getByTestId('alert-min-samples').fill('1');
    await page.getByTestId('add-alert-rule').click();
    await expect.poll(() => page.getByTestId('alert-rules').textContent()).toContain('Client error rate (4xx)');
    // Evaluate the rules now (the server does it every 15 s) and look again.
    expect((await fetch(`${stack.url}/api/alerts/evaluate`, { method: 'POST' })).status).toBe(200);
    await page.reload();
    await expect.poll(() => page.getByTestId('alert-events').textContent()).toContain('client error rate (4xx) 20.0%');
    await screenshot(page, 'eval7-monitoring');
    expect(errors).toEqual([]);
  }, 90_000);
});
