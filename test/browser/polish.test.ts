/**
 * Rough edges a new user hit (issue 14, bugs), each as a story in Chromium against the
 * real server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newPage, readFlowFile, ROOT, screenshot } from './harness';
import { browserSuite, handle, MOD, selectNode } from './helpers';

const suite = browserSuite();
const { hasChromium } = suite;

/** Put an example flow from flows/ into the stack's flows folder. */
function useExample(id: string): void {
  fs.copyFileSync(path.join(ROOT, 'flows', `${id}.flow.json`), path.join(suite.stack.flowsDir, `${id}.flow.json`));
}

describe.skipIf(!hasChromium)('builder polish', () => {
  it('changing a value and changing it back, then saving, leaves the file as it was (no diff)', async () => {
    // A file as a person might have written it: its own key order and 4-space indent.
    useExample('rag');
    const original = JSON.parse(readFlowFile(suite.stack, 'rag')) as Record<string, unknown>;
    const handWritten = `${JSON.stringify(
      {
        ...original,
        nodes: (original.nodes as Array<Record<string, unknown>>).map((n) =>
          n.config ? { ...n, config: Object.fromEntries(Object.entries(n.config as object).reverse()) } : n,
        ),
      },
      null,
      4,
    )}\n`;
    const file = path.join(suite.stack.flowsDir, 'rag.flow.json');
    fs.writeFileSync(file, handWritten);

    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/rag`);
    await page.locator('[data-testid="node-retrieve"]').waitFor();
    await selectNode(page, 'retrieve');
    const mode = page.getByRole('combobox', { name: 'mode', exact: true });
    const before = await mode.inputValue();
    await mode.selectOption(before === 'bm25' ? 'hybrid' : 'bm25');
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(1);
    await mode.selectOption(before);
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press(`${MOD}+S`);
    await expect.poll(() => page.locator('.toast').last().textContent()).toMatch(/Saved/);
    expect(fs.readFileSync(file, 'utf8')).toBe(handWritten);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('an empty flow name says "Name is required" at the field and is not saved', async () => {
    useExample('qa');
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/qa`);
    await page.locator('[data-testid="node-outputs"]').waitFor();
    const before = readFlowFile(suite.stack, 'qa');
    const title = page.getByTestId('flow-title-input');
    await title.fill('');
    await expect.poll(() => page.getByTestId('flow-title-error').textContent()).toBe('Name is required');
    expect(await title.getAttribute('aria-invalid')).toBe('true');
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press(`${MOD}+S`);
    await expect.poll(() => page.locator('.toast').last().textContent()).toMatch(/Name is required/);
    expect(await page.locator('.toast').last().textContent()).not.toMatch(/file format|issues|\{/);
    await screenshot(page, 'polish-empty-name');
    expect(readFlowFile(suite.stack, 'qa')).toBe(before);
    await title.fill('Questions and answers');
    await expect.poll(() => page.getByTestId('flow-title-error').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('while a connection is dragged, the ports that would take it light up and the others fade', async () => {
    useExample('rag');
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/rag`);
    await page.locator('[data-testid="node-answer"]').waitFor();
    const port = (node: string, name: string, side: 'in' | 'out') =>
      page
        .locator(`[data-testid="node-${node}"] .port-${side}`)
        .filter({ has: page.locator(`.react-flow__handle[data-handleid="${name}"]`) });
    expect(await port('answer', 'documents', 'in').getAttribute('data-accepts')).toBeNull();
    const a = await handle(page, 'retrieve', 'documents', 'source').boundingBox();
    if (!a) throw new Error('no handle');
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(a.x + 60, a.y + 80, { steps: 6 });
    await expect.poll(() => port('answer', 'documents', 'in').getAttribute('data-accepts')).toBe('yes');
    expect(await port('answer', 'question', 'in').getAttribute('data-accepts')).toBe('no');
    expect(await port('retrieve', 'query', 'in').getAttribute('data-accepts')).toBe('no');
    await screenshot(page, 'polish-connection-hints');
    await page.mouse.up();
    await expect.poll(() => port('answer', 'documents', 'in').getAttribute('data-accepts')).toBeNull();
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90_000);
});
