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

let stack: Stack;
let browser: Browser;
let csvFile: string;

beforeAll(async () => {
  await ensureClientBuilt();
  stack = await startStack({ latencyMs: 5 });
  fs.copyFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), path.join(stack.flowsDir, 'qa.flow.json'));
  csvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'braid-eval-ui-')), 'support.csv');
  const rows = Array.from({ length: 100 }, (_, i) => `"question ${i}","${i % 5 === 0 ? 'something else' : `Echo: question ${i}`}"`);
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
    expect(await page.getByTestId('export-csv').getAttribute('href')).toMatch(/export\?format=csv$/);

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
});
