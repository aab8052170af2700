/**
 * Flows that call flows, in Chromium against the real server: drop a Map node, pick the
 * flow it runs from the picker (its ports follow that flow's inputs and outputs), connect
 * it, run over a list, watch the progress on the node, and drill from the map node into
 * one item's own run and its spans. Double-click opens the called flow.
 */
import { describe, expect, it } from 'vitest';
import { newPage, readFlowFile, screenshot, writeFlowFile } from './harness';
import { browserSuite, connect, dragFromPalette, edgeCount, MOD, selectNode } from './helpers';
import type { Flow } from '../../shared/flow/schema';

const suite = browserSuite();
const { hasChromium } = suite;

/** The called flow: one input `word`, a template transform, one output `shout`. */
const shout = {
  schemaVersion: 1,
  id: 'shout',
  name: 'Shout',
  inputs: [{ name: 'word', type: 'string', required: true }],
  outputs: [{ name: 'shout', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'exclaim',
      type: 'transform',
      position: { x: 250, y: 0 },
      config: { mode: 'template', template: '{{word}}!' },
    },
    { id: 'outputs', type: 'output', position: { x: 500, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'word', target: 'exclaim', targetPort: 'word' },
    { source: 'exclaim', sourcePort: 'result', target: 'outputs', targetPort: 'shout' },
  ],
};

/** The flow the story builds on: a list input and an output, nothing between them yet. */
const shoutAll = {
  schemaVersion: 1,
  id: 'shout-all',
  name: 'Shout all',
  inputs: [{ name: 'words', type: 'json', required: true }],
  outputs: [{ name: 'shouts', type: 'json' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 200 } },
    { id: 'outputs', type: 'output', position: { x: 560, y: 200 } },
  ],
  edges: [],
};

describe.skipIf(!hasChromium)('composition on the canvas', () => {
  it('builds a map flow, runs it, shows progress and opens one item’s trace', async () => {
    writeFlowFile(suite.stack, shout);
    writeFlowFile(suite.stack, shoutAll);
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/shout-all`);
    await page.locator('[data-testid="node-outputs"]').waitFor();

    await dragFromPalette(page, 'map', 300, 60);
    await page.locator('[data-testid="node-map"]').waitFor();
    await selectNode(page, 'map');
    // The picker lists the other flows (never this one) by name.
    const picker = page.getByTestId('flow-picker');
    await expect
      .poll(() => picker.locator('option').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringMatching(/^Shout \(shout\)/)]));
    expect(await picker.locator('option').allTextContents()).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/\(shout-all\)/)]),
    );
    await picker.selectOption('shout');
    // Ports follow the called flow: items in, one list per output of it, plus errors.
    const mapHandle = (kind: string, port: string) =>
      page.locator(`.react-flow__node[data-id="map"] .react-flow__handle.${kind}[data-handleid="${port}"]`);
    await mapHandle('target', 'items').waitFor();
    await mapHandle('source', 'shout').waitFor();
    await mapHandle('source', 'errors').waitFor();
    await expect.poll(() => page.locator('[data-testid="node-map"] .bnode-body').textContent()).toContain('Shout');

    // Bring every node into view before wiring them.
    await page.getByRole('button', { name: 'Zoom to fit' }).click();
    await page.waitForTimeout(400);
    await connect(page, ['inputs', 'words'], ['map', 'items']);
    await connect(page, ['map', 'shout'], ['outputs', 'shouts']);
    await expect.poll(() => edgeCount(page)).toBe(2);
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press(`${MOD}+S`);
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);
    const saved = JSON.parse(readFlowFile(suite.stack, 'shout-all')) as Flow;
    expect(saved.nodes.find((n) => n.id === 'map')?.config).toMatchObject({ flow: 'shout' });
    await screenshot(page, 'composition-built');

    await page.getByTestId('open-run').click();
    await page.getByLabel('run input words').fill(JSON.stringify(['一', 'two', 'three', 'four']));
    await page.getByTestId('run-submit').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toMatch(/succeeded/);
    await expect.poll(() => page.getByTestId('progress-map').textContent()).toBe('4/4');
    await expect.poll(() => page.getByTestId('run-output').textContent()).toContain('"一!"');
    const shown = (await page.getByTestId('run-output').textContent()) ?? '';
    expect(['"一!"', '"two!"', '"three!"', '"four!"'].map((w) => shown.indexOf(w))).toEqual(
      [...['"一!"', '"two!"', '"three!"', '"four!"'].map((w) => shown.indexOf(w))].sort((a, b) => a - b),
    );

    // Drill from the map node into item 1's own run.
    await selectNode(page, 'map');
    const children = page.getByTestId('child-runs');
    await expect.poll(() => children.locator('h5').first().textContent()).toMatch(/of 4\)/);
    await page.getByTestId('child-run-1').click();
    const child = page.getByTestId('child-run');
    await expect.poll(() => child.textContent()).toContain('shout');
    await page.getByTestId('child-span-exclaim').click();
    await expect.poll(() => child.textContent()).toContain('two!');
    await screenshot(page, 'composition-child-trace');

    // Deployed, the version freezes the flow with the flow it calls, and the page says so.
    const deployed = (await (
      await fetch(`${suite.stack.url}/api/flows/shout-all/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { slug: string; flows: string[] };
    expect(deployed.flows).toEqual(['shout-all', 'shout']);
    await page.goto(`${suite.stack.url}/#/deployments/${deployed.slug}`);
    await expect.poll(() => page.getByTestId('snapshot-flows-v1').textContent()).toBe('shout-all, shout');
    await page.goto(`${suite.stack.url}/#/flows/shout-all`);
    await page.locator('[data-testid="node-map"]').waitFor();

    // Double-click the map node: the called flow opens.
    await page.locator('[data-testid="node-map"]').dblclick();
    await page.waitForURL(/#\/flows\/shout$/);
    await page.locator('[data-testid="node-exclaim"]').waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
