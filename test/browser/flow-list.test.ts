/** The flow list against the real server: search, rename, duplicate, export, delete, import. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newPage, readFlowFile, screenshot, writeFlowFile } from './harness';
import { browserSuite } from './helpers';
import { serializeFlow } from '../../shared/flow/serialize';
import type { Flow } from '../../shared/flow/schema';

const suite = browserSuite();
const { hasChromium } = suite;

const flow = (id: string, name: string): Flow => ({
  schemaVersion: 1,
  id,
  name,
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    { id: 'outputs', type: 'output', position: { x: 300, y: 0 } },
  ],
  edges: [{ source: 'inputs', sourcePort: 'question', target: 'outputs', targetPort: 'answer' }],
});

describe.skipIf(!hasChromium)('flow list', () => {
  it('searches, renames, duplicates, exports, deletes with confirmation and imports', async () => {
    writeFlowFile(suite.stack, flow('alpha', 'Alpha support'));
    writeFlowFile(suite.stack, flow('beta', 'Beta triage'));
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/`);
    await page.getByTestId('flow-alpha').waitFor();
    await screenshot(page, 'list-1');

    await page.getByLabel('Search flows').fill('triage');
    await expect.poll(() => page.locator('.flow-card').count()).toBe(1);
    await page.getByLabel('Search flows').fill('');

    await page.getByRole('button', { name: 'Rename Alpha support' }).click();
    await page.getByLabel('Flow name').fill('Alpha answers');
    await page.getByTestId('dialog-ok').click();
    await expect.poll(() => page.getByTestId('flow-alpha').textContent()).toContain('Alpha answers');
    expect(JSON.parse(readFlowFile(suite.stack, 'alpha')).name).toBe('Alpha answers');

    await page.getByRole('button', { name: 'Duplicate Alpha answers' }).click();
    await page.getByTestId('flow-alpha-copy').waitFor();
    expect(JSON.parse(readFlowFile(suite.stack, 'alpha-copy')).nodes).toHaveLength(2);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export Beta triage' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('beta.flow.json');
    const exported = fs.readFileSync((await download.path())!, 'utf8');
    expect(exported).toBe(serializeFlow(JSON.parse(exported) as Flow));
    expect(exported).toBe(readFlowFile(suite.stack, 'beta'));

    await page.getByRole('button', { name: 'Delete Beta triage' }).click();
    await page.getByTestId('delete-dialog').waitFor();
    await screenshot(page, 'list-delete-confirm');
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => fs.existsSync(path.join(suite.stack.flowsDir, 'beta.flow.json'))).toBe(false);
    // The list drops the card once the delete is confirmed (the id is free again from then on).
    await expect.poll(() => page.getByTestId('flow-beta').count()).toBe(0);

    // Import the exported file back: its id is free again, so it keeps it and opens.
    const file = path.join(suite.stack.dataDir, 'beta.flow.json');
    fs.writeFileSync(file, exported);
    await page.getByTestId('import-input').setInputFiles(file);
    await expect.poll(() => page.url()).toMatch(/#\/flows\/beta$/);
    await page.locator('[data-testid="node-outputs"]').waitFor();
    expect(readFlowFile(suite.stack, 'beta')).toBe(exported);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90_000);
});
