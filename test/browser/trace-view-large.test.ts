/**
 * A large map run in the trace view: opened from its link, the map node's span shows the
 * head of its 3,000-item inputs and outputs (laying out megabytes of JSON held the view for
 * seconds) with "Show all" for the rest, and its children are paged.
 */
import { describe, expect, it } from 'vitest';
import { newPage, screenshot, writeFlowFile } from './harness';
import { browserSuite, selectNode } from './helpers';
import { mapFlow, upperFlow } from '../../server/runtime/composition-fixtures';

const suite = browserSuite();
const { hasChromium } = suite;
const ITEMS = 3000;

describe.skipIf(!hasChromium)('trace view of a large map run', () => {
  it('shows bounded span JSON with Show all, and pages the children', async () => {
    const mapper = mapFlow('upper', { concurrency: 8 }, 'big-mapper');
    mapper.nodes.forEach((n, i) => (n.position = { x: i * 320, y: 0 }));
    writeFlowFile(suite.stack, upperFlow('upper', 'input & "!"'));
    writeFlowFile(suite.stack, mapper);
    const items = Array.from({ length: ITEMS }, (_, i) => `文書${i}`);
    const res = await fetch(`${suite.stack.url}/api/flows/big-mapper/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { items } }),
    });
    const run = (await res.json()) as { runId: string; status: string };
    expect(run.status).toBe('succeeded');

    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/big-mapper/runs/${run.runId}`);
    await page.locator('[data-testid="node-each"][data-status="succeeded"]').waitFor();
    await selectNode(page, 'each');
    const details = page.getByTestId('span-details');
    await expect
      .poll(() => page.getByTestId('child-runs').locator('h5').first().textContent())
      .toBe(`Child runs (1–50 of ${ITEMS})`);
    const cut = details.getByTestId('json-truncated');
    await expect.poll(() => cut.count()).toBe(2); // inputs and outputs
    const text = (await details.textContent()) ?? '';
    expect(text).toContain('"文書0"');
    expect(text).not.toContain(`"文書${ITEMS - 1}!"`);
    await expect.poll(() => cut.first().textContent()).toMatch(/more of \d+ K characters/);
    await screenshot(page, 'trace-view-large');

    await cut.last().getByRole('button', { name: 'Show all' }).click(); // the outputs
    await expect.poll(() => cut.count()).toBe(1);
    await expect.poll(() => details.textContent()).toContain(`"文書${ITEMS - 1}!"`);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
