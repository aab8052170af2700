/**
 * Browser stories: a half-built flow is saved as work in progress (with its problems),
 * survives a reload, and running it shows the server's 422 problems readably; the Changes
 * view compares the canvas with any commit of the flow file's git history.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, newPage, readFlowFile, screenshot, writeFlowFile } from './harness';
import { connect, dragFromPalette, edgeCount, MOD, nodeIds, browserSuite } from './helpers';
import { validateFlow } from '../../shared/flow/validate';

const suite = browserSuite();
const { hasChromium } = suite;
const hasGit = (() => {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasChromium) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM}`);
if (!hasGit) console.warn('git history browser test skipped: git is not installed');

describe.skipIf(!hasChromium)('work in progress and version history', () => {
  it('saves a half-built flow with its problems, reloads it, and shows why it cannot run', async () => {
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/`);
    await page.getByTestId('new-flow').click();
    await page.getByLabel('Flow name').fill('Half flow');
    await page.getByTestId('dialog-ok').click();
    await page.waitForURL(/#\/flows\/half-flow$/);
    // A new blank flow starts with its Inputs and Outputs nodes, as the dialog says.
    await page.locator('[data-testid="node-outputs"]').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['inputs', 'outputs']);
    await dragFromPalette(page, 'prompt', 390, 120);
    await page.locator('[data-testid="node-prompt"]').waitFor();
    // Only the prompt's output is wired: its `question` input is connected to nothing.
    await connect(page, ['prompt', 'text'], ['outputs', 'answer']);
    await expect.poll(() => edgeCount(page)).toBe(1);

    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press(`${MOD}+S`);
    await expect
      .poll(() => page.locator('.toast').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringMatching(/Saved with 1 problem\b/)]));
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);
    await expect
      .poll(() =>
        page
          .getByTestId('problems')
          .textContent()
          .catch(() => ''),
      )
      .toMatch(/prompt.*required input "question"/);
    await screenshot(page, 'story10-saved-with-problems');

    // On disk: the flow format, with the problem still in it.
    const onDisk = JSON.parse(readFlowFile(suite.stack, 'half-flow')) as Record<string, unknown>;
    const res = validateFlow(onDisk);
    expect(res.flow).toBeDefined();
    expect(res.problems.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual(['missing_input']);

    // Reload: everything is still there and the Problems panel lists the problem.
    await page.reload();
    await page.locator('[data-testid="node-prompt"]').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['inputs', 'outputs', 'prompt']);
    await expect.poll(() => edgeCount(page)).toBe(1);
    await expect
      .poll(() =>
        page
          .getByTestId('problems')
          .textContent()
          .catch(() => ''),
      )
      .toMatch(/required input "question"/);
    await expect.poll(() => page.locator('[data-testid="node-prompt"].has-problems').count()).toBe(1);

    // Running it: the server refuses (422) and the run panel lists the problems readably.
    await page.getByTestId('open-run').click();
    await page.getByLabel('run input question').fill('Will this run?');
    await page.getByTestId('run-submit').click();
    const runError = page.getByTestId('run-error');
    await expect
      .poll(() => runError.textContent().catch(() => ''), { timeout: 10_000 })
      .toMatch(/This flow cannot run yet: 1 problem/);
    const text = (await runError.textContent()) ?? '';
    expect(text).toMatch(/• prompt: required input "question"/);
    expect(text).not.toMatch(/[{}]|"problems"/);
    expect(suite.stack.fake.calls.filter((c) => c.path === '/v1/chat/completions')).toHaveLength(0);
    await screenshot(page, 'story10-run-refused');

    // The flow list marks it.
    await page.goto(`${suite.stack.url}/#/flows`);
    await expect
      .poll(() =>
        page
          .getByTestId('flow-problems-half-flow')
          .textContent()
          .catch(() => ''),
      )
      .toMatch(/^\s*1 problem$/);
    await screenshot(page, 'story10-list-with-problems');
    expect(errors.filter((e) => !/422|Failed to load resource/.test(e))).toEqual([]);
    await page.context().close();
  }, 90_000);

  it.skipIf(!hasGit)(
    'compares the canvas with a commit picked from the file’s git history',
    async () => {
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args], {
          cwd: suite.stack.flowsDir,
          encoding: 'utf8',
        });
      const node = (id: string, x: number, template: string) => ({
        id,
        type: 'transform',
        position: { x, y: 0 },
        config: { mode: 'template', template },
      });
      const base = {
        schemaVersion: 1,
        id: 'versioned',
        name: 'Versioned',
        inputs: [{ name: 'text', type: 'string', required: true }],
        outputs: [{ name: 'out', type: 'string' }],
      };
      git('init', '-q');
      writeFlowFile(suite.stack, {
        ...base,
        nodes: [
          { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
          node('a', 300, 'A {{text}}'),
          node('old', 300, 'old {{text}}'),
          { id: 'outputs', type: 'output', position: { x: 900, y: 0 } },
        ],
        edges: [
          { source: 'inputs', sourcePort: 'text', target: 'a', targetPort: 'text' },
          { source: 'inputs', sourcePort: 'text', target: 'old', targetPort: 'text' },
          { source: 'a', sourcePort: 'result', target: 'outputs', targetPort: 'out' },
        ],
      });
      git('add', 'versioned.flow.json');
      git('commit', '-q', '-m', 'first cut');
      writeFlowFile(suite.stack, {
        ...base,
        nodes: [
          { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
          node('a', 300, 'A2 {{text}}'),
          node('b', 600, 'B {{x}}'),
          { id: 'outputs', type: 'output', position: { x: 900, y: 0 } },
        ],
        edges: [
          { source: 'inputs', sourcePort: 'text', target: 'a', targetPort: 'text' },
          { source: 'a', sourcePort: 'result', target: 'b', targetPort: 'x' },
          { source: 'b', sourcePort: 'result', target: 'outputs', targetPort: 'out' },
        ],
      });
      git('commit', '-q', '-am', 'add b, drop old');
      const [second, first] = git('log', '--format=%h').trim().split('\n');

      const { page, errors } = await newPage(suite.browser);
      await page.goto(`${suite.stack.url}/#/flows/versioned`);
      await page.locator('[data-testid="node-b"]').waitFor();
      await page.getByTestId('diff-toggle').click();
      const legend = page.getByTestId('diff-legend');
      await expect.poll(() => legend.textContent()).toMatch(/Changes since last save.*none/);
      const picker = page.getByTestId('diff-base');
      await expect
        .poll(() => picker.locator('option').allTextContents())
        .toEqual([
          'Last saved version',
          expect.stringMatching(new RegExp(`^${second} · add b, drop old · `)),
          expect.stringMatching(new RegExp(`^${first} · first cut · `)),
        ]);

      await picker.selectOption({ index: 2 });
      await expect
        .poll(() => legend.textContent())
        .toMatch(new RegExp(`Changes since ${first} “first cut”.*\\+1 added.*~1 changed.*−1 removed`));
      await expect.poll(() => page.locator('.react-flow__node[data-id="__removed__old"]').isVisible()).toBe(true);
      expect(await page.locator('[data-testid="node-b"].diff-added').count()).toBe(1);
      expect(await page.locator('[data-testid="node-a"].diff-changed').count()).toBe(1);
      expect(
        await page.locator('[data-testid="node-inputs"].diff-changed, [data-testid="node-inputs"].diff-added').count(),
      ).toBe(0);
      await screenshot(page, 'story11-diff-vs-commit');

      // The newest commit is the file as saved: nothing changed; back to the last save.
      await picker.selectOption({ index: 1 });
      await expect.poll(() => legend.textContent()).toMatch(new RegExp(`Changes since ${second}.*none`));
      await picker.selectOption({ index: 0 });
      await expect.poll(() => legend.textContent()).toMatch(/Changes since last save.*none/);
      expect(await page.locator('.react-flow__node[data-id="__removed__old"]').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.context().close();
    },
    90_000,
  );
});
