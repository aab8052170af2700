/**
 * Issue 14, friction 4, 5, 6, 7 and 10 as one story in Chromium against the real server:
 * a flow started from the template gallery, nodes that show their model and a preview at a
 * readable zoom, sticky notes saved in the flow file, the chat panel with streamed replies,
 * the messages sent to the model in the span details, a blank flow with Inputs and Outputs,
 * and a Retrieval node that picks BM25 for a knowledge base without embeddings.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Flow } from '../../shared/flow/schema';
import { serializeFlow } from '../../shared/flow/serialize';
import { newPage, readFlowFile, screenshot } from './harness';
import { browserSuite, dragFromPalette, MOD, nodeIds, selectNode } from './helpers';

// Slow tokens, so the chat panel can be seen streaming.
const suite = browserSuite({ tokenDelayMs: 250 });

async function zoom(page: Page): Promise<number> {
  const t = await page.locator('.react-flow__viewport').evaluate((el) => getComputedStyle(el).transform);
  return Number(/matrix\(([^,]+)/.exec(t)?.[1] ?? 'NaN');
}

async function save(page: Page): Promise<void> {
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
  await page.keyboard.press(`${MOD}+S`);
  await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);
}

describe.skipIf(!suite.hasChromium)('canvas polish', () => {
  it('template gallery → node previews → sticky notes → chat panel → messages sent → blank flow → BM25 default', async () => {
    const { stack, browser } = suite;
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/`);

    // 7: starting points — blank or an example, each with a picture drawn from its graph and a sentence.
    await page.getByTestId('new-flow').click();
    await page.getByTestId('template-qa').waitFor();
    const cards = page.locator('.template-card');
    expect(await cards.count()).toBeGreaterThan(10);
    expect(await page.locator('[data-testid="template-router"] svg.flow-thumb rect').count()).toBeGreaterThan(5);
    expect(await page.locator('[data-testid="template-router"] svg.flow-thumb path').count()).toBeGreaterThan(4);
    expect(await page.getByTestId('template-qa').textContent()).toContain(
      'Plain question answering: one prompt, one answer.',
    );
    // A template that calls another flow brings it along.
    await page.getByTestId('template-digest').click();
    await expect.poll(() => page.getByTestId('new-flow-dialog').textContent()).toContain('summarise-document');
    await page.getByTestId('template-qa').click();
    await page.getByLabel('Flow name').fill('Polish chat');
    await screenshot(page, 'polish-1-gallery');
    await page.getByTestId('dialog-ok').click();
    await page.waitForURL(/#\/flows\/polish-chat$/);
    await page.getByTestId('node-answer').waitFor();

    // 5: the node shows its model and a preview of its templates; fit stays readable.
    expect(await page.getByTestId('model-answer').textContent()).toBe('openai:gpt-4o-mini');
    expect(await page.getByTestId('preview-answer').textContent()).toContain('You are a concise assistant.');
    expect(await page.getByTestId('preview-answer').textContent()).toContain('{{question}}');
    await page.getByRole('button', { name: 'Zoom to fit' }).click();
    await page.waitForTimeout(300);
    expect(await zoom(page)).toBeGreaterThanOrEqual(0.5);
    await screenshot(page, 'polish-2-template-nodes');

    // 10a: a sticky note — add, write (Japanese), move, resize, save; it is in the file.
    await page.getByTestId('add-note').click();
    const note = page.getByTestId('note-note-1');
    await note.waitFor();
    await note.dblclick();
    await page.getByLabel('Note text').fill('# 目的\n- 日本語の質問に答える\n- **短く**');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await expect.poll(() => note.locator('.note-h').textContent()).toBe('目的');
    const before = await note.boundingBox();
    await note.hover({ position: { x: 40, y: 40 } });
    await page.mouse.down();
    await page.mouse.move(before!.x + 40 - 60, before!.y + 40 - 50, { steps: 6 });
    await page.mouse.up();
    await note.click({ position: { x: 40, y: 40 } });
    await note.getByRole('button', { name: 'Colour blue' }).click();
    const corner = page.locator('.react-flow__node-note .react-flow__resize-control.handle.bottom.right');
    const c = await corner.boundingBox();
    await page.mouse.move(c!.x + c!.width / 2, c!.y + c!.height / 2);
    await page.mouse.down();
    await page.mouse.move(c!.x + 80, c!.y + 40, { steps: 6 });
    await page.mouse.up();
    await screenshot(page, 'polish-3-note');
    await save(page);
    const saved = JSON.parse(readFlowFile(stack, 'polish-chat')) as Flow;
    expect(readFlowFile(stack, 'polish-chat')).toBe(serializeFlow(saved));
    expect(saved.notes).toHaveLength(1);
    const n = saved.notes![0]!;
    expect(n).toMatchObject({ id: 'note-1', color: 'blue', text: '# 目的\n- 日本語の質問に答える\n- **短く**' });
    expect(n.size.width).toBeGreaterThan(240 + 40);
    expect(n.size.height).toBeGreaterThan(140 + 20);
    // Moved up and left from where it was added (the zoom is at most 1, so 60 px are ≥ 60 units).
    await page.reload();
    await page.getByTestId('note-note-1').waitFor();
    expect(await page.getByTestId('note-note-1').locator('b').textContent()).toBe('短く');
    expect((await nodeIds(page)).sort()).toEqual(['answer', 'inputs', 'outputs']);
    // The note and the node previews read in the dark theme too.
    await page.getByRole('button', { name: 'Toggle theme' }).click();
    await screenshot(page, 'polish-3b-dark');
    await page.getByRole('button', { name: 'Toggle theme' }).click();

    // 10b: the chat panel — the reply streams in, the conversation stays in the panel.
    await page.getByTestId('tab-chat').click();
    await page.getByLabel('Chat message').fill('こんにちは');
    await page.keyboard.press('Enter');
    // While the model writes: part of the reply in the streaming bubble, before the reply is complete.
    // Both read in one evaluation, so a reply that completes between two reads cannot look
    // like a finished bubble next to streamed text (or the other way round).
    const chatState = () =>
      page.evaluate(() => ({
        streaming: [...document.querySelectorAll('[data-testid="chat-streaming"]')].map((e) => e.textContent).join(''),
        finished: document.querySelectorAll('[data-testid="chat-assistant"]').length,
      }));
    let seen: { streaming: string; finished: number } | undefined;
    await expect
      .poll(
        async () => {
          const state = await chatState();
          if (/Echo/.test(state.streaming) && state.finished === 0) seen = state;
          return seen !== undefined;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
    const partial = seen!.streaming;
    await screenshot(page, 'polish-4-chat-streaming');
    await expect.poll(() => page.getByTestId('chat-assistant').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('chat-assistant').textContent()).toBe('Echo: こんにちは');
    expect(partial.length).toBeLessThan('Echo: こんにちは'.length);
    await page.getByLabel('Chat message').fill('もう一度');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('chat-assistant').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getByTestId('chat-user').allTextContents()).toEqual(['こんにちは', 'もう一度']);
    expect(await page.getByTestId('chat-assistant').nth(1).textContent()).toBe('Echo: もう一度');
    await screenshot(page, 'polish-5-chat');

    // 4: the span details show the exact messages sent (rendered template).
    await selectNode(page, 'answer');
    await page.getByTestId('tab-run').click();
    const sent = page.getByTestId('span-messages');
    await sent.waitFor();
    expect(await sent.locator('.span-msg').count()).toBe(2);
    expect(await sent.locator('.span-msg-system').textContent()).toContain('You are a concise assistant.');
    expect(await sent.locator('.span-msg-user').textContent()).toContain('もう一度');
    await screenshot(page, 'polish-6-span-messages');

    // 10a: delete the note; the file loses its notes key.
    await page.getByTestId('note-note-1').click({ position: { x: 30, y: 60 } });
    await page.getByRole('button', { name: 'Delete note' }).click();
    await expect.poll(() => page.getByTestId('note-note-1').count()).toBe(0);
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(1);
    await save(page);
    await expect.poll(() => readFlowFile(stack, 'polish-chat')).not.toContain('"notes"');

    // 7: blank starts with Inputs and Outputs; 6: a Retrieval node on a KB without embeddings is BM25.
    const kb = await fetch(`${stack.url}/api/knowledge-bases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'braid-docs' }),
    });
    expect([201, 409]).toContain(kb.status);
    await page.goto(`${stack.url}/#/flows`);
    await page.getByTestId('new-flow').click();
    await page.getByLabel('Flow name').fill('Blank start');
    await page.getByTestId('dialog-ok').click();
    await page.waitForURL(/#\/flows\/blank-start$/);
    await page.getByTestId('node-outputs').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['inputs', 'outputs']);
    await page.getByTestId('canvas-hint').waitFor();
    await dragFromPalette(page, 'retrieval', 380, 330);
    await page.getByTestId('node-retrieval').waitFor();
    expect(await page.getByTestId('preview-retrieval').textContent()).toBe('braid-docs · BM25 · top 4');
    await screenshot(page, 'polish-7-blank-retrieval');
    await save(page);
    const blank = JSON.parse(readFlowFile(stack, 'blank-start')) as Flow;
    expect(blank.nodes.find((x) => x.id === 'retrieval')?.config).toMatchObject({
      knowledgeBase: 'braid-docs',
      mode: 'bm25',
    });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
