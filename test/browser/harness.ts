/**
 * Shared harness for browser tests and the canvas benchmark: build the client when stale,
 * start the REAL Braid server (port 0, temp flows/data dirs, OpenAI pointed at the fake
 * server) and a headless Chromium through playwright-core.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../server/config';
import { startServer, type RunningServer } from '../../server/app';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-openai';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist', 'client');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.BRAID_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function newestMtime(dir: string): number {
  let max = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      max = Math.max(max, newestMtime(p));
    } else if (!entry.name.endsWith('.test.ts')) max = Math.max(max, fs.statSync(p).mtimeMs);
  }
  return max;
}

function isStale(): boolean {
  const index = path.join(DIST, 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'client')),
    newestMtime(path.join(ROOT, 'shared')),
    fs.statSync(path.join(ROOT, 'vite.config.ts')).mtimeMs,
  );
  return built <= sources;
}

const LOCK = path.join(ROOT, 'dist', '.client-build.lock');

/** A lock directory shared by test files running in parallel processes (stale after 5 min). */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 5 * 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Build dist/client with Vite's API unless it is newer than every client/shared source.
 * Parallel test files take a lock, so only one builds and the others wait for it.
 */
export async function ensureClientBuilt(): Promise<void> {
  if (!isStale() && !fs.existsSync(LOCK)) return;
  await withBuildLock(async () => {
    if (!isStale()) return;
    const { build } = await import('vite');
    await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  });
}

export interface Stack {
  url: string;
  flowsDir: string;
  dataDir: string;
  fake: FakeOpenAI;
  server: RunningServer;
  close(): Promise<void>;
}

/**
 * The real server on 127.0.0.1:0 with its own temp folders and the fake OpenAI server.
 * `clientDir` serves another build than dist/client (benchmarks compare two builds); `env`
 * adds server environment (e.g. BRAID_MCP_CONFIG).
 */
export async function startStack(
  fakeOpts: FakeOpenAIOptions = {},
  opts: { clientDir?: string; env?: Record<string, string> } = {},
): Promise<Stack> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-browser-'));
  const flowsDir = path.join(tmp, 'flows');
  const dataDir = path.join(tmp, 'data');
  fs.mkdirSync(flowsDir, { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const fake = await startFakeOpenAI(fakeOpts);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    BRAID_FLOWS_DIR: flowsDir,
    BRAID_DATA_DIR: dataDir,
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test',
    BRAID_LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const server = await startServer(config, { clientDir: opts.clientDir ?? DIST });
  return {
    url: server.url,
    flowsDir,
    dataDir,
    fake,
    server,
    async close() {
      await server.close();
      await fake.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A page at 1280×800; console errors and page errors are collected for assertions. */
export async function newPage(
  browser: Browser,
  opts: { theme?: 'light' | 'dark' } = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme: opts.theme ?? 'light',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Write a flow file straight into the flows folder (as git or another editor would). */
export function writeFlowFile(stack: Stack, flow: { id: string } & Record<string, unknown>): void {
  fs.writeFileSync(path.join(stack.flowsDir, `${flow.id}.flow.json`), `${JSON.stringify(flow, null, 2)}\n`);
}

export function readFlowFile(stack: Stack, id: string): string {
  return fs.readFileSync(path.join(stack.flowsDir, `${id}.flow.json`), 'utf8');
}

/**
 * Whether browser tests can run. Without Chromium they skip with a warning, except under
 * BRAID_REQUIRE_SERVICES=1 (CI), where a missing browser fails the file instead of hiding
 * every browser story.
 */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.BRAID_REQUIRE_SERVICES === '1')
    throw new Error(`no Chromium at ${CHROMIUM}: install the chromium package (scripts/test.sh does it as root)`);
  return false;
}
