/**
 * People in the loop, in Chromium against the real server: a flow with an approval node
 * runs from the canvas and waits (badge on the node, link to the Inbox); the Inbox shows the
 * task with its context, a comment and approval are given with the keyboard, and the run
 * finishes on the canvas with the reviewer's comment. An input form refuses invalid values
 * at the fields, then takes a valid answer; a task someone else decided first says so.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newPage, screenshot, writeFlowFile } from './harness';
import { browserSuite, selectNode } from './helpers';

const suite = browserSuite();
const { hasChromium } = suite;

/** question → draft (template) → approve (human) → answer / note. */
const replyReview = {
  schemaVersion: 1,
  id: 'reply-review',
  name: 'Reply review',
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [
    { name: 'answer', type: 'string' },
    { name: 'note', type: 'string' },
  ],
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
      config: { kind: 'approval', message: 'Send this reply?\n\n{{data}}', timeoutMs: 86_400_000, onTimeout: 'reject' },
    },
    { id: 'outputs', type: 'output', position: { x: 800, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'question', target: 'draft', targetPort: 'question' },
    { source: 'draft', sourcePort: 'result', target: 'approve', targetPort: 'data' },
    { source: 'approve', sourcePort: 'approved', target: 'outputs', targetPort: 'answer' },
    { source: 'approve', sourcePort: 'comment', target: 'outputs', targetPort: 'note' },
  ],
};

/** A form to fill in: title (3–20 characters), priority (choice), count (1–5), notes. */
const collect = {
  schemaVersion: 1,
  id: 'collect',
  name: 'Collect details',
  inputs: [{ name: 'topic', type: 'string', required: true }],
  outputs: [{ name: 'details', type: 'json' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'ask',
      type: 'human',
      position: { x: 300, y: 0 },
      config: {
        kind: 'input',
        message: 'Fill in the details for {{topic}}',
        fields: {
          type: 'object',
          required: ['title', 'priority', 'count'],
          properties: {
            title: { type: 'string', title: 'Title', minLength: 3, maxLength: 20 },
            priority: { type: 'string', enum: ['low', 'high'] },
            count: { type: 'integer', minimum: 1, maximum: 5 },
            notes: { type: 'string', format: 'textarea' },
          },
        },
        onTimeout: 'fail',
      },
    },
    { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'topic', target: 'ask', targetPort: 'topic' },
    { source: 'ask', sourcePort: 'response', target: 'outputs', targetPort: 'details' },
  ],
};

