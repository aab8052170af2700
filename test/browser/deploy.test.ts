/**
 * The deployments page in Chromium: deploy a flow (key shown once), call the endpoint,
 * roll back, watch the monitoring charts, open a logged call and add it to a dataset, and
 * chat with the flow in the playground; and the safe one-click deploy from the canvas: what
 * changed since the live version (field diff, Changes view), nothing deployed when nothing
 * changed, rollback asked once naming the version, any two versions diffed.
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
import { selectNode, typeInMonaco } from './helpers';

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
    // The first model call of a fresh server loads the provider stack: allow for a loaded machine.
    await expect
      .poll(() => page.getByTestId('chat-playground').textContent(), { timeout: 20_000 })
      .toContain('Echo: Before deploying');
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

    // A second version (of an edited flow: an unchanged one would deploy nothing), then roll
    // back from the versions table, confirmed once.
    const qaFile = path.join(stack.flowsDir, 'qa.flow.json');
    fs.writeFileSync(qaFile, fs.readFileSync(qaFile, 'utf8').replace('three sentences', 'two sentences'));
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
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Roll back to v1' }).click();
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

  it('deploys safely in one click: changes since live, nothing when unchanged, rollback asked once, version diffs', async () => {
    const { page, errors } = await newPage(browser);
    const file = path.join(stack.flowsDir, 'safe-qa.flow.json');
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), 'utf8').replace('"id": "qa"', '"id": "safe-qa"'),
    );
    await page.goto(`${stack.url}/#/flows/safe-qa`);
    await page.getByTestId('flow-title-input').waitFor();
    const result = page.getByTestId('deploy-result');
    const title = () => result.locator('.modal-head h3').textContent();
    await page.getByTestId('deploy-button').click();
    await expect.poll(title).toBe('Deployed safe-qa v1');
    expect(await result.getByTestId('new-api-key').textContent()).toMatch(/brd_/);
    await page.keyboard.press('Escape');

    // Edit the system prompt; the Changes view says what changed, field by field.
    await selectNode(page, 'answer');
    await typeInMonaco(page, 'mustache', 0, 'You are a concise assistant.');
    await page.keyboard.press('Enter');
    await page.keyboard.type('一文で答えてください。', { delay: 10 });
    await page.getByTestId('diff-toggle').click();
    await expect.poll(() => page.getByTestId('diff-legend').textContent()).toContain('~1 changed');
    await page.getByTestId('node-changes-answer').click();
    const panel = page.getByTestId('changes-panel');
    const field = panel.locator('[data-testid="change-field"][data-path="config.messages[0].content"]');
    await field.waitFor();
    await expect
      .poll(() => field.getByTestId('line-diff').locator('.ld-del').textContent())
      .toBe('−removed: You are a concise assistant. Answer in at most three sentences.');
    expect(await field.getByTestId('line-diff').locator('.ld-add').allTextContents()).toEqual([
      '+added: You are a concise assistant.',
      '+added: 一文で答えてください。',
    ]);
    // Inside a replaced line, the words that went are marked.
    expect(await field.getByTestId('line-diff').locator('.ld-del mark').allTextContents()).toEqual([
      ' Answer in at most three sentences.',
    ]);
    await screenshot(page, 'deploy5-changes-view-field-diff');
    // A node's name in the list selects it on the canvas.
    await page.locator('[data-testid="node-outputs"] .bnode-head').click();
    await panel.getByRole('button', { name: 'answer', exact: true }).click();
    await expect.poll(() => page.getByLabel('node id').inputValue()).toBe('answer');
    await page.getByTestId('diff-toggle').click();

    // Deploy (saves first): the result says what changed since v1; the field diff is one click away.
    await page.getByTestId('deploy-button').click();
    await expect.poll(title).toBe('Deployed safe-qa v2');
    expect(await result.getByTestId('deploy-summary').textContent()).toBe('1 node changed');
    await result.getByRole('button', { name: 'Show field diff' }).click();
    await expect.poll(() => result.getByTestId('change-list').textContent()).toContain('config.messages[0].content');
    expect(await result.getByTestId('line-diff').textContent()).toContain('一文で答えてください。');
    await result.getByLabel('Note for v2').fill('一文で答える');
    await result.getByRole('button', { name: 'Save note' }).click();
    await expect.poll(() => result.getByRole('button', { name: 'Note saved' }).count()).toBe(1);
    await screenshot(page, 'deploy6-result-with-diff');
    await page.keyboard.press('Escape');

    // Deploy again, nothing changed: nothing is deployed, and the dialog says so.
    await page.getByTestId('deploy-button').click();
    await expect.poll(title).toBe('No changes since v2 — nothing deployed');
    await screenshot(page, 'deploy7-unchanged');
    await page.keyboard.press('Escape');
    const detail = (await (await fetch(`${stack.url}/api/deployments/safe-qa`)).json()) as {
      latestVersion: number;
      versions: Array<{ version: number; note: string | null }>;
    };
    expect(detail.latestVersion).toBe(2);
    expect(detail.versions.find((v) => v.version === 2)?.note).toBe('一文で答える');

    // Roll back from the versions list: asked once, naming the version; Escape keeps v2.
    await page.goto(`${stack.url}/#/deployments/safe-qa`);
    const versions = page.getByTestId('versions');
    await versions.waitFor();
    await versions.getByRole('button', { name: 'Roll back' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    expect(await confirm.locator('.modal-head h3').textContent()).toBe('Roll back to v1? v2 stops serving');
    await screenshot(page, 'deploy8-rollback-confirm');
    await page.keyboard.press('Escape');
    expect(await confirm.count()).toBe(0);
    expect(await versions.textContent()).toMatch(/v2\s*live/);
    await versions.getByRole('button', { name: 'Roll back' }).click();
    await confirm.getByRole('button', { name: 'Roll back to v1' }).click();
    await expect.poll(() => versions.textContent()).toMatch(/v1\s*live/);
    await expect.poll(() => page.getByTestId('deploy-list').textContent()).toContain('v1 of 2');

    // Any two versions: tick them, compare.
    await page.getByLabel('compare v1').check();
    await page.getByLabel('compare v2').check();
    await page.getByRole('button', { name: 'Compare v1 → v2' }).click();
    const vd = page.getByTestId('version-diff');
    await expect.poll(() => vd.getByTestId('version-diff-summary').textContent()).toBe('1 node changed');
    expect(await vd.textContent()).toContain('v2: 一文で答える');
    expect(await vd.getByTestId('line-diff').locator('.ld-add').allTextContents()).toContain(
      '+added: 一文で答えてください。',
    );
    await vd.scrollIntoViewIfNeeded();
    await screenshot(page, 'deploy9-version-diff');

    // The builder's flow is v2 while v1 is live: Deploy makes v3, and its Roll back is immediate (asked once).
    await page.goto(`${stack.url}/#/flows/safe-qa`);
    await page.getByTestId('flow-title-input').waitFor();
    await page.getByTestId('deploy-button').click();
    await expect.poll(title).toBe('Deployed safe-qa v3');
    await result.getByRole('button', { name: 'Roll back to v1' }).click();
    expect(await confirm.locator('.modal-head h3').textContent()).toBe('Roll back to v1? v3 stops serving');
    await confirm.getByRole('button', { name: 'Roll back to v1' }).click();
    await expect.poll(() => result.getByTestId('rolled-back').textContent()).toBe('Rolled back: v1 is live');
    const after = (await (await fetch(`${stack.url}/api/deployments/safe-qa`)).json()) as { liveVersion: number };
    expect(after.liveVersion).toBe(1);
    expect(errors).toEqual([]);
  }, 120_000);
});
