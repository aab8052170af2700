/**
 * Event-loop delay while many streams carry very large model answers (issue 9, item 8).
 *
 *   npx tsx bench/endpoint/big-answers.ts [--streams 8] [--kb 512] [--omit-usage]
 *
 * The fake OpenAI server runs in a child process and echoes each question, so a question of
 * `--kb` KiB comes back as an answer of the same size, streamed word by word (~`kb`×170
 * chunks). The Braid server runs in this process (so its event loop is the one measured
 * with perf_hooks.monitorEventLoopDelay): `--streams` concurrent SSE calls, half to
 * /v1/endpoints/:slug, half to /v1/chat/completions with `stream: true`. Reports the
 * event loop's max and p99 delay, the wall time, and checks every answer arrived whole.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promptFlow, startDeployServer } from '../../server/deployment/testing';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const STREAMS = Number(arg('--streams', '8'));
const KB = Number(arg('--kb', '512'));
/** The fake server reports no usage, so Braid estimates it offline (server/llm/tokens.ts). */
const OMIT_USAGE = args.includes('--omit-usage');

const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'test/support/fake-openai.ts', '--port', '0', ...(OMIT_USAGE ? ['--omit-usage'] : [])],
  {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const fakeUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    const m = /(http:\/\/\S+\/v1)/.exec(out);
    if (m) resolve(m[1] as string);
  });
  child.once('exit', (c) => reject(new Error(`fake server exited ${c}`)));
});
process.once('exit', () => child.kill('SIGTERM'));

const flow = promptFlow('big', 'Repeat.');
(flow.nodes[1]!.config as Record<string, unknown>).maxTokens = 1_000_000;
const s = await startDeployServer({ openaiUrl: fakeUrl, flows: [flow], env: { BRAID_NODE_TIMEOUT_MS: '600000' } });
const dep = (await (await s.api('/api/flows/big/deployments', { method: 'POST', json: {} })).json()) as {
  apiKey: string;
};
await s.api('/api/deployments/big', {
  method: 'PATCH',
  json: {
    settings: {
      maxTokens: 1_000_000,
      maxBodyBytes: 50 * 1_048_576,
      timeoutMs: 600_000,
      rateLimit: { requestsPerMinute: 100_000, burst: 1000 },
    },
  },
});

// Japanese and ASCII words, so the answer is mixed-script like real traffic.
const words = ['Braid', 'は', 'フローを', 'streams', 'the', '答え', 'quickly.', '速い'];
let question = '';
for (let i = 0; question.length < KB * 1024; i++) question += `${words[i % words.length]} `;
const expected = `Echo: ${question}`;

async function endpointCall(): Promise<boolean> {
  const res = await fetch(`${s.url}/v1/endpoints/big`, {
    method: 'POST',
    headers: { authorization: `Bearer ${dep.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: { question }, stream: true }),
  });
  const text = await res.text();
  const last = text.lastIndexOf('event: result');
  if (last < 0) throw new Error(`no result: ${text.slice(-500)}`);
  const data = text.slice(text.indexOf('data: ', last) + 6).trim();
  return (JSON.parse(data) as { outputs: { answer: string } }).outputs.answer.trim() === expected.trim();
}

async function chatCall(): Promise<boolean> {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${dep.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'big', stream: true, messages: [{ role: 'user', content: question }] }),
  });
  const text = await res.text();
  let reply = '';
  for (const line of text.split('\n\n')) {
    if (!line.startsWith('data: {')) continue;
    const c = JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> };
    reply += c.choices?.[0]?.delta?.content ?? '';
  }
  return reply.trim() === expected.trim();
}

// Warm-up (JIT, tokenizer, connections), then the measured round.
await Promise.all([endpointCall(), chatCall()]);
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
const t0 = performance.now();
const ok = await Promise.all(Array.from({ length: STREAMS }, (_, i) => (i % 2 ? chatCall() : endpointCall())));
const wall = performance.now() - t0;
h.disable();
const ms = (ns: number) => (ns / 1e6).toFixed(1);
console.log(
  `streams=${STREAMS} answer=${KB} KiB each${OMIT_USAGE ? ' (usage estimated offline)' : ''}: wall ${(wall / 1000).toFixed(2)} s, event-loop delay max ${ms(h.max)} ms, p99 ${ms(h.percentile(99))} ms, mean ${ms(h.mean)} ms, all whole: ${ok.every(Boolean)}`,
);
await s.close();
child.kill('SIGTERM');
