// start fake + braid (root from argv) + handwritten; print urls; stay alive
import { spawn } from 'node:child_process';
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { loadConfig } from '../server/config';
import { openStorage } from '../server/storage/index';
import { DeploymentService } from '../server/deployment/service';
import { promptFlow } from '../server/deployment/testing';
const ROOT = '/work/wt/e';
const roots = process.argv.slice(2);
function start(cmd: string[], env: Record<string, string>, ready: RegExp, cwd: string) {
  const child = spawn(process.execPath, cmd, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise<{ pid: number; m: RegExpMatchArray }>((res) => {
    let o = '';
    child.stdout!.on('data', (b) => { o += b; const m = ready.exec(o); if (m) res({ pid: child.pid!, m }); });
  });
}
const fake = await start(['node_modules/tsx/dist/cli.mjs', 'test/support/fake-openai.ts', '--port', '0'], {}, /(http:\/\/127\.0\.0\.1:\d+\/v1)\n/, ROOT);
const fakeUrl = fake.m[1]!;
const out: Record<string, unknown> = { fake: { url: fakeUrl, pid: fake.pid } };
for (const root of roots) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-e-'));
  const env = { PORT: '0', HOST: '127.0.0.1', BRAID_FLOWS_DIR: path.join(tmp, 'flows'), BRAID_DATA_DIR: path.join(tmp, 'data'), OPENAI_BASE_URL: fakeUrl, OPENAI_API_KEY: 'sk-bench-0123456789' };
  fs.mkdirSync(env.BRAID_FLOWS_DIR);
  const storage = await openStorage(loadConfig(env));
  const flow = promptFlow('bench', 'Answer briefly.');
  (flow.nodes[1]!.config as { stream?: boolean }).stream = false;
  const d = await new DeploymentService(storage).deploy(flow, { settings: { rateLimit: { requestsPerMinute: 10_000_000, burst: 1_000_000 } } }, 'http://127.0.0.1');
  await storage.close();
  const b = await start([path.join(root, 'bin/braid.js'), 'serve'], env, /running at (http:\/\/127\.0\.0\.1:\d+)/, root);
  out[root] = { url: b.m[1], pid: b.pid, key: d.apiKey };
}
const h = await start(['--import', 'tsx', 'bench/endpoint/handwritten.ts', '--openai', fakeUrl], {}, /listening at (http:\/\/127\.0\.0\.1:\d+)/, ROOT);
out.hand = { url: h.m[1], pid: h.pid };
fs.writeFileSync('/tmp/e-servers.json', JSON.stringify(out, null, 1));
console.log(JSON.stringify(out));
setInterval(() => {}, 1e9);
