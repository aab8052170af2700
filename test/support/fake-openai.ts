/**
 * A fake OpenAI-compatible HTTP server for tests and benchmarks. It listens on 127.0.0.1
 * (port 0 by default) and implements:
 *   POST /v1/chat/completions  JSON, or SSE when `stream: true` (usage chunk when
 *                              `stream_options.include_usage`); honours `stop` and
 *                              `max_tokens` / `max_completion_tokens`.
 *                              Tool calls (`tools` / `tool_calls`, parallel, streamed
 *                              as OpenAI's chunked deltas) are scripted with the
 *                              `toolCalls` behaviour or a responder's `toolCalls`.
 *   POST /v1/embeddings        deterministic unit vectors from a hash of each text
 *                              (float arrays, or base64 when `encoding_format: "base64"`).
 *   GET  /v1/models
 * Token counts use js-tiktoken's bundled o200k ranks (no network).
 *
 * Default reply: "Echo: " + the last user message. A responder can compute a reply per
 * request; behaviours queued with `enqueue` apply, in order, to the next chat or
 * embeddings requests (one behaviour per request).
 *
 * CLI: `tsx test/support/fake-openai.ts --port 0 [--latency ms] [--token-delay ms] [--omit-usage]`
 * prints the base URL (…/v1) on stdout and serves until killed.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  countTokens,
  defaultReply,
  embedding,
  errorCode,
  getEncoder,
  promptTokens,
  splitTokens,
  toBase64,
  type Behaviour,
  type ChatRequest,
  type FakeOpenAI,
  type FakeOpenAIOptions,
  type RecordedCall,
} from './fake-openai-wire';
import { toolCallDeltas, toolCallTokens, wireToolCalls, type WireToolCall } from './fake-openai-tools';

export * from './fake-openai-wire';
export * from './fake-openai-tools';

function sleep(ms: number, req: http.IncomingMessage): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      req.socket.off('close', onClose);
      resolve();
    }, ms);
    req.socket.once('close', onClose);
  });
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  countTokens(''); // build the encoder now, not inside the first timed request
  const calls: RecordedCall[] = [];
  const queue: Behaviour[] = [];
  let responder = opts.responder;
  let latencyMs = opts.latencyMs ?? 0;
  let tokenDelayMs = opts.tokenDelayMs ?? 0;
  let omitUsage = opts.omitUsage ?? false;
  const models = opts.models ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
  const sockets = new Set<Socket>();
  let seq = 0;

  const send = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

  const sendError = (res: http.ServerResponse, b: Extract<Behaviour, { status: number }>): void => {
    const d = errorCode(b.status);
    const headers: Record<string, string> = {};
    if (b.retryAfter !== undefined) headers['retry-after'] = String(b.retryAfter);
    if (b.retryAfterMs !== undefined) headers['retry-after-ms'] = String(b.retryAfterMs);
    const code = b.code ?? d.code;
    const message = b.message ?? (code === 'insufficient_quota' ? 'You exceeded your current quota.' : d.message);
    send(
      res,
      b.status,
      { error: { message, type: code === 'insufficient_quota' ? 'insufficient_quota' : d.type, param: null, code } },
      headers,
    );
  };

  async function chat(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    call: RecordedCall,
    b: Behaviour | undefined,
  ): Promise<void> {
    const body = call.body as ChatRequest;
    if (!body || typeof body !== 'object' || !Array.isArray(body.messages)) {
      send(res, 400, {
        error: { message: "'messages' is required", type: 'invalid_request_error', param: 'messages', code: null },
      });
      return;
    }
    let text: string;
    let finish = 'stop';
    let toolCalls: WireToolCall[] = [];
    if (b && 'reply' in b) {
      text = b.reply;
      finish = b.finishReason ?? 'stop';
    } else if (b && 'toolCalls' in b) {
      text = b.content ?? '';
      toolCalls = wireToolCalls(b.toolCalls);
      finish = b.finishReason ?? 'tool_calls';
    } else if (responder) {
      const r = await responder(body, call);
      if (typeof r === 'string') text = r;
      else {
        text = r.content ?? (r.json !== undefined ? JSON.stringify(r.json) : '');
        if (r.toolCalls?.length) toolCalls = wireToolCalls(r.toolCalls);
        finish = r.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop');
      }
    } else text = defaultReply(body);

    const stops = body.stop === undefined ? [] : Array.isArray(body.stop) ? body.stop : [body.stop];
    for (const s of stops) {
      const i = s ? text.indexOf(s) : -1;
      if (i >= 0) {
        text = text.slice(0, i);
        finish = 'stop';
      }
    }
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (typeof maxTokens === 'number' && maxTokens > 0) {
      const encoder = getEncoder();
      const toks = encoder.encode(text);
      if (toks.length > maxTokens) {
        text = encoder.decode(toks.slice(0, maxTokens));
        finish = 'length';
      }
    }
    const prompt = promptTokens(body.messages);
    const completion = countTokens(text) + toolCallTokens(toolCalls);
    const usage = {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    const id = `chatcmpl-fake${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model;

    if (!body.stream) {
      if (b && ('stallAfterFirstToken' in b || 'hang' in b || 'keepAliveOnly' in b)) return; // never answers
      if (b && 'cutStream' in b) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(
          `{"id":"${id}","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"${text.slice(0, 3)}`,
        );
        setImmediate(() => req.socket.destroy());
        return;
      }
      send(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: toolCalls.length && !text ? null : text,
              refusal: null,
              annotations: [],
              ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
            },
            logprobs: null,
            finish_reason: finish,
          },
        ],
        ...(omitUsage ? {} : { usage }),
        service_tier: 'default',
        system_fingerprint: 'fp_fake',
      });
      return;
    }

    if (b && 'hang' in b) return; // streaming too: accept and never answer
    const includeUsage = body.stream_options?.include_usage === true && !omitUsage;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_fake',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...(includeUsage ? { usage: null } : {}),
      })}\n\n`;
    if (b && 'keepAliveOnly' in b) {
      res.write(': keep-alive\n\n');
      const ping = setInterval(() => res.write(': keep-alive\n\n'), b.everyMs ?? 50);
      res.once('close', () => clearInterval(ping));
      return;
    }
    res.write(chunk({ role: 'assistant', content: '', refusal: null }, null));
    const pieces = splitTokens(text);
    for (let i = 0; i < pieces.length; i++) {
      if (res.destroyed) return;
      if (tokenDelayMs > 0) await sleep(tokenDelayMs, req);
      res.write(chunk({ content: pieces[i] }, null));
      if (b && 'stallAfterFirstToken' in b) return; // keeps the response open, silent
      if (b && 'truncateStream' in b && i >= Math.min(1, pieces.length - 1)) {
        res.end();
        return;
      }
      if (b && 'cutStream' in b && i >= Math.min(1, pieces.length - 1)) {
        setImmediate(() => req.socket.destroy());
        return;
      }
    }
    if (b && 'cutStream' in b) {
      setImmediate(() => req.socket.destroy());
      return;
    }
    if (b && 'stallAfterFirstToken' in b) return;
    for (const delta of toolCallDeltas(toolCalls)) {
      if (res.destroyed) return;
      if (tokenDelayMs > 0) await sleep(tokenDelayMs, req);
      res.write(chunk(delta, null));
    }
    res.write(chunk({}, finish));
    if (includeUsage) {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [], usage })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }

  function embeddings(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    call: RecordedCall,
    b: Behaviour | undefined,
  ): void {
    if (b && ('hang' in b || 'stallAfterFirstToken' in b || 'keepAliveOnly' in b)) return;
    if (b && 'cutStream' in b) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":"list","data":[');
      setImmediate(() => req.socket.destroy());
      return;
    }
    const body = call.body as { input?: unknown; model?: string; dimensions?: number; encoding_format?: string };
    const raw = body?.input;
    const inputs: string[] =
      typeof raw === 'string'
        ? [raw]
        : Array.isArray(raw)
          ? raw.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
          : [];
    if (inputs.length === 0) {
      send(res, 400, {
        error: { message: "'input' is required", type: 'invalid_request_error', param: 'input', code: null },
      });
      return;
    }
    const dims =
      typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : (opts.embeddingDims ?? 64);
    const b64 = body.encoding_format === 'base64';
    let tokens = 0;
    const data = inputs.map((text, index) => {
      tokens += countTokens(text);
      const vec = embedding(text, dims);
      return { object: 'embedding', index, embedding: b64 ? toBase64(vec) : vec };
    });
    send(res, 200, {
      object: 'list',
      data,
      model: body.model ?? 'text-embedding-3-small',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const path = (req.url ?? '/').split('?')[0];
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown = undefined;
        if (rawBody) {
          try {
            body = JSON.parse(rawBody);
          } catch {
            body = rawBody;
          }
        }
        const call: RecordedCall = { method: req.method ?? 'GET', path, headers: req.headers, body, at: Date.now() };
        calls.push(call);
        res.once('close', () => {
          if (!res.writableFinished) call.clientClosed = true;
        });
        if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
          sendError(res, { status: 401 });
          return;
        }
        const isApi = req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/embeddings');
        const b = isApi ? queue.shift() : undefined;
        if (b) call.behaviour = b;
        if (latencyMs > 0) await sleep(latencyMs, req);
        if (b && 'status' in b) {
          sendError(res, b);
          return;
        }
        if (req.method === 'POST' && path === '/v1/chat/completions') await chat(req, res, call, b);
        else if (req.method === 'POST' && path === '/v1/embeddings') embeddings(req, res, call, b);
        else if (req.method === 'GET' && path === '/v1/models') {
          send(res, 200, {
            object: 'list',
            data: models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'braid-fake' })),
          });
        } else
          send(res, 404, {
            error: {
              message: `Unknown request URL: ${req.method} ${path}`,
              type: 'invalid_request_error',
              param: null,
              code: 'unknown_url',
            },
          });
      })().catch((err: unknown) => {
        if (!res.headersSent)
          send(res, 500, { error: { message: String(err), type: 'server_error', param: null, code: null } });
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${host}:${addr.port}/v1`,
    port: addr.port,
    calls,
    setResponder(fn) {
      responder = fn;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    setTokenDelay(ms) {
      tokenDelayMs = ms;
    },
    setOmitUsage(omit) {
      omitUsage = omit;
    },
    enqueue(...behaviours) {
      queue.push(...behaviours);
    },
    reset() {
      calls.length = 0;
      queue.length = 0;
      responder = opts.responder;
      latencyMs = opts.latencyMs ?? 0;
      tokenDelayMs = opts.tokenDelayMs ?? 0;
      omitUsage = opts.omitUsage ?? false;
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const args = process.argv.slice(2);
  const fake = await startFakeOpenAI({
    port: Number(argValue(args, '--port') ?? 0),
    host: argValue(args, '--host') ?? '127.0.0.1',
    latencyMs: Number(argValue(args, '--latency') ?? 0),
    tokenDelayMs: Number(argValue(args, '--token-delay') ?? 0),
    omitUsage: args.includes('--omit-usage'),
  });
  process.stdout.write(`${fake.url}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
