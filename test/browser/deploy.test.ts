/**
 * The deployments page in Chromium: deploy a flow (key shown once), call the endpoint,
 * roll back, watch the monitoring charts, open a logged call and add it to a dataset, and
 * chat with the flow in the playground.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  chromiumAvailable,
  ensureClientBuilt,
  launchBrowser,
  newPage,
  ROOT,
  screenshot,
  startStack,
  type Stack,
} from './harness';

let stack: Stack;
let browser: Browser;
const hasChromium = chromiumAvailable();

beforeAll(async () => {
  if (!hasChromium) return;
  await ensureClientBuilt();
  stack = await startStack();
  fs.copyFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), path.join(stack.flowsDir, 'qa.flow.json'));
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe.skipIf(!hasChromium)('deployments page', () => {
  it('deploys, calls, rolls back, monitors, turns a log into a dataset row, and chats', async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/deployments`);
    await page.getByTestId('deploy-page').waitFor();
    // Talk to the flow before it is deployed.
    await page.getByLabel('flow to chat with').selectOption('qa');
    await page.getByTestId('chat-playground').locator('textarea').fill('Before deploying');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('chat-playground').textContent()).toContain('Echo: Before deploying');
    await page.getByRole('button', { name: 'Deploy a flow' }).click();
    await expect.poll(() => page.locator('.modal select').inputValue()).toBe('qa');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const key = (await page.getByTestId('new-api-key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^brd_/);
    await screenshot(page, 'deploy1-key');
    await page.keyboard.press('Escape');
    await page.waitForURL(/#\/deployments\/qa$/);

    const call = async (q: string) => {
      const res = await fetch(`${stack.url}/v1/endpoints/qa`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: { question: q } }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { traceId: string; outputs: { answer: string } };
    };
    const first = await call('first question');
    await call('second question');
    await fetch(`${stack.url}/v1/endpoints/qa/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ traceId: first.traceId, score: 'down' }),
    });

    // A second version, then roll back from the versions table.
    expect(
      (
        await fetch(`${stack.url}/api/flows/qa/deployments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"note":"v2"}',
        })
      ).status,
    ).toBe(201);
    await page.reload();
    await page.getByTestId('versions').waitFor();
    await page.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => page.getByTestId('versions').textContent()).toMatch(/v1\s*live/);
    await expect
      .poll(async () => (await page.getByTestId('snippet').textContent()) ?? '')
      .toContain('/v1/endpoints/qa');

    await page.getByRole('tab', { name: 'Monitoring' }).click();
    await page.getByTestId('monitoring').locator('svg polyline').first().waitFor();
    await expect.poll(() => page.getByTestId('monitoring').textContent()).toContain('2 (');
    await screenshot(page, 'deploy2-monitoring');

    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByLabel('feedback', { exact: true }).selectOption('negative');
    await expect.poll(() => page.getByTestId('logs').locator('tbody tr').count()).toBe(1);
    await page.getByTestId('logs').locator('tbody tr').first().click();
    await page.getByRole('button', { name: 'Add row' }).click();
    await expect.poll(() => page.locator('.toast').last().textContent()).toContain('added as row 1');
    await page.keyboard.press('Escape');

    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByTestId('chat-playground').locator('textarea').fill('Hello playground');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('chat-playground').textContent()).toContain('Echo: Hello playground');
    await screenshot(page, 'deploy3-playground');
    expect(errors).toEqual([]);
  }, 120_000);

  it('deploys from the canvas toolbar in one click, saving unsaved edits first', async () => {
    const { page, errors } = await newPage(browser);
    fs.copyFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), path.join(stack.flowsDir, 'canvas-qa.flow.json'));
    const file = path.join(stack.flowsDir, 'canvas-qa.flow.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"id": "qa"', '"id": "canvas-qa"'));
    await page.goto(`${stack.url}/#/flows/canvas-qa`);
    await page.getByTestId('flow-title-input').waitFor();
    // An unsaved rename: Deploy must save it before deploying.
    await page.getByTestId('flow-title-input').fill('Canvas deployed');
    await page.getByTestId('dirty-dot').waitFor();
    await page.getByTestId('deploy-button').click();
    const key = (await page.getByTestId('new-api-key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^brd_/);
    await screenshot(page, 'deploy4-canvas-button');
    expect(fs.readFileSync(file, 'utf8')).toContain('"name": "Canvas deployed"');
    const res = await fetch(`${stack.url}/v1/endpoints/canvas-qa`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { question: 'from the canvas' } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outputs: { answer: string } }).outputs.answer).toContain('from the canvas');
    expect(errors).toEqual([]);
  }, 120_000);
});
