/**
 * Editing stories against the real server: refused connections (types, cycle), undo/redo,
 * copy/paste with new ids (also into another flow), and the 409 dialog.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newPage, readFlowFile, screenshot, writeFlowFile } from './harness';
import { connect, edgeCount, MOD, nodeIds, selectNode, browserSuite } from './helpers';

const suite = browserSuite();
const { hasChromium } = suite;

const branchy = (id: string, name: string) => ({
  schemaVersion: 1,
  id,
  name,
  inputs: [
    { name: 'question', type: 'string', required: true },
    { name: 'docs', type: 'documents' },
  ],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'draft',
      type: 'prompt',
      position: { x: 320, y: 0 },
      config: { messages: [{ role: 'user', content: '{{question}}' }] },
    },
    {
      id: 'polish',
      type: 'transform',
      position: { x: 640, y: 0 },
      config: { mode: 'template', template: 'Final: {{x}}' },
    },
    { id: 'outputs', type: 'output', position: { x: 960, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'question', target: 'draft', targetPort: 'question' },
    { source: 'draft', sourcePort: 'text', target: 'polish', targetPort: 'x' },
    { source: 'polish', sourcePort: 'result', target: 'outputs', targetPort: 'answer' },
  ],
});

let page: Page;
let errors: string[];
beforeEach(async () => {
  if (!hasChromium) return;
  writeFlowFile(suite.stack, branchy('edit-me', 'Edit me'));
  writeFlowFile(suite.stack, branchy('other', 'Other flow'));
  ({ page, errors } = await newPage(suite.browser));
  await page.goto(`${suite.stack.url}/#/flows/edit-me`);
  await page.locator('[data-testid="node-outputs"]').waitFor();
  return async () => {
    await page.context().close();
  };
}, 60_000);

describe.skipIf(!hasChromium)('editing the canvas', () => {
  it('refuses an incompatible connection and a cycle, with a visible reason', async () => {
    await expect.poll(() => edgeCount(page)).toBe(3);
    await connect(page, ['inputs', 'docs'], ['draft', 'question']);
    const alert = page.getByTestId('connection-refused');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /Incompatible types: inputs\.docs is documents, but draft\.question expects string/,
    );
    await screenshot(page, 'story3-incompatible-refused');
    expect(await edgeCount(page)).toBe(3);

    await connect(page, ['polish', 'result'], ['draft', 'question']);
    await expect.poll(() => alert.textContent()).toMatch(/cycle/);
    await screenshot(page, 'story3-cycle-refused');
    expect(await edgeCount(page)).toBe(3);

    // A compatible, acyclic connection is accepted.
    await connect(page, ['inputs', 'question'], ['outputs', 'answer']);
    await expect.poll(() => edgeCount(page)).toBe(4);
    expect(errors).toEqual([]);
  }, 60_000);

  it('undo/redo restore the graph (delete a node, then a drag)', async () => {
    await selectNode(page, 'draft');
    await page.keyboard.press('Delete');
    await expect.poll(() => nodeIds(page)).not.toContain('draft');
    await expect.poll(() => edgeCount(page)).toBe(1);
    await page.keyboard.press(`${MOD}+Z`);
    await expect.poll(() => nodeIds(page)).toContain('draft');
    await expect.poll(() => edgeCount(page)).toBe(3); // edges render after their nodes are measured
    await page.keyboard.press(`${MOD}+Shift+Z`);
    await expect.poll(() => nodeIds(page)).not.toContain('draft');
    await expect.poll(() => edgeCount(page)).toBe(1);
    await page.keyboard.press(`${MOD}+Z`);
    await expect.poll(() => edgeCount(page)).toBe(3);

    // A whole drag is one undo step.
    const node = page.locator('.react-flow__node[data-id="polish"]');
    const before = await node.boundingBox();
    await page.mouse.move(before!.x + 60, before!.y + 12);
    await page.mouse.down();
    await page.mouse.move(before!.x + 160, before!.y + 140, { steps: 12 });
    await page.mouse.up();
    const moved = await node.boundingBox();
    expect(Math.round(moved!.y - before!.y)).toBeGreaterThan(60);
    await screenshot(page, 'story4-after-drag');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press(`${MOD}+Z`);
    await expect.poll(async () => Math.round((await node.boundingBox())!.y)).toBe(Math.round(before!.y));
    await page.keyboard.press(`${MOD}+Shift+Z`);
    await expect.poll(async () => Math.round((await node.boundingBox())!.y)).toBe(Math.round(moved!.y));
    expect(errors).toEqual([]);
  }, 60_000);

  it('copy/paste duplicates nodes with new ids, also into another flow', async () => {
    // Box-select draft and polish with Shift+drag.
    const a = await page.locator('.react-flow__node[data-id="draft"]').boundingBox();
    const b = await page.locator('.react-flow__node[data-id="polish"]').boundingBox();
    await page.keyboard.down('Shift');
    await page.mouse.move(a!.x - 15, a!.y - 15);
    await page.mouse.down();
    await page.mouse.move(b!.x + b!.width + 15, b!.y + b!.height + 15, { steps: 10 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await expect.poll(() => page.locator('.react-flow__node.selected').count()).toBe(2);
    await page.keyboard.press(`${MOD}+C`);
    await page.keyboard.press(`${MOD}+V`);
    await expect.poll(async () => (await nodeIds(page)).length).toBe(6);
    const ids = await nodeIds(page);
    expect(ids).toEqual(expect.arrayContaining(['draft', 'polish', 'draft-2', 'polish-2']));
    expect(new Set(ids).size).toBe(ids.length);
    // The edge between the copied nodes comes along, re-pointed at the new ids.
    await expect.poll(() => page.locator('.react-flow__edge[data-id="draft-2.text->polish-2.x"]').count()).toBe(1);
    await screenshot(page, 'story5-pasted');

    // Paste into another flow (the clipboard survives navigation).
    await page.getByRole('button', { name: 'Back to flows' }).click();
    page.once('dialog', (d) => void d.accept());
    await page.goto(`${suite.stack.url}/#/flows/other`);
    await page.locator('[data-testid="node-outputs"]').waitFor();
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press(`${MOD}+V`);
    await expect
      .poll(async () => (await nodeIds(page)).sort())
      .toEqual(['draft', 'draft-2', 'inputs', 'outputs', 'polish', 'polish-2']);
    await screenshot(page, 'story5-pasted-other-flow');
  }, 60_000);

  it('shows the 409 dialog when the file changed on disk, and each choice works', async () => {
    await selectNode(page, 'draft');
    await page.getByLabel('node title').fill('My draft');
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(1);
    // Someone else edits the file.
    const theirs = { ...branchy('edit-me', 'Edited elsewhere') };
    writeFlowFile(suite.stack, theirs);
    await page.getByTestId('save').click();
    const dialog = page.getByTestId('conflict-dialog');
    await dialog.waitFor();
    await screenshot(page, 'story6-conflict-dialog');

    // Reload theirs: our change is gone, their name is shown.
    await dialog.getByRole('button', { name: 'Reload theirs' }).click();
    await expect.poll(() => page.getByTestId('flow-title').textContent()).toBe('Edited elsewhere');
    expect(await page.getByTestId('dirty-dot').count()).toBe(0);

    // Conflict again, then overwrite: the file on disk becomes ours.
    await selectNode(page, 'draft');
    await page.getByLabel('node title').fill('Mine wins');
    writeFlowFile(suite.stack, branchy('edit-me', 'Third version'));
    await page.keyboard.press(`${MOD}+S`);
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Overwrite' }).click();
    await expect.poll(() => readFlowFile(suite.stack, 'edit-me')).toContain('Mine wins');

    // Conflict again, save as copy: a new file with our version, theirs untouched.
    await selectNode(page, 'draft');
    await page.getByLabel('node title').fill('Copy of mine');
    writeFlowFile(suite.stack, branchy('edit-me', 'Fourth version'));
    await page.keyboard.press(`${MOD}+S`);
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Save as copy' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/flows\/edit-me-copy$/);
    await page.locator('[data-testid="node-draft"]').waitFor();
    expect(await page.getByTestId('dirty-dot').count()).toBe(0);
    expect(fs.readFileSync(path.join(suite.stack.flowsDir, 'edit-me-copy.flow.json'), 'utf8')).toContain(
      'Copy of mine',
    );
    expect(readFlowFile(suite.stack, 'edit-me')).toContain('Fourth version');
    expect(errors.filter((e) => !e.includes('409'))).toEqual([]);
  }, 60_000);

  it('marks problems live, selects a node from the problems panel, and shows the diff vs the saved file', async () => {
    await selectNode(page, 'draft');
    await page.keyboard.press('Delete');
    // polish.x lost its edge: a problem on polish, listed in the panel.
    await page.getByTestId('tab-problems').click();
    const problems = page.getByTestId('problems');
    await expect.poll(() => problems.textContent().catch(() => '')).toMatch(/polish.*required input "x"/);
    await expect.poll(() => page.locator('[data-testid="node-polish"].has-problems').count()).toBe(1);
    await problems.getByRole('button').filter({ hasText: 'polish' }).first().click();
    await expect.poll(() => page.getByLabel('node id').inputValue()).toBe('polish');

    // Change polish, add a node: the diff shows added / changed / removed on the canvas.
    await page.getByLabel('node title').fill('Polished');
    await page.locator('[data-testid="palette-validator"]').dblclick();
    await page.getByTestId('diff-toggle').click();
    const legend = page.getByTestId('diff-legend');
    await expect.poll(() => legend.textContent()).toMatch(/\+1 added.*~1 changed.*−1 removed/);
    expect(await page.locator('.react-flow__node[data-id="__removed__draft"]').isVisible()).toBe(true);
    expect(await page.locator('[data-testid="node-polish"].diff-changed').count()).toBe(1);
    expect(await page.locator('[data-testid="node-validator"].diff-added').count()).toBe(1);
    await screenshot(page, 'story8-problems-and-diff');
    expect(errors).toEqual([]);
  }, 60_000);

  it('keeps unsaved work as a local draft across a reload and restores it on request', async () => {
    await selectNode(page, 'draft');
    await page.getByLabel('node title').fill('Unsaved title');
    await expect
      .poll(() => page.evaluate(() => localStorage.getItem('braid.draft.edit-me') ?? ''))
      .toContain('Unsaved title');
    page.on('dialog', (d) => void d.accept());
    await page.reload();
    const banner = page.getByTestId('draft-banner');
    await banner.waitFor();
    await screenshot(page, 'story9-draft-banner');
    await banner.getByRole('button', { name: 'Restore them' }).click();
    await expect
      .poll(() => page.locator('[data-testid="node-draft"] .bnode-title').textContent())
      .toBe('Unsaved title');
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(1);
    // Saving clears the draft.
    await page.getByTestId('save').click();
    await expect.poll(() => page.evaluate(() => localStorage.getItem('braid.draft.edit-me'))).toBeNull();
  }, 60_000);
});
