/**
 * Browser stories against the real server: build a flow from the palette, type a template
 * in Monaco, save and reload; run it against the fake OpenAI server; Monaco offline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newPage, readFlowFile, screenshot } from './harness';
import { connect, dragFromPalette, edgeCount, MOD, nodeIds, selectNode, typeInMonaco, browserSuite } from './helpers';
import { serializeFlow } from '../../shared/flow/serialize';
import { validateFlow } from '../../shared/flow/validate';
import type { Flow } from '../../shared/flow/schema';

const suite = browserSuite({ tokenDelayMs: 120 });
const { hasChromium } = suite;

describe.skipIf(!hasChromium)('builder: from an empty flow to a saved, running flow', () => {
  it('drags nodes from the palette, connects them, types a template in Monaco, saves and reloads', async () => {
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/`);
    await page.getByTestId('new-flow').click();
    await page.getByLabel('Flow name').fill('Story flow');
    await page.getByTestId('dialog-ok').click();
    await page.waitForURL(/#\/flows\/story-flow$/);
    // A new blank flow starts with its Inputs and Outputs nodes, as the dialog says.
    await page.locator('[data-testid="node-outputs"]').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['inputs', 'outputs']);
    await screenshot(page, 'story1-empty-flow');

    await dragFromPalette(page, 'prompt', 390, 120);
    await page.locator('[data-testid="node-prompt"]').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['inputs', 'outputs', 'prompt']);

    await connect(page, ['inputs', 'question'], ['prompt', 'question']);
    await connect(page, ['prompt', 'text'], ['outputs', 'answer']);
    await expect.poll(() => edgeCount(page)).toBe(2);

    // Type a template: the prompt's input ports follow its variables as you type.
    await selectNode(page, 'prompt');
    await typeInMonaco(page, 'mustache', 1, 'Context: {{extra}} Q: {{question}}');
    await page
      .locator('.react-flow__node[data-id="prompt"] .react-flow__handle.target[data-handleid="extra"]')
      .waitFor();
    await typeInMonaco(page, 'mustache', 1, 'Answer in one line: {{question}}');
    await expect
      .poll(() =>
        page.locator('.react-flow__node[data-id="prompt"] .react-flow__handle.target[data-handleid="extra"]').count(),
      )
      .toBe(0);
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(1);
    await screenshot(page, 'story1-built');

    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press(`${MOD}+S`);
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);

    await page.reload();
    await page.locator('[data-testid="node-prompt"]').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['inputs', 'outputs', 'prompt']);
    await expect.poll(() => edgeCount(page)).toBe(2);
    await screenshot(page, 'story1-reloaded');

    // The file on disk is the flow format: stable key order, no UI state, valid.
    const text = readFlowFile(suite.stack, 'story-flow');
    const flow = JSON.parse(text) as Flow;
    expect(text).toBe(serializeFlow(flow));
    expect(text).not.toMatch(/"(selected|dragging|measured|width|height|data)"/);
    const res = validateFlow(flow);
    expect(res.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(flow.nodes.map((n) => n.type).sort()).toEqual(['input', 'output', 'prompt']);
    expect(flow.edges).toEqual(
      expect.arrayContaining([
        { source: 'inputs', sourcePort: 'question', target: 'prompt', targetPort: 'question' },
        { source: 'prompt', sourcePort: 'text', target: 'outputs', targetPort: 'answer' },
      ]),
    );
    const prompt = flow.nodes.find((n) => n.id === 'prompt')!;
    expect(JSON.stringify(prompt.config)).toContain('Answer in one line: {{question}}');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('runs the flow against the fake OpenAI server: statuses change live and the output appears', async () => {
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/story-flow`);
    await page.locator('[data-testid="node-prompt"]').waitFor();
    await page.getByTestId('open-run').click();
    await page.getByLabel('run input question').fill('What is Braid?');
    const seen = new Set<string>();
    await page.exposeFunction('__status', (s: string) => seen.add(s));
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="node-prompt"]')!;
      new MutationObserver(() =>
        (window as unknown as { __status(s: string): void }).__status(el.getAttribute('data-status') ?? ''),
      ).observe(el, { attributes: true });
    });
    await page.getByTestId('run-submit').click();
    await page
      .locator('[data-testid="node-prompt"][data-status="running"]')
      .waitFor({ timeout: 10_000 })
      .catch(async (err) => {
        await screenshot(page, 'story2-failed');
        throw new Error(`${(err as Error).message}\nrun panel: ${await page.locator('.run-panel').textContent()}`);
      });
    // Tokens stream into the panel while the prompt runs.
    await expect
      .poll(() => page.getByTestId('run-output').textContent(), { timeout: 10_000 })
      .toMatch(/Streaming from prompt\s*Echo:/);
    await screenshot(page, 'story2-running');
    await page.locator('[data-testid="node-outputs"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('run-status').textContent()).toContain('succeeded');
    const output = await page.getByTestId('run-output').textContent();
    expect(output).toContain('Echo: Answer in one line: What is Braid?');
    expect([...seen]).toEqual(expect.arrayContaining(['running', 'succeeded']));
    expect(suite.stack.fake.calls.some((c) => c.path === '/v1/chat/completions')).toBe(true);

    // Click a node: its inputs, outputs, duration and tokens.
    await selectNode(page, 'prompt');
    const details = page.getByTestId('span-details');
    await expect.poll(() => details.textContent()).toContain('tokens');
    expect(await details.textContent()).toContain('What is Braid?');
    await screenshot(page, 'story2-finished');

    // Single-node run, prefilled with the last run's inputs.
    await page.getByRole('button', { name: 'Run node' }).click();
    const dlg = page.getByTestId('node-run-dialog');
    expect(await dlg.locator('textarea').first().inputValue()).toBe('What is Braid?');
    await dlg.locator('textarea').first().fill('Just this node');
    await dlg.locator('.modal-foot button').click();
    await expect
      .poll(
        () =>
          dlg
            .getByTestId('node-run-result')
            .textContent()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toContain('Echo: Answer in one line: Just this node');
    await screenshot(page, 'story2-node-run');
    await page.keyboard.press('Escape');

    // Run history lists it.
    await page.getByTestId('tab-history').click();
    await page.getByTestId('history').waitFor();
    expect(await page.getByTestId('history').textContent()).toContain('succeeded');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('loads Monaco with every request to another origin blocked (no CDN fetch)', async () => {
    const { page, errors } = await newPage(suite.browser, { theme: 'dark' });
    const origin = new URL(suite.stack.url).origin;
    const foreign: string[] = [];
    await page.context().route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    await page.goto(`${suite.stack.url}/#/flows/story-flow`);
    await page.locator('[data-testid="node-prompt"]').waitFor();
    await selectNode(page, 'prompt');
    const editor = page.locator('[data-testid="node-inspector"] .code-editor[data-language="mustache"]').nth(1);
    await editor.locator('.monaco-editor .view-lines').waitFor({ timeout: 20_000 });
    await expect.poll(() => editor.locator('.view-lines').textContent()).toContain('{{question}}');
    // The mustache variable is highlighted by our tokenizer (a distinct token class).
    const classes = await editor
      .locator('.view-lines span span')
      .evaluateAll((els) => els.map((e) => `${e.className}|${e.textContent}`));
    const varSpan = classes.find((c) => c.endsWith('|question'));
    const textSpan = classes.find((c) => c.includes('Answer'));
    expect(varSpan?.split('|')[0]).not.toBe(textSpan?.split('|')[0]);
    await screenshot(page, 'story7-monaco-offline-dark');
    expect(foreign).toEqual([]);
    expect(errors.filter((e) => !e.includes('favicon'))).toEqual([]);
    // The built bundle ships Monaco's workers from our own origin.
    const assets = fs.readdirSync(
      path.join(suite.stack.server.app.context ? path.resolve('dist/client/assets') : '', ''),
    );
    expect(assets.some((a) => a.startsWith('editor.worker'))).toBe(true);
    await page.context().close();
  }, 60_000);

  it('cancels a running run', async () => {
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/story-flow`);
    await page.locator('[data-testid="node-prompt"]').waitFor();
    suite.stack.fake.enqueue({ hang: true });
    await page.getByTestId('open-run').click();
    await page.getByLabel('run input question').fill('never answered');
    await page.getByTestId('run-submit').click();
    await page.locator('[data-testid="node-prompt"][data-status="running"]').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 15_000 }).toMatch(/cancelled/);
    await screenshot(page, 'story2-cancelled');
    // The server really cancelled it (not just the panel).
    await expect
      .poll(
        async () =>
          (
            (await (await fetch(`${suite.stack.url}/api/flows/story-flow/runs`)).json()) as {
              runs: { status: string }[];
            }
          ).runs[0]?.status,
        { timeout: 15_000 },
      )
      .toBe('cancelled');
    suite.stack.fake.reset();
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await page.context().close();
  }, 60_000);
});
