/**
 * The agent node in Chromium against the real server: drop an Agent, give it a flow tool
 * and one tool of an MCP server (the test suite's Streamable HTTP server, configured through
 * BRAID_MCP_CONFIG) with the inspector's pickers, see its tools on the node, wire and save it,
 * run it against the fake model scripted with tool_calls, watch the steps stream into the run
 * panel (thinking text, the call's arguments, its result, then the answer), and open the flow
 * tool's child run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, newPage, readFlowFile, screenshot, writeFlowFile } from './harness';
import { browserSuite, connect, dragFromPalette, edgeCount, MOD, selectNode } from './helpers';
import { startMcpHttpServer, type McpHttpTestServer } from '../support/mcp-test-server';
import type { Flow } from '../../shared/flow/schema';

let mcp: McpHttpTestServer | undefined;
let mcpDir: string | undefined;
const suite = browserSuite(
  {},
  {
    env: async () => {
      mcp = await startMcpHttpServer();
      mcpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-agent-mcp-'));
      const file = path.join(mcpDir, 'mcp.json');
      fs.writeFileSync(file, JSON.stringify({ mcpServers: { calc: { url: mcp.url } } }));
      return { BRAID_MCP_CONFIG: file, BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1' };
    },
  },
);
afterAll(async () => {
  await mcp?.close();
  if (mcpDir) fs.rmSync(mcpDir, { recursive: true, force: true });
});
const { hasChromium } = suite;

/** The tool flow: a help-center search stand-in (query → article text). */
const kbSearch = {
  schemaVersion: 1,
  id: 'kb-search',
  name: 'Help center search',
  inputs: [{ name: 'query', type: 'string', required: true, description: '検索語' }],
  outputs: [{ name: 'article', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'search',
      type: 'transform',
      position: { x: 250, y: 0 },
      config: { mode: 'template', template: '記事: 「{{query}}」は30日以内なら返品できます' },
    },
    { id: 'outputs', type: 'output', position: { x: 500, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'query', target: 'search', targetPort: 'query' },
    { source: 'search', sourcePort: 'result', target: 'outputs', targetPort: 'article' },
  ],
};

/** The flow the story builds: a question in, an answer out, nothing between yet. */
const helpdesk = {
  schemaVersion: 1,
  id: 'helpdesk',
  name: 'Helpdesk',
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 200 } },
    { id: 'outputs', type: 'output', position: { x: 640, y: 200 } },
  ],
  edges: [],
};

