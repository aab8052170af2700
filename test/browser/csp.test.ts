/**
 * Issue 9 item 16: the builder is served with a Content-Security-Policy that allows only
 * its own origin, and still works under it in real Chromium: the app loads, Monaco loads,
 * and its language worker (same-origin script) runs — a syntax error in a code tool is
 * underlined by the TypeScript worker's diagnostics. No CSP violation is reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UI_CSP } from '../../server/http/static';
import { newPage, ROOT, screenshot, writeFlowFile } from './harness';
import { browserSuite, MOD, selectNode } from './helpers';

const suite = browserSuite();

describe.skipIf(!suite.hasChromium)('Content-Security-Policy of the builder', () => {
  it('is sent with the page and every asset, and allows only this origin', async () => {
    const page = await fetch(`${suite.stack.url}/`);
    expect(page.headers.get('content-security-policy')).toBe(UI_CSP);
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    expect((await fetch(`${suite.stack.url}${asset}`)).headers.get('content-security-policy')).toBe(UI_CSP);
    const directives = UI_CSP.split('; ');
    for (const d of directives.filter((x) => /^(default|script|worker|connect)-src /.test(x)))
      expect(d.split(' ').slice(1)).toEqual(["'self'"]);
    expect(UI_CSP).not.toMatch(/unsafe-eval|\*|https?:/);
  });

  it('the builder and Monaco (with its worker) work under it, with no violation', async () => {
    const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'flows', 'code-tool.flow.json'), 'utf8')) as {
      id: string;
    };
    writeFlowFile(suite.stack, flow);
    const { page, errors } = await newPage(suite.browser);
    await page.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
      );
    });
    const res = await page.goto(`${suite.stack.url}/#/flows/code-tool`);
    expect(res?.headers()['content-security-policy']).toBe(UI_CSP);
    await page.locator('[data-testid="node-stats"]').waitFor({ timeout: 20_000 });
    await selectNode(page, 'stats');
    const editor = page.locator('[data-testid="node-inspector"] .code-editor[data-language="javascript"]').first();
    await editor.locator('.monaco-editor .view-lines').waitFor({ timeout: 20_000 });
    await expect.poll(() => editor.locator('.view-lines').textContent()).toContain('toLowerCase');
    // A syntax error: only the TypeScript worker reports it (a squiggle in the editor).
    await editor.locator('.view-lines').click();
    await page.keyboard.press(`${MOD}+End`);
    await page.keyboard.type('\nconst = ;', { delay: 10 });
    await editor.locator('.squiggly-error').first().waitFor({ timeout: 30_000 });
    expect(page.workers().length).toBeGreaterThan(0);
    await screenshot(page, 'csp-monaco-worker');
    expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
    expect(errors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    await page.context().close();
  }, 90_000);
});
