/**
 * Runs waiting on people, outside the Inbox, in Chromium against the real server: a run
 * started on the canvas is cancelled from the Run tab, another from run history (both ask
 * first and withdraw the run's tasks); a paused deployed call shows in the request log as
 * "202 waiting", then its outcome; a deployment's default webhook URL is set in its
 * Settings tab (a bad URL is refused with the field named).
 */
import { describe, expect, it } from 'vitest';
import { newPage, screenshot, writeFlowFile } from './harness';
import { browserSuite } from './helpers';

const suite = browserSuite();

/** question → draft (template) → approve (human) → answer. */
const holdFlow = {
  schemaVersion: 1,
  id: 'hold-reply',
  name: 'Hold reply',
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'draft',
      type: 'transform',
      position: { x: 260, y: 0 },
      config: { mode: 'template', template: '回答: {{question}}' },
    },
    {
      id: 'approve',
      type: 'human',
      position: { x: 520, y: 0 },
      config: { kind: 'approval', message: 'Send?\n\n{{data}}', onTimeout: 'reject' },
    },
    { id: 'outputs', type: 'output', position: { x: 800, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'question', target: 'draft', targetPort: 'question' },
    { source: 'draft', sourcePort: 'result', target: 'approve', targetPort: 'data' },
    { source: 'approve', sourcePort: 'approved', target: 'outputs', targetPort: 'answer' },
  ],
};

async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${suite.stack.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return (await res.json()) as T;
}

const pendingOf = async (runId: string) =>
  (await api<{ tasks: unknown[] }>(`/api/tasks?status=pending&runId=${runId}`)).tasks.length;

describe.skipIf(!suite.hasChromium)('runs waiting on people', () => {
  it('are cancelled from the Run tab and from history, after a question', async () => {
    writeFlowFile(suite.stack, holdFlow);
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/hold-reply`);
    await page.locator('[data-testid="node-approve"]').waitFor();
    await page.getByTestId('open-run').click();
    await page.getByLabel('run input question').fill('待って');
    await page.getByTestId('run-submit').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toMatch(/waiting/);
    await expect.poll(() => page.getByTestId('run-waiting').textContent()).toContain('1 task in the Inbox');
    const runs = await api<{ runs: Array<{ runId: string; status: string }> }>('/api/flows/hold-reply/runs');
    const first = runs.runs.find((r) => r.status === 'waiting')!.runId;
    expect(await pendingOf(first)).toBe(1);

    // The Run tab: asked first; "Cancel" in the question leaves the run waiting.
    await page.getByTestId('run-cancel-waiting').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    await screenshot(page, 'waiting-1-cancel-from-run-tab');
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await api<{ status: string }>(`/api/runs/${first}`)).status).toBe('waiting');
    await page.getByTestId('run-cancel-waiting').click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel the run' }).click();
    await expect.poll(() => page.getByTestId('run-status').textContent()).toMatch(/cancelled/);
    await expect.poll(() => page.getByTestId('run-waiting').count()).toBe(0);
    expect((await api<{ status: string }>(`/api/runs/${first}`)).status).toBe('cancelled');
    expect(await pendingOf(first)).toBe(0);

    // History: a waiting run started elsewhere has its own Cancel run.
    const { runId: second } = await api<{ runId: string }>('/api/flows/hold-reply/runs', {
      body: { inputs: { question: 'もう一つ' }, mode: 'async' },
    });
    await expect.poll(() => pendingOf(second), { timeout: 15_000 }).toBe(1);
    await page.getByTestId('tab-history').click();
    await expect.poll(() => page.getByTestId(`history-status-${second}`).textContent()).toBe('waiting');
    expect(await page.getByTestId(`history-cancel-${first}`).count()).toBe(0); // only waiting runs have one
    await page.getByTestId(`history-cancel-${second}`).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel the run' }).click();
    await expect.poll(() => page.getByTestId(`history-status-${second}`).textContent()).toBe('cancelled');
    await expect.poll(() => page.getByTestId(`history-cancel-${second}`).count()).toBe(0);
    await screenshot(page, 'waiting-2-cancelled-in-history');
    expect(await pendingOf(second)).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("show in a deployment's request log, and take its default webhook URL from its Settings tab", async () => {
    writeFlowFile(suite.stack, holdFlow);
    const dep = await fetch(`${suite.stack.url}/api/flows/hold-reply/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(dep.status).toBe(201);
    const { apiKey } = (await dep.json()) as { apiKey: string };
    const { page } = await newPage(suite.browser);

    // The request log shows a paused call as "202 waiting", then what became of its run.
    const call = await fetch(`${suite.stack.url}/v1/endpoints/hold-reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ inputs: { question: 'ログ' } }),
    });
    expect(call.status).toBe(202);
    const { runId } = (await call.json()) as { runId: string };
    await page.goto(`${suite.stack.url}/#/deployments/hold-reply/logs`);
    await expect.poll(() => page.getByTestId('logs').textContent(), { timeout: 10_000 }).toContain('202 waiting');
    await screenshot(page, 'waiting-3-log-waiting');
    let task: { id: string } | undefined;
    await expect
      .poll(async () => (task = (await api<{ tasks: Array<{ id: string }> }>(`/api/tasks?runId=${runId}`)).tasks[0]))
      .toBeTruthy();
    await api(`/api/tasks/${task!.id}`, { body: { decision: 'approve' } });
    await expect.poll(async () => (await api<{ status: string }>(`/api/runs/${runId}`)).status).toBe('succeeded');
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId('logs').textContent();
        },
        { timeout: 10_000 },
      )
      .toContain('202 succeeded');

    await page.goto(`${suite.stack.url}/#/deployments/hold-reply/settings`);
    await page.getByTestId('deploy-settings').waitFor();
    const field = page.getByTestId('setting-webhookUrl');
    const save = page.getByTestId('deploy-settings').getByRole('button', { name: 'Save' });
    await field.fill('ftp://hooks.example.com/braid');
    await save.click();
    await expect.poll(() => page.locator('.toast-error').last().textContent()).toContain('webhookUrl');
    await field.fill('https://hooks.example.com/braid');
    await save.click();
    await expect.poll(() => page.locator('.toast').last().textContent()).toContain('settings saved');
    const detail = await api<{ settings: { webhookUrl: string | null } }>('/api/deployments/hold-reply');
    expect(detail.settings.webhookUrl).toBe('https://hooks.example.com/braid');
    await screenshot(page, 'waiting-4-webhook-setting');
    // Emptied: no default webhook.
    await field.fill('');
    await save.click();
    await expect
      .poll(
        async () => (await api<{ settings: { webhookUrl: string | null } }>('/api/deployments/hold-reply')).settings,
      )
      .toMatchObject({ webhookUrl: null });
    await page.context().close();
  }, 90_000);
});
