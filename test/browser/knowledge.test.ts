/**
 * The Knowledge page in Chromium: the seeded braid-docs knowledge base is listed; create
 * a knowledge base, upload two files (one good, one empty) and see per-file results,
 * preview chunks, run a query and see ranked chunks with scores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, newPage, screenshot, startStack, type Stack } from './harness';
import { KNOWLEDGE_MAX_FILE_BYTES } from '../../shared/api/knowledge';

let stack: Stack;
let browser: Browser;
let files: string[];

beforeAll(async () => {
  await ensureClientBuilt();
  stack = await startStack();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-kb-ui-'));
  files = [path.join(dir, 'lighthouses.md'), path.join(dir, 'empty.txt'), path.join(dir, '灯台.md')];
  fs.writeFileSync(
    files[0],
    '# Lighthouses\nThe Pharos of Alexandria was one of the seven wonders.\n\n## Keepers\nKeepers trimmed the wicks every night.',
  );
  fs.writeFileSync(files[1], '');
  fs.writeFileSync(files[2], '# 灯台守\n灯台守は毎晩ランプの芯を切りそろえ、霧の夜には鐘を鳴らしました。');
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('knowledge page', () => {
  it('lists, creates, uploads with per-file errors, previews chunks and queries', async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/knowledge`);
    await page.getByTestId('knowledge-page').waitFor();
    await page.getByTestId('kb-item-braid-docs').waitFor();

    await page.getByTestId('kb-new-name').fill('lights');
    await page.getByTestId('kb-create').click();
    await page.getByTestId('kb-item-lights').waitFor();
    await page.getByTestId('kb-upload').setInputFiles(files);
    const progress = page.getByTestId('kb-progress');
    await expect.poll(() => progress.textContent(), { timeout: 15_000 }).toMatch(/lighthouses\.md.*done/);
    await expect
      .poll(() => progress.textContent(), { timeout: 15_000 })
      .toMatch(/empty\.txt.*failed.*the file is empty/);

    // A file over the per-file limit is refused in the browser, before any upload.
    let uploads = 0;
    page.on('request', (r) => r.url().includes('/documents') && r.method() === 'POST' && uploads++);
    const huge = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'braid-kb-')), 'huge.txt');
    fs.writeFileSync(huge, Buffer.alloc(KNOWLEDGE_MAX_FILE_BYTES + 1, 'a'));
    await page.getByTestId('kb-upload').setInputFiles(huge);
    fs.rmSync(path.dirname(huge), { recursive: true, force: true });
    await expect
      .poll(() => progress.textContent(), { timeout: 15_000 })
      .toMatch(/huge\.txt.*failed.*larger than 50 MB/);
    expect(uploads).toBe(0);

    await page.getByTestId('kb-documents').getByText('lighthouses.md').click();
    await expect.poll(() => page.getByTestId('kb-chunks').textContent()).toContain('Lighthouses > Keepers');

    await page.getByTestId('kb-query').fill('who trimmed the wicks');
    await page.getByTestId('kb-query').press('Enter');
    const hits = page.getByTestId('kb-hits');
    await expect.poll(() => hits.locator('li').first().textContent()).toContain('Keepers trimmed the wicks');
    await expect.poll(() => page.locator('.kb-query .kb-hint').last().textContent()).toMatch(/mode bm25/);
    expect(await hits.locator('.kb-score').first().textContent()).toMatch(/^\d+\.\d{4}$/);

    // Japanese without spaces is found (CJK bigram analysis), and a query that matches
    // nothing says so.
    await page.getByTestId('kb-query').fill('霧の夜に鐘を鳴らしたのは誰');
    await page.getByTestId('kb-query').press('Enter');
    await expect.poll(() => hits.locator('li').first().textContent()).toContain('灯台守は毎晩');
    await hits.scrollIntoViewIfNeeded();
    await screenshot(page, 'knowledge-japanese-query');
    await page.getByTestId('kb-query').fill('quantum chromodynamics');
    await page.getByTestId('kb-query').press('Enter');
    await expect.poll(() => page.getByTestId('kb-notice-no_match').textContent()).toMatch(/no chunk matched/i);
    await screenshot(page, 'knowledge-no-match');
    await page.getByTestId('kb-query').fill('who trimmed the wicks');
    await page.getByTestId('kb-query').press('Enter');
    await expect.poll(() => hits.locator('li').first().textContent()).toContain('Keepers trimmed the wicks');
    await screenshot(page, 'knowledge-page');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.locator('.kb-main').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await screenshot(page, 'knowledge-page-dark');
    expect(errors).toEqual([]);
  }, 120_000);
});
