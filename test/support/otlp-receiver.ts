/**
 * A minimal OTLP/HTTP trace receiver for tests: a plain node:http server on 127.0.0.1:0
 * that accepts `POST /v1/traces` with the JSON encoding (what
 * @opentelemetry/exporter-trace-otlp-http sends; gzip accepted too), answers 200 `{}`, and
 * keeps every request and every span, flattened, for assertions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

/** An OTLP JSON `AnyValue`. */
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: KeyValue[];
  events?: Array<{ name: string; timeUnixNano: string | number; attributes?: KeyValue[] }>;
  status?: { code?: number; message?: string };
}
interface ExportRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: OtlpSpan[] }>;
  }>;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; atMs: number; attributes: Record<string, unknown> }>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage?: string;
  resource: Record<string, unknown>;
  scope?: string;
}

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The decoded body text. */
  body: string;
}

export interface OtlpReceiver {
  /** Base URL (`http://127.0.0.1:<port>`), for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  requests: ReceivedRequest[];
  spans: ReceivedSpan[];
  /** Resolves once `predicate(spans)` holds (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
      const body = raw.toString('utf8');
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !/json/.test(req.headers['content-type'] ?? '')) {
        res.writeHead(415, { 'content-type': 'application/json' }).end('{"error":"expected JSON OTLP traces"}');
        return;
      }
      try {
        spans.push(...flatten(JSON.parse(body) as ExportRequest));
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans,
    async waitFor(predicate, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > end)
          throw new Error(`OTLP receiver: condition not met after ${timeoutMs} ms (${spans.length} spans)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    reset() {
      requests.length = 0;
      spans.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function flatten(req: ExportRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind ?? 0,
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: attrs(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name,
            atMs: nanosToMs(e.timeUnixNano),
            attributes: attrs(e.attributes),
          })),
          statusCode: s.status?.code ?? 0,
          ...(s.status?.message ? { statusMessage: s.status.message } : {}),
          resource,
          ...(ss.scope?.name ? { scope: ss.scope.name } : {}),
        });
  }
  return out;
}

function nanosToMs(n: string | number): number {
  return Number(BigInt(n) / 1000n) / 1000;
}

function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = value(kv.value);
  return out;
}

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  if (v.kvlistValue) return attrs(v.kvlistValue.values);
  return undefined;
}
