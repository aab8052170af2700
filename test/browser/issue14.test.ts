/**
 * Issue 14, "bugs seen": one story per bug, each driving the real server in Chromium.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newPage, ROOT, screenshot, type Stack } from './harness';
import { browserSuite, selectNode, typeInMonaco } from './helpers';

const suite = browserSuite();

function copyQa(stack: Stack, id: string): void {
  const text = fs.readFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), 'utf8').replace('"id": "qa"', `"id": "${id}"`);
  fs.writeFileSync(path.join(stack.flowsDir, `${id}.flow.json`), text);
}

describe.skipIf(!suite.hasChromium)('issue 14 bugs', () => {
  it('1: a refused dataset upload creates no dataset', async () => {
    const { stack, browser } = suite;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'braid-i14-')), '壊れた.jsonl');
    fs.writeFileSync(file, '{壊れた行\n[1, 2]\n');
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/evaluations`);
    await page.getByTestId('evaluation-page').waitFor();
    await page.getByTestId('dataset-upload').setInputFiles(file);
    await expect.poll(() => page.getByTestId('upload-message').textContent()).toContain('no valid rows');
    await screenshot(page, 'i14-1-refused-upload');
    expect(await page.getByTestId('dataset-壊れた').count()).toBe(0);
    await page.reload();
    await page.getByTestId('evaluation-page').waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByTestId('dataset-壊れた').count()).toBe(0);
    const list = (await (await fetch(`${stack.url}/api/datasets`)).json()) as { datasets: unknown[] };
    expect(list.datasets).toEqual([]);
    expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
  }, 60_000);

  it('7: Deploy right after typing in Monaco deploys the edit', async () => {
    const { stack, browser } = suite;
    copyQa(stack, 'i14-flush');
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/flows/i14-flush`);
    await page.getByTestId('flow-title-input').waitFor();
    await selectNode(page, 'answer');
    await typeInMonaco(page, 'mustache', 1, '新しい質問: {{question}}');
    await page.getByTestId('save').click();
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);
    // One more keystroke on the saved flow, and Deploy well within 150 ms of it.
    await page
      .locator('[data-testid="node-inspector"] .code-editor[data-language="mustache"]')
      .nth(1)
      .locator('.view-lines')
      .click();
    await page.keyboard.press('End');
    // Keystroke and click sent back to back (a loaded machine can take 150 ms per round trip).
    const deployButton = await page.getByTestId('deploy-button').elementHandle();
    await Promise.all([page.keyboard.type('!'), deployButton?.evaluate((b: HTMLElement) => b.click())]);
    const key = (await page.getByTestId('new-api-key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^brd_/);
    expect(fs.readFileSync(path.join(stack.flowsDir, 'i14-flush.flow.json'), 'utf8')).toContain('新しい質問');
    const res = await fetch(`${stack.url}/v1/endpoints/i14-flush`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { question: '東京' } }),
    });
    expect(((await res.json()) as { outputs: { answer: string } }).outputs.answer).toBe('Echo: 新しい質問: 東京!');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('dirty-dot').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 60_000);
});