/** The tool an agent may call only with a person's approval: text → "<text>!!". */
const shoutTool = {
  schemaVersion: 1,
  id: 'shout-tool',
  name: 'Shout',
  inputs: [{ name: 'text', type: 'string', required: true }],
  outputs: [{ name: 'result', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    { id: 'loud', type: 'transform', position: { x: 260, y: 0 }, config: { mode: 'template', template: '{{text}}!!' } },
    { id: 'outputs', type: 'output', position: { x: 520, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'text', target: 'loud', targetPort: 'text' },
    { source: 'loud', sourcePort: 'result', target: 'outputs', targetPort: 'result' },
  ],
};

/** question → agent whose one tool (`shout`) needs approval → text. */
const gatedAgent = {
  schemaVersion: 1,
  id: 'gated-agent',
  name: 'Gated agent',
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'text', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'agent',
      type: 'agent',
      position: { x: 260, y: 0 },
      config: {
        model: 'openai:gpt-4o-mini',
        prompt: '{{question}}',
        tools: [{ kind: 'flow', flow: 'shout-tool', name: 'shout', requireApproval: true }],
        stream: false,
      },
    },
    { id: 'outputs', type: 'output', position: { x: 520, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'question', target: 'agent', targetPort: 'question' },
    { source: 'agent', sourcePort: 'text', target: 'outputs', targetPort: 'text' },
  ],
};

async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${suite.stack.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as T;
}

async function startAsync(flowId: string, inputs: Record<string, unknown>): Promise<string> {
  const r = await api<{ runId: string }>(`/api/flows/${flowId}/runs`, { inputs, mode: 'async' });
  return r.runId;
}

async function pendingTasks(): Promise<Array<{ id: string; runId: string; flowId: string }>> {
  return (await api<{ tasks: Array<{ id: string; runId: string; flowId: string }> }>('/api/tasks?status=pending'))
    .tasks;
}

/** The id of a run's (first) pending task, once it exists. */
async function taskOf(runId: string): Promise<string> {
  let id: string | undefined;
  await expect
    .poll(async () => (id = (await pendingTasks()).find((t) => t.runId === runId)?.id), { timeout: 15_000 })
    .toBeTruthy();
  return id!;
}

const detail = (page: Page) => page.getByTestId('task-detail');

describe.skipIf(!hasChromium)('the Inbox', () => {
  it('approves a waiting run with a comment from the keyboard and the run finishes on the canvas', async () => {
    writeFlowFile(suite.stack, replyReview);
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/flows/reply-review`);
    await page.locator('[data-testid="node-approve"]').waitFor();

    // The human node's inspector: kind, message (template), deadline as a duration; no form fields for an approval.
    await selectNode(page, 'approve');
    const inspector = page.getByTestId('node-inspector');
    await expect.poll(() => inspector.getByLabel('kind', { exact: true }).inputValue()).toBe('approval');
    await expect.poll(() => inspector.getByLabel('timeoutMs unit').inputValue()).toBe(String(86_400_000));
    expect(await inspector.getByLabel('timeoutMs', { exact: true }).inputValue()).toBe('1');
    expect(await inspector.getByTestId('form-schema-editor').count()).toBe(0);
    await screenshot(page, 'inbox-1-inspector');

    await page.getByTestId('open-run').click();
    await page.getByLabel('run input question').fill('返品できますか？');
    await page.getByTestId('run-submit').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toMatch(/waiting/);
    await expect.poll(() => page.getByTestId('node-approve').getAttribute('data-status')).toBe('waiting');
    await expect.poll(() => page.getByTestId('wait-approve').textContent()).toContain('1 task in the Inbox');
    await expect.poll(() => page.getByTestId('inbox-badge').textContent(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => page.getByTestId('run-waiting').textContent()).toContain('1 task in the Inbox');
    // History shows the run as waiting, with a way to the Inbox.
    await page.getByTestId('tab-history').click();
    await expect.poll(() => page.getByTestId('history').textContent()).toContain('waiting');
    await page.getByTestId('tab-run').click();
    await screenshot(page, 'inbox-2-waiting-on-canvas');

    // The node's link opens the Inbox on its task.
    await page.getByTestId('wait-approve').click();
    await page.waitForURL(/#\/inbox\//);
    await expect.poll(() => detail(page).getByTestId('task-message').textContent()).toContain('回答: 返品できますか？');
    await expect.poll(() => detail(page).getByTestId('task-inputs').textContent()).toContain('返品できますか？');
    expect(await detail(page).getByTestId('task-deadline').textContent()).toMatch(/in 2\d h|in 1 day|in 24 h/);
    expect(await page.getByTestId('inbox-hint').textContent()).toContain('approve');

    // c → comment, Esc leaves the field, a approves.
    await page.keyboard.press('c');
    await page.keyboard.type('丁寧な回答です。送ってください');
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    await page.getByTestId('inbox-empty').waitFor();
    await expect.poll(() => page.getByTestId('inbox-badge').count()).toBe(0);
    await screenshot(page, 'inbox-3-decided');

    // From "Decided here" back to the run: it resumed and finished, with the comment.
    await page.getByTestId('inbox-decided').locator('a').first().click();
    await page.waitForURL(/#\/flows\/reply-review\/runs\//);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toMatch(/succeeded/);
    await expect.poll(() => page.getByTestId('node-approve').getAttribute('data-status')).toBe('succeeded');
    await page.locator('[data-testid="node-outputs"] .bnode-head').click();
    await screenshot(page, 'inbox-4-run-finished');
    const runId = /runs\/([^/]+)$/.exec(page.url())?.[1] ?? '';
    const run = await api<{ status: string; outputs: Record<string, unknown> }>(`/api/runs/${runId}`);
    expect(run.status).toBe('succeeded');
    expect(run.outputs).toEqual({ answer: '回答: 返品できますか？', note: '丁寧な回答です。送ってください' });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('refuses an invalid form at its fields, takes a valid one, and says when someone decided first', async () => {
    writeFlowFile(suite.stack, collect);
    writeFlowFile(suite.stack, replyReview);
    const formRun = await startAsync('collect', { topic: '出張' });
    await expect
      .poll(async () => (await pendingTasks()).some((t) => t.runId === formRun), { timeout: 15_000 })
      .toBe(true);
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/inbox`);
    await expect.poll(() => detail(page).getByTestId('task-message').textContent()).toContain('出張');

    // Submit empty: each required field says so, nothing is sent.
    await page.keyboard.press('a');
    await expect.poll(() => page.getByTestId('task-field-error-title').textContent()).toBe('Title is required.');
    expect(await page.getByTestId('task-field-error-priority').textContent()).toBe('priority is required.');
    await page.getByTestId('task-field-title').fill('出張');
    await page.getByTestId('task-field-count').fill('9');
    await page.getByTestId('task-field-priority').selectOption('high');
    await page.getByTestId('task-field-notes').fill('新幹線で\n二泊');
    await page.getByTestId('task-approve').click();
    await expect
      .poll(() => page.getByTestId('task-field-error-title').textContent())
      .toBe('Enter at least 3 characters.');
    expect(await page.getByTestId('task-field-error-count').textContent()).toBe('Enter a number from 1 to 5.');
    await screenshot(page, 'inbox-5-form-errors');
    expect((await pendingTasks()).some((t) => t.runId === formRun)).toBe(true);

    // Fix and submit from inside a field with Ctrl+Enter.
    await page.getByTestId('task-field-title').fill('大阪出張');
    await page.getByTestId('task-field-count').fill('３');
    await expect.poll(() => page.getByTestId('task-field-error-count').count()).toBe(0);
    await page.getByTestId('task-field-count').press('Control+Enter');
    await page.getByTestId('inbox-empty').waitFor();
    await expect
      .poll(async () => (await api<{ status: string }>(`/api/runs/${formRun}`)).status, { timeout: 15_000 })
      .toBe('succeeded');
    const done = await api<{ outputs: Record<string, unknown> }>(`/api/runs/${formRun}`);
    expect(done.outputs).toEqual({
      details: { title: '大阪出張', priority: 'high', count: 3, notes: '新幹線で\n二泊' },
    });

    // Someone else decides while this page still shows the task: the page says who.
    const other = await startAsync('reply-review', { question: 'もう一つ' });
    await expect
      .poll(async () => (await pendingTasks()).find((t) => t.runId === other)?.id, { timeout: 15_000 })
      .toBeTruthy();
    await expect
      .poll(() => detail(page).getByTestId('task-message').textContent(), { timeout: 10_000 })
      .toContain('もう一つ');
    // Freeze this page's list (a stale view), then let "ana" decide through the API.
    await page.route('**/api/tasks?status=pending*', (route) => route.abort());
    const task = (await pendingTasks()).find((t) => t.runId === other)!;
    await api(`/api/tasks/${task.id}`, { decision: 'reject', comment: 'no', decidedBy: 'ana' });
    await page.keyboard.press('a');
    await expect
      .poll(() => page.getByTestId('task-error').textContent())
      .toContain('Already decided by ana (rejected)');
    await screenshot(page, 'inbox-6-already-decided');
    // The frozen list's aborted polls and the refused decision are logged by the browser, nothing else.
    expect(errors.filter((e) => !e.includes('net::ERR_FAILED') && !e.includes('409 (Conflict)'))).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('approves an agent tool call with edited arguments, and cancels a waiting run with its tasks', async () => {
    writeFlowFile(suite.stack, shoutTool);
    writeFlowFile(suite.stack, gatedAgent);
    writeFlowFile(suite.stack, replyReview);
    const fake = suite.stack.fake;
    fake.reset();
    fake.enqueue(
      { toolCalls: [{ id: 'call_1', name: 'shout', arguments: { text: 'こんにちは' } }] },
      { reply: '完了しました' },
    );
    const agentRun = await startAsync('gated-agent', { question: '叫んで' });
    const taskId = await taskOf(agentRun);
    const { page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.stack.url}/#/inbox/${encodeURIComponent(taskId)}`);
    await expect.poll(() => detail(page).getAttribute('data-task-id')).toBe(taskId);
    expect(await detail(page).textContent()).toContain('The agent wants to call shout');
    const args = detail(page).getByTestId('task-tool-args');
    expect(JSON.parse(await args.inputValue())).toEqual({ text: 'こんにちは' });

    // Broken JSON is refused at the field; nothing is sent.
    await args.fill('{"text": "さようなら"');
    await detail(page).getByTestId('task-approve').click();
    await expect.poll(() => detail(page).getByTestId('task-args-error').textContent()).toContain('Not valid JSON');
    expect((await pendingTasks()).some((t) => t.id === taskId)).toBe(true);
    await args.fill('{"text": "さようなら"}');
    await expect.poll(() => detail(page).getByTestId('task-args-error').count()).toBe(0);
    await screenshot(page, 'inbox-7-tool-arguments-edited');
    await detail(page).getByTestId('task-approve').click();
    await expect
      .poll(async () => (await api<{ status: string }>(`/api/runs/${agentRun}`)).status, { timeout: 15_000 })
      .toBe('succeeded');
    const done = await api<{ outputs: Record<string, unknown> }>(`/api/runs/${agentRun}`);
    expect(done.outputs).toEqual({ text: '完了しました' });
    // The tool ran with the edited arguments, and the model saw that result.
    const chats = fake.calls.filter((c) => c.path === '/v1/chat/completions');
    expect(chats).toHaveLength(2);
    const toolMsg = (chats[1]!.body as { messages: Array<{ role: string; content: string }> }).messages.find(
      (m) => m.role === 'tool',
    );
    expect(toolMsg?.content).toContain('さようなら!!');
    expect(toolMsg?.content).not.toContain('こんにちは');

    // A waiting run is cancelled from its task: asked first, then the run and its task are gone.
    const waitingRun = await startAsync('reply-review', { question: 'キャンセルして' });
    const waitTask = await taskOf(waitingRun);
    await page.goto(`${suite.stack.url}/#/inbox/${encodeURIComponent(waitTask)}`);
    await expect.poll(() => detail(page).getAttribute('data-task-id')).toBe(waitTask);
    await detail(page).getByTestId('task-cancel-run').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    // The Inbox shortcuts do not reach through the dialog: "a" does not approve.
    await page.keyboard.press('a');
    await screenshot(page, 'inbox-8-cancel-run');
    expect((await api<{ status: string }>(`/api/tasks/${waitTask}`)).status).toBe('pending');
    await dialog.getByRole('button', { name: 'Cancel the run' }).click();
    await expect
      .poll(async () => (await api<{ status: string }>(`/api/runs/${waitingRun}`)).status, { timeout: 10_000 })
      .toBe('cancelled');
    expect((await api<{ status: string }>(`/api/tasks/${waitTask}`)).status).toBe('cancelled');
    await expect.poll(() => page.locator(`[data-task-id="${waitTask}"]`).count()).toBe(0);
    await expect.poll(() => page.getByTestId('inbox-decided').textContent()).toContain('Run cancelled');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
