import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../config';
import { NodeError } from '../runtime/types';
import { createEmbedder } from './embeddings';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';

let fake: FakeOpenAI;
let ollama: http.Server;
let ollamaUrl: string;
beforeAll(async () => {
  fake = await startFakeOpenAI({ embeddingDims: 8 });
  ollama = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { input: string[] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          model: 'nomic-embed-text',
          embeddings: body.input.map((t) => [t.length, 1, 0]),
          prompt_eval_count: body.input.length * 2,
        }),
      );
    });
  });
  await new Promise<void>((r) => ollama.listen(0, '127.0.0.1', () => r()));
  ollamaUrl = `http://127.0.0.1:${(ollama.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await fake.close();
  ollama.closeAllConnections();
  await new Promise((r) => ollama.close(r));
});
beforeEach(() => fake.reset());

describe('embeddings', () => {
  it('embeds in batches through an OpenAI-compatible server, stable per text, with usage and cost', async () => {
    const e = createEmbedder(
      'openai:text-embedding-3-small',
      loadConfig({ OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: fake.url }),
      { batchSize: 2 },
    );
    const texts = ['alpha', 'beta', 'gamma', 'alpha', 'delta'];
    const r = await e.embed(texts);
    expect(r.vectors).toHaveLength(5);
    expect(r.vectors[0]).toHaveLength(8);
    expect(r.vectors[0]).toEqual(r.vectors[3]);
    expect(r.vectors[0]).not.toEqual(r.vectors[1]);
    expect(fake.calls.filter((c) => c.path === '/v1/embeddings')).toHaveLength(3);
    expect(r.usage.promptTokens).toBe(5);
    expect(r.cost).toBeCloseTo((5 * 0.02) / 1e6, 15);
  });

  it('embeds through Ollama /api/embed at zero cost', async () => {
    const r = await createEmbedder('ollama:nomic-embed-text', loadConfig({ OLLAMA_BASE_URL: ollamaUrl })).embed([
      'ab',
      'abcd',
    ]);
    expect(r.vectors).toEqual([
      [2, 1, 0],
      [4, 1, 0],
    ]);
    expect(r).toMatchObject({ usage: { promptTokens: 4 }, cost: 0 });
  });

  it('maps failures like chat calls and refuses what cannot work', async () => {
    const e = createEmbedder('openai:text-embedding-3-small', loadConfig({ OPENAI_BASE_URL: fake.url }));
    fake.enqueue({ status: 429, retryAfter: 4 });
    const err = await e.embed(['x']).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 4000 });
    fake.enqueue({ status: 401 });
    expect(await e.embed(['x']).catch((x: unknown) => x)).toMatchObject({ code: 'provider_auth', retryable: false });
    expect(() => createEmbedder('openai:text-embedding-3-small', loadConfig({}))).toThrow(/OPENAI_API_KEY/);
    expect(() => createEmbedder('anthropic:claude-3-5-haiku-latest', loadConfig({ ANTHROPIC_API_KEY: 'k' }))).toThrow(
      /no embeddings API/,
    );
  });
});
