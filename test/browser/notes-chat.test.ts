/**
 * Issue 14 leftovers in Chromium against the real server: sticky notes in the Changes view
 * (an edited note's text as a line diff, added notes), copy/paste and duplicate of notes
 * together with nodes, and the Chat tab's conversation kept across a reload — a reply that
 * was still streaming at the reload is not kept as if complete, a failed message keeps its
 * reason, and New chat forgets it.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Flow, FlowNote } from '../../shared/flow/schema';
import { promptFlow } from '../support/flows';
import { newPage, readFlowFile, screenshot, writeFlowFile } from './harness';
import { browserSuite, MOD, nodeIds } from './helpers';

// Slow tokens, so a reload can land while a reply is being written.
const suite = browserSuite({ tokenDelayMs: 250 });

const WHY: FlowNote = {
  id: 'why',
  position: { x: 0, y: -240 },
  size: { width: 240, height: 140 },
  text: '# 目的\n質問に答える\n短く',
  color: 'yellow',
};

async function openChat(page: Page): Promise<void> {
  await page.getByTestId('node-answer').waitFor();
  await page.getByTestId('tab-chat').click();
  await page.getByTestId('chat-panel').waitFor();
}

describe.skipIf(!suite.hasChromium)('notes and chat', () => {
  it('notes in the Changes view, notes copied and duplicated with nodes, saved in the file', async () => {
    const { stack, browser } = suite;
    writeFlowFile(stack, { ...promptFlow({ id: 'noted', name: 'Noted' }), notes: [WHY] });
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/flows/noted`);
    const why = page.getByTestId('note-why');
    await why.waitFor();

    // Edit the note (Japanese), and add a second one.
    await why.dblclick();
    await page.getByLabel('Note text').fill('# 目的\n質問に丁寧に答える\n短く');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.getByTestId('add-note').click();
    await page.getByTestId('note-note-1').dblclick();
    await page.getByLabel('Note text').fill('あとで確認する');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });

    // The Changes view names both notes: the edit as a line diff, the new one with its text.
    await page.getByTestId('diff-toggle').click();
    const legend = page.getByTestId('diff-legend');
    await expect.poll(() => legend.textContent()).toContain('~2 note change(s)');
    await page.getByTestId('diff-details').click();
    const panel = page.getByTestId('changes-panel');
    await panel.waitFor();
    expect(await panel.locator('.changes-panel-head').textContent()).toContain('1 note changed, 1 note added');
    const edited = panel.getByTestId('change-note-why');
    expect(await edited.locator('.cl-node-head').textContent()).toContain('note changed');
    expect(await edited.locator('.cl-node-head').textContent()).toContain('why “# 目的”');
    expect(await edited.locator('[data-testid="change-field"]').getAttribute('data-path')).toBe('text');
    expect(await edited.locator('.ld-del').allTextContents()).toEqual(['−removed: 質問に答える']);
    expect(await edited.locator('.ld-add').allTextContents()).toEqual(['+added: 質問に丁寧に答える']);
    const added = panel.getByTestId('change-note-note-1');
    expect(await added.locator('.cl-node-head').textContent()).toContain('note added');
    expect(await added.getByTestId('change-note-text').textContent()).toBe('あとで確認する');
    await screenshot(page, 'notes-1-changes-view');
    await page.getByTestId('diff-details').click();
    await page.getByTestId('diff-toggle').click();

    // Select the note and the prompt node, copy, paste: both come back with fresh ids, offset alike.
    await why.click({ position: { x: 30, y: 60 } });
    await page.locator('[data-testid="node-answer"] .bnode-head').click({ modifiers: ['Shift'] });
    await page.keyboard.press(`${MOD}+C`);
    await page.keyboard.press(`${MOD}+V`);
    await page.getByTestId('note-why-2').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['answer', 'answer-2', 'inputs', 'outputs']);
    // Duplicate the pasted pair (the selection after a paste).
    await page.keyboard.press(`${MOD}+D`);
    await page.getByTestId('note-why-3').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['answer', 'answer-2', 'answer-3', 'inputs', 'outputs']);
    expect(await page.getByTestId('note-why-3').locator('.note-h').textContent()).toBe('目的');
    await screenshot(page, 'notes-2-pasted');
    // A note alone: Ctrl+D duplicates just the note.
    await page.getByTestId('note-note-1').click({ position: { x: 30, y: 60 } });
    await page.keyboard.press(`${MOD}+D`);
    await page.getByTestId('note-note-2').waitFor();
    expect((await nodeIds(page)).sort()).toEqual(['answer', 'answer-2', 'answer-3', 'inputs', 'outputs']);

    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press(`${MOD}+S`);
    await expect.poll(() => page.getByTestId('dirty-dot').count()).toBe(0);
    const saved = JSON.parse(readFlowFile(stack, 'noted')) as Flow;
    const byId = new Map((saved.notes ?? []).map((n) => [n.id, n]));
    expect([...byId.keys()].sort()).toEqual(['note-1', 'note-2', 'why', 'why-2', 'why-3']);
    expect(byId.get('note-2')).toMatchObject({
      text: 'あとで確認する',
      position: { x: byId.get('note-1')!.position.x + 40, y: byId.get('note-1')!.position.y + 40 },
    });
    const pos = (id: string) => byId.get(id)?.position;
    const nodePos = (id: string) => saved.nodes.find((n) => n.id === id)?.position;
    const d = pos('why-2')!.x - WHY.position.x;
    expect(d).toBeGreaterThan(0);
    expect(pos('why-2')).toEqual({ x: WHY.position.x + d, y: WHY.position.y + d });
    // The node moved by the same offset as the note; the duplicate 40 more.
    expect(nodePos('answer-2')).toEqual({ x: 300 + d, y: d });
    expect(pos('why-3')).toEqual({ x: WHY.position.x + d + 40, y: WHY.position.y + d + 40 });
    expect(nodePos('answer-3')).toEqual({ x: 300 + d + 40, y: d + 40 });
    for (const id of ['why', 'why-2', 'why-3']) {
      expect(byId.get(id)).toMatchObject({ text: '# 目的\n質問に丁寧に答える\n短く', size: WHY.size, color: 'yellow' });
    }
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('the chat survives a reload; a reply streaming at the reload is not kept; New chat empties it', async () => {
    const { stack, browser } = suite;
    writeFlowFile(stack, promptFlow({ id: 'chatty', name: 'Chatty' }));
    const { page, errors } = await newPage(browser);
    await page.goto(`${stack.url}/#/flows/chatty`);
    await openChat(page);
    await page.getByLabel('Chat message').fill('こんにちは');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('chat-assistant').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId('chat-assistant').textContent()).toBe('Echo: こんにちは');

    await page.reload();
    await openChat(page);
    await expect.poll(() => page.getByTestId('chat-user').allTextContents()).toEqual(['こんにちは']);
    expect(await page.getByTestId('chat-assistant').allTextContents()).toEqual(['Echo: こんにちは']);
    await screenshot(page, 'notes-3-chat-after-reload');

    // Reload while the second reply is being written (slower tokens: the reload lands mid-reply on a loaded machine too).
    stack.fake.setTokenDelay(1500);
    await page.getByLabel('Chat message').fill('もう一度 お願い します');
    await page.keyboard.press('Enter');
    const streaming = () =>
      page.locator('[data-testid="chat-streaming"]').evaluateAll((els) => els.map((e) => e.textContent).join(''));
    await expect.poll(streaming, { timeout: 15_000 }).toMatch(/Echo/);
    await page.reload();
    stack.fake.setTokenDelay(250);
    await openChat(page);
    await page.getByTestId('chat-interrupted').waitFor();
    expect(await page.getByTestId('chat-user').allTextContents()).toEqual(['こんにちは']);
    expect(await page.getByTestId('chat-assistant').allTextContents()).toEqual(['Echo: こんにちは']);
    expect(await page.getByTestId('chat-streaming').count()).toBe(0);
    // The unanswered message is back in the box, to send again.
    expect(await page.getByLabel('Chat message').inputValue()).toBe('もう一度 お願い します');
    await screenshot(page, 'notes-4-chat-interrupted');
    // A second reload still offers it: showing it restored did not drop it from storage.
    await page.reload();
    await openChat(page);
    await page.getByTestId('chat-interrupted').waitFor();
    expect(await page.getByTestId('chat-user').allTextContents()).toEqual(['こんにちは']);
    expect(await page.getByLabel('Chat message').inputValue()).toBe('もう一度 お願い します');

    // Sent again, it is answered with the conversation so far.
    await page.getByTestId('chat-send').click();
    await expect.poll(() => page.getByTestId('chat-assistant').count(), { timeout: 20_000 }).toBe(2);
    expect(await page.getByTestId('chat-interrupted').count()).toBe(0);
    expect(await page.getByTestId('chat-assistant').nth(1).textContent()).toBe('Echo: もう一度 お願い します');

    // A message whose run fails says why, and still says it after a reload.
    stack.fake.enqueue({ status: 400 });
    await page.getByLabel('Chat message').fill('失敗する質問');
    await page.keyboard.press('Enter');
    const chatError = page.getByTestId('chat-error');
    await chatError.waitFor({ timeout: 20_000 });
    const why = await chatError.textContent();
    expect(why).toMatch(/answer/);
    await page.reload();
    await openChat(page);
    await chatError.waitFor();
    expect(await chatError.textContent()).toBe(why);
    expect(await page.getByTestId('chat-user').allTextContents()).toContain('失敗する質問');

    // New chat forgets the conversation, also after a reload.
    await page.getByTestId('chat-new').click();
    expect(await page.getByTestId('chat-user').count()).toBe(0);
    expect(await page.getByTestId('chat-assistant').count()).toBe(0);
    await page.reload();
    await openChat(page);
    await page.waitForTimeout(300);
    expect(await page.getByTestId('chat-user').count()).toBe(0);
    expect(await page.getByTestId('chat-error').count()).toBe(0);
    expect(await page.evaluate(() => localStorage.getItem('braid.chat.chatty'))).toBeNull();
    // An aborted stream at the reload may log a failed request; nothing else may.
    expect(errors.filter((e) => !/Failed to load resource|aborted|network/i.test(e))).toEqual([]);
    await page.context().close();
  }, 150_000);
});
