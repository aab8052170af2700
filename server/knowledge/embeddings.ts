/**
 * Embedding clients: `openai:<model>` (POST {OPENAI_BASE_URL}/embeddings) and
 * `ollama:<model>` (POST {OLLAMA_BASE_URL}/api/embed), over keep-alive agents so that
 * batches reuse one connection. These are operator-configured URLs, not user URLs, so
 * they do not go through the SSRF guard.
 */
import http from 'node:http';
import https from 'node:https';
import type { Config } from '../config';
import { redactSecrets } from '../llm/errors';
import { KnowledgeError } from './types';

export type Embedder = (texts: string[], signal?: AbortSignal) => Promise<number[][]>;

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
const BATCH = 128;

function postJson(
  url: URL,
  body: unknown,
  headers: Record<string, string>,
  signal?: AbortSignal,
  timeoutMs = 60_000,
): Promise<unknown> {
  const payload = Buffer.from(JSON.stringify(body));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
        signal,
        timeout: timeoutMs,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if ((res.statusCode ?? 500) >= 400)
            return reject(
              new KnowledgeError(
                'embedding_failed',
                `embedding request to ${url.origin} failed: HTTP ${res.statusCode} ${redactSecrets(text, [headers.authorization?.replace(/^Bearer /, '')]).slice(0, 200)}`,
              ),
            );
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new KnowledgeError('embedding_failed', `embedding response from ${url.origin} is not JSON`));
          }
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new KnowledgeError('embedding_failed', `embedding request to ${url.origin} timed out`)),
    );
    req.on('error', (err) =>
      reject(
        err instanceof KnowledgeError
          ? err
          : new KnowledgeError('embedding_failed', `embedding request to ${url.origin} failed: ${err.message}`, {
              cause: err,
            }),
      ),
    );
    req.end(payload);
  });
}

function joinUrl(base: string, suffix: string): URL {
  return new URL(base.replace(/\/+$/, '') + suffix);
}

/** Build an embedder for a model id, or throw a clear error when its provider is not configured. */
export function createEmbedder(model: string, config: Pick<Config, 'providers'>): Embedder {
  const idx = model.indexOf(':');
  const provider = idx > 0 ? model.slice(0, idx) : '';
  const name = model.slice(idx + 1);
  if (provider === 'openai') {
    const { apiKey, baseUrl } = config.providers.openai;
    if (!apiKey && !baseUrl)
      throw new KnowledgeError(
        'no_embedding_model',
        `embedding model ${model}: set OPENAI_API_KEY (and optionally OPENAI_BASE_URL)`,
      );
    const url = joinUrl(baseUrl ?? 'https://api.openai.com/v1', '/embeddings');
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    return async (texts, signal) => {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const res = (await postJson(url, { model: name, input: texts.slice(i, i + BATCH) }, headers, signal)) as {
          data?: Array<{ index: number; embedding: number[] }>;
        };
        if (!Array.isArray(res.data))
          throw new KnowledgeError('embedding_failed', `embedding response from ${url.origin} has no data`);
        for (const d of [...res.data].sort((a, b) => a.index - b.index)) out.push(d.embedding);
      }
      return out;
    };
  }
  if (provider === 'ollama') {
    const url = joinUrl(config.providers.ollama.baseUrl ?? 'http://127.0.0.1:11434', '/api/embed');
    return async (texts, signal) => {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const res = (await postJson(url, { model: name, input: texts.slice(i, i + BATCH) }, {}, signal)) as {
          embeddings?: number[][];
        };
        if (!Array.isArray(res.embeddings))
          throw new KnowledgeError('embedding_failed', `embedding response from ${url.origin} has no embeddings`);
        out.push(...res.embeddings);
      }
      return out;
    };
  }
  throw new KnowledgeError('invalid', `unknown embedding model "${model}" (use openai:<model> or ollama:<model>)`);
}
