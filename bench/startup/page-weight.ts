/**
 * What the first load of the builder costs over the wire (issue 14: "5.8 MB uncompressed"):
 * headless Chromium opens `/` and then a flow in the editor (Monaco included) on the real
 * server; every response's encoded (transferred) body size and decoded size are summed.
 *
 *   npx tsx bench/startup/page-weight.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureClientBuilt, launchBrowser, ROOT, startStack } from '../../test/browser/harness';

await ensureClientBuilt();
const stack = await startStack();
fs.copyFileSync(path.join(ROOT, 'flows/qa.flow.json'), path.join(stack.flowsDir, 'qa.flow.json'));
const browser = await launchBrowser();
try {
  const measure = async (url: string) => {
    const page = await browser.newPage();
    const rows: Array<{ url: string; encoded: number; decoded: number; encoding: string }> = [];
    page.on('response', (r) => {
      void (async () => {
        try {
          const sizes = await r.request().sizes();
          const body = await r.body();
          rows.push({
            url: r.url(),
            encoded: sizes.responseBodySize,
            decoded: body.length,
            encoding: (await r.headerValue('content-encoding')) ?? 'identity',
          });
        } catch {
          // a response without a body (redirect, 304)
        }
      })();
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    // the editor's lazy chunks (canvas, Monaco and its worker) load after the first paint
    await page.waitForTimeout(4000);
    await page.waitForLoadState('networkidle');
    await page.close();
    const sum = (k: 'encoded' | 'decoded') => rows.reduce((n, r) => n + r[k], 0);
    return {
      requests: rows.length,
      transferredMb: sum('encoded') / 1e6,
      decodedMb: sum('decoded') / 1e6,
      encodings: [...new Set(rows.map((r) => r.encoding))],
    };
  };
  const home = await measure(`${stack.url}/`);
  const editor = await measure(`${stack.url}/#/flows/qa`);
  console.log(JSON.stringify({ at: new Date().toISOString(), home, editor }, null, 2));
} finally {
  await browser.close();
  await stack.close();
}