describe.skipIf(!hasChromium)('agent node on the canvas', () => {
  it('builds an agent with a flow tool and an MCP tool, runs it, streams its steps, opens the tool’s run', async () => {
    const { stack } = suite;
    writeFlowFile(stack, kbSearch);
    writeFlowFile(stack, helpdesk);
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${stack.url}/#/flows/helpdesk`);
    await page.locator('[data-testid="node-outputs"]').waitFor();

    await dragFromPalette(page, 'agent', 330, 80);
    await page.locator('[data-testid="node-agent"]').waitFor();
    const body = page.getByTestId('agent-body-agent');
    await expect.poll(() => body.textContent()).toContain('openai:gpt-4o-mini');
    await selectNode(page, 'agent');
    // The palette's agent comes with the declaration's example tool: remove it, the node follows.
    const tools = page.getByTestId('agent-tools');
    expect(await body.textContent()).toMatch(/kb-search/);
    await tools.getByRole('button', { name: 'Remove tool 1' }).click();
    await expect.poll(() => body.textContent()).toContain('no tools');

    // A flow tool, picked from the folder's flows (never this one); its arguments are shown.
    await tools.getByTestId('add-flow-tool').click();
    const flowPicker = tools.getByTestId('flow-picker');
    await expect
      .poll(() => flowPicker.locator('option').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringMatching(/^Help center search \(kb-search\)/)]));
    expect(await flowPicker.locator('option').allTextContents()).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/\(helpdesk\)/)]),
    );
    await flowPicker.selectOption('kb-search');
    await expect.poll(() => tools.getByTestId('agent-tool-card-0').textContent()).toContain('query (string, required)');
    await page.getByLabel('tool 1 description').fill('ヘルプセンターの記事を検索する');

    // An MCP server from BRAID_MCP_CONFIG, with its tool list: only `add`.
    await tools.getByTestId('add-mcp-tool').click();
    const serverPicker = tools.getByTestId('mcp-server-picker');
    await expect.poll(() => serverPicker.locator('option:checked').textContent()).toMatch(/^calc — 6 tools/);
    await tools.getByText('Only these:').click();
    await page.getByLabel('calc tool add').check();
    await page.getByLabel('maxIterations').fill('4');
    await page.getByLabel('maxDurationMs').fill('60000');
    // The node shows its tools at a glance: the flow by its name, the server with its chosen tool.
    await expect.poll(() => body.textContent()).toMatch(/kb-search\s*Help center search/);
    await expect.poll(() => body.textContent()).toContain('calc: add');
    await expect.poll(() => body.textContent()).toContain('≤ 4 steps · 60 s');
    await screenshot(page, 'agent-inspector');
    await page
      .locator('[data-testid="node-agent"]')
      .screenshot({ path: `${ARTIFACTS}/agent-node-closeup.png`, scale: 'device' });

    await page.getByRole('button', { name: 'Zoom to fit' }).click();
    await page.waitForTimeout(400);
    await connect(page, ['inputs', 'question'], ['agent', 'question']);
    await connect(page, ['agent', 'text'], ['outputs', 'answer']);
    await expect.poll(() => edgeCount(page)).toBe(2);
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press(`${MOD}+S`);
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);
    const saved = JSON.parse(readFlowFile(stack, 'helpdesk')) as Flow;
    expect(saved.nodes.find((n) => n.id === 'agent')?.config).toMatchObject({
      maxIterations: 4,
      budget: { maxDurationMs: 60000 },
      tools: [
        { kind: 'flow', flow: 'kb-search', description: 'ヘルプセンターの記事を検索する' },
        { kind: 'mcp', server: 'calc', tools: ['add'] },
      ],
    });

    // The model: one turn with thinking text and a tool call, then (slowly) the answer.
    stack.fake.reset();
    stack.fake.enqueue(
      {
        content: '記事を検索します。',
        toolCalls: [
          { id: 'call_kb', name: 'kb-search', arguments: { query: '返品' } },
          { id: 'call_add', name: 'add', arguments: { a: 2, b: 3 } },
        ],
      },
      { reply: '30日以内なら返品できます。' },
    );
    const slowSecondCall = setInterval(() => {
      if (stack.fake.calls.length >= 1) {
        stack.fake.setLatency(2_500);
        clearInterval(slowSecondCall);
      }
    }, 2);
    await page.getByTestId('open-run').click();
    await page.getByLabel('run input question').fill('返品できますか？');
    await page.getByTestId('run-submit').click();

    // While the run is still going, the first step and the tool's result are already there.
    const steps = page.getByTestId('agent-steps-agent');
    await expect.poll(() => page.getByTestId('agent-tool-1').textContent(), { timeout: 15_000 }).toContain('返品');
    await expect.poll(() => page.getByTestId('agent-tool-1').textContent()).toContain('30日以内なら返品できます');
    expect(await page.getByTestId('run-status').textContent()).toMatch(/running/);
    expect(await page.getByTestId('agent-model-0').textContent()).toContain('記事を検索します。');
    expect(await page.getByTestId('agent-model-0').textContent()).toContain('asked for 2 tools');
    // the MCP tool ran in parallel, on the configured server
    await expect.poll(() => page.getByTestId('agent-tool-2').textContent()).toContain('"sum": 5');
    expect(await page.getByTestId('agent-tool-2').textContent()).toContain('MCP');
    await expect.poll(() => page.getByTestId('agent-model-3').textContent()).toContain('running');
    await expect.poll(() => page.getByTestId('progress-agent').textContent()).toBe('step 2 · thinking…');
    await screenshot(page, 'agent-steps-live');
    await steps.screenshot({ path: `${ARTIFACTS}/agent-steps-live-closeup.png` });

    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toMatch(/succeeded/);
    clearInterval(slowSecondCall);
    stack.fake.setLatency(0);
    await expect.poll(() => page.getByTestId('agent-answer').textContent()).toContain('30日以内なら返品できます。');
    await expect.poll(() => page.getByTestId('progress-agent').textContent()).toBe('2 tool calls');
    expect(await page.getByTestId('run-output').textContent()).toContain('"answer": "30日以内なら返品できます。"');
    // The model saw the flow as a tool (its input as the argument schema) and the MCP tool.
    const offered = (stack.fake.calls[0]!.body as { tools: Array<{ function: { name: string } }> }).tools;
    expect(offered.map((t) => t.function.name)).toEqual(['kb-search', 'add']);

    // The tool call is a child run: open it from the step.
    await page.getByTestId('agent-open-run-1').click();
    const child = steps.getByTestId('child-run');
    await expect.poll(() => child.textContent()).toContain('kb-search');
    await child.getByTestId('child-span-search').click();
    await expect.poll(() => child.textContent()).toContain('記事: 「返品」は30日以内なら返品できます');
    await screenshot(page, 'agent-child-run');

    // Selected, the agent node shows the same steps and its child runs, like a map's.
    await selectNode(page, 'agent');
    const details = page.getByTestId('span-details');
    await expect.poll(() => details.getByTestId('agent-steps-agent').count()).toBe(1);
    await expect.poll(() => details.getByTestId('child-runs').textContent()).toContain('step 1 · kb-search');
    await screenshot(page, 'agent-node-details');

    // Opened from History, the run shows the same steps, read from the agent's span.
    await page.getByTestId('tab-history').click();
    await page.getByTestId('history').getByRole('button', { name: 'Open' }).first().click();
    await selectNode(page, 'agent');
    const fromSpan = page.getByTestId('span-details').getByTestId('agent-steps-agent');
    await expect.poll(() => fromSpan.getByTestId('agent-model-0').textContent()).toContain('記事を検索します。');
    expect(await fromSpan.getByTestId('agent-tool-1').textContent()).toContain('30日以内なら返品できます');
    expect(await fromSpan.getByTestId('agent-answer').textContent()).toContain('30日以内なら返品できます。');
    expect(errors).toEqual([]);
    await page.context().close();

    // The same steps in the dark theme (screenshot to look at).
    const dark = await newPage(suite.browser, { theme: 'dark' });
    await dark.page.goto(`${stack.url}/#/flows/helpdesk`);
    await dark.page.locator('[data-testid="node-agent"]').waitFor();
    await dark.page.getByTestId('tab-history').click();
    await dark.page.getByTestId('history').getByRole('button', { name: 'Open' }).first().click();
    await selectNode(dark.page, 'agent');
    await dark.page.getByTestId('span-details').getByTestId('agent-answer').waitFor();
    expect(await dark.page.getByTestId('progress-agent').textContent()).toBe('2 tool calls');
    await screenshot(dark.page, 'agent-dark');
    expect(dark.errors).toEqual([]);
    await dark.page.context().close();
  }, 150_000);
});
