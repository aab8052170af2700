/** Canvas actions for browser tests (real mouse and keyboard through playwright-core). */
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FakeOpenAIOptions } from '../support/fake-openai';
import { CHROMIUM, chromiumAvailable, ensureClientBuilt, launchBrowser, startStack, type Stack } from './harness';

export const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';

export const handle = (page: Page, nodeId: string, port: string, kind: 'source' | 'target') =>
  page.locator(`.react-flow__node[data-id="${nodeId}"] .react-flow__handle.${kind}[data-handleid="${port}"]`);

/** Drag from an output port to an input port with the mouse. */
export async function connect(page: Page, from: [string, string], to: [string, string]): Promise<void> {
  const a = await handle(page, from[0], from[1], 'source').boundingBox();
  const b = await handle(page, to[0], to[1], 'target').boundingBox();
  if (!a || !b) throw new Error(`handle not found: ${from.join('.')} or ${to.join('.')}`);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 8 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

/** HTML5 drag of a palette item onto the canvas at (x, y) relative to the canvas. */
export async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<void> {
  const canvas = await page.locator('[data-testid="canvas"]').boundingBox();
  if (!canvas) throw new Error('no canvas');
  await page.dragAndDrop(`[data-testid="palette-${type}"]`, '[data-testid="canvas"]', { targetPosition: { x, y } });
  void canvas;
}

export async function nodeIds(page: Page): Promise<string[]> {
  return page.locator('.react-flow__node-braid').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));
}

export async function edgeCount(page: Page): Promise<number> {
  return page.locator('.react-flow__edge').count();
}

export async function selectNode(page: Page, id: string): Promise<void> {
  await page.locator(`[data-testid="node-${id}"] .bnode-head`).click();
}

/** Replace the text of the n-th Monaco editor in the inspector by typing. */
export async function typeInMonaco(page: Page, language: string, index: number, text: string): Promise<void> {
  const editor = page.locator(`[data-testid="node-inspector"] .code-editor[data-language="${language}"]`).nth(index);
  await editor.locator('.monaco-editor').waitFor();
  await editor.locator('.view-lines').click();
  await page.keyboard.press(`${MOD}+A`);
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text, { delay: 15 });
}

/**
 * The set-up every browser story file shares: build the client when stale, start the real
 * server (+ fake model server) and Chromium once per file, close both after it. Tests read
 * `suite.stack` / `suite.browser`; `suite.hasChromium` gates `describe.skipIf`.
 */
export function browserSuite(
  fakeOpts: FakeOpenAIOptions = {},
  opts: {
    /** Extra server environment, computed before the server starts (e.g. after starting an MCP server). */
    env?: () => Promise<Record<string, string>>;
  } = {},
): {
  readonly hasChromium: boolean;
  readonly stack: Stack;
  readonly browser: Browser;
} {
  const hasChromium = chromiumAvailable();
  if (!hasChromium)
    console.warn(
      `browser tests skipped: no Chromium at ${CHROMIUM} (install the chromium package or set BRAID_CHROMIUM)`,
    );
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!hasChromium) return;
    await ensureClientBuilt();
    stack = await startStack(fakeOpts, opts.env ? { env: await opts.env() } : {});
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`browser suite: ${what} is not started (read it inside a test or hook)`);
    return v;
  };
  return {
    hasChromium,
    get stack() {
      return started(stack, 'the server stack');
    },
    get browser() {
      return started(browser, 'Chromium');
    },
  };
}
