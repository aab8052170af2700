import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { EXAMPLES_DIR, startHarness, type Harness } from './harness';

interface RunBody {
  status: string;
  outputs: Record<string, unknown>;
  trace: {
    spans: Array<{ nodeId: string; status: string; attempts: number; startedAt: number; durationMs: number }>;
    error?: { message: string };
  };
}

let fake: FakeOpenAI;
let weather: http.Server;
let weatherUrl: string;
let h: Harness;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  weather = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        current_condition: [
          {
            temp_C: '21',
            FeelsLikeC: '20',
            humidity: '40',
            weatherDesc: [{ value: `Sunny in ${decodeURIComponent(req.url!.split('/')[1]!.split('?')[0]!)}` }],
          },
        ],
      }),
    );
  });
  await new Promise<void>((r) => weather.listen(0, '127.0.0.1', r));
  weatherUrl = `http://127.0.0.1:${(weather.address() as AddressInfo).port}`;
  // The shipped http-weather flow calls wttr.in; here the same flow calls a local server.
  const original = fs.readFileSync(path.join(EXAMPLES_DIR, 'http-weather.flow.json'), 'utf8');
  const local = original.replace('https://wttr.in/', `${weatherUrl}/`);
  expect(local).not.toBe(original);
  h = await startHarness({
    openaiUrl: fake.url,
    env: { BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1' },
    files: { 'http-weather.flow.json': local },
  });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
  await new Promise((r) => weather?.close(r));
});

const run = async (id: string, inputs: Record<string, unknown>) =>
  (await (await h.api(`/api/flows/${id}/runs`, { method: 'POST', json: { inputs } })).json()) as RunBody;

describe('example flows', () => {
  it('json-extract re-asks the prompt until its JSON matches the schema', async () => {
    fake.reset();
    let n = 0;
    fake.setResponder(() =>
      ++n === 1 ? 'Sure! Here it is: Ada' : { json: { name: 'Ada Lovelace', email: 'ada@example.org', company: null } },
    );
    const body = await run('json-extract', { text: 'Met Ada Lovelace (ada@example.org).' });
    expect(body.status).toBe('succeeded');
    expect(body.outputs.contact).toEqual({ name: 'Ada Lovelace', email: 'ada@example.org', company: null });
    expect(fake.calls).toHaveLength(2);
    const second = fake.calls[1]!.body as { messages: Array<{ content: string }> };
    expect(JSON.stringify(second.messages)).toMatch(/not valid JSON/);
  });

  it('json-extract fails after the bounded re-asks', async () => {
    fake.reset();
    fake.setResponder(() => 'never JSON');
    const body = await run('json-extract', { text: 'x' });
    expect(body.status).toBe('failed');
    expect(fake.calls).toHaveLength(3);
  });

  it('http-weather: HTTP tool → JSONata → prompt', async () => {
    fake.reset();
    const body = await run('http-weather', { city: 'Lisbon' });
    expect(body.status).toBe('succeeded');
    expect(body.outputs.weather).toEqual({
      temperatureC: 21,
      feelsLikeC: 20,
      description: 'Sunny in Lisbon',
      humidity: 40,
    });
    expect(String(body.outputs.summary)).toContain('Sunny in Lisbon');
  });

  it('parallel-merge runs the two branches concurrently', async () => {
    fake.reset();
    fake.setLatency(150);
    const body = await run('parallel-merge', { topic: 'tabs vs spaces' });
    fake.setLatency(0);
    expect(body.status).toBe('succeeded');
    const span = (id: string) => body.trace.spans.find((s) => s.nodeId === id)!;
    const pros = span('pros');
    const cons = span('cons');
    expect(Math.abs(pros.startedAt - cons.startedAt)).toBeLessThan(100);
    expect(span('merge').startedAt).toBeGreaterThanOrEqual(
      Math.max(pros.startedAt + pros.durationMs, cons.startedAt + cons.durationMs) - 1,
    );
  });

  it('refine-until-valid loops over refine-step until the critique is empty', async () => {
    fake.reset();
    let n = 0;
    fake.setResponder(() => (++n === 1 ? 'とても長い下書き。'.repeat(60) : '短い答え。'));
    const body = await run('refine-until-valid', { question: '富士山の高さは？' });
    expect(body.status).toBe('succeeded');
    expect(body.outputs).toEqual({ answer: '短い答え。', rounds: 2 });
    // the second round saw the first draft's critique
    expect(JSON.stringify(fake.calls[1]!.body)).toMatch(/Too long: 540 characters/);
  });

  it('digest calls summarise-document as a subflow (the flow summarise-sources maps over)', async () => {
    fake.reset();
    fake.setResponder((req) => `要約: ${String(req.messages.find((m) => m.role === 'system')?.content ?? '')}`);
    const body = await run('digest', { text: '長い文章です。' });
    expect(body.status).toBe('succeeded');
    expect(String(body.outputs.digest)).toMatch(/^要約: Summarise the text in three bullet points\./);
    expect(JSON.stringify(fake.calls[0]!.body)).toContain('長い文章です。');
  });
});
