/**
 * `braid eval --server URL`: the same gate against a running Braid server — upload the
 * dataset (streamed), create the evaluation for a flow id that exists there, follow its
 * progress over SSE, and fetch the summary and (optionally) the exported rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type {
  DatasetInfo,
  EvaluationConfigInput,
  EvaluationEvent,
  EvaluationInfo,
  RowResult,
} from '../../shared/api/evaluation';

export class RemoteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface RemoteOptions {
  server: string;
  token?: string;
  onProgress?: (e: Extract<EvaluationEvent, { type: 'progress' }>) => void;
  /** The created evaluation (with the pre-run check's `cellProblems`, if any). */
  onCreated?: (e: EvaluationInfo) => void;
}

async function call<T>(o: RemoteOptions, p: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<T> {
  const res = await fetch(new URL(p, o.server), {
    ...init,
    headers: {
      accept: 'application/json',
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(init.headers as Record<string, string>),
    },
  });
  const body = (await res.json().catch(() => ({}))) as T & {
    error?: { code: string; message: string; details?: unknown };
  };
  if (!res.ok)
    throw new RemoteError(
      res.status,
      body.error?.code ?? `http_${res.status}`,
      body.error?.message ?? `HTTP ${res.status}`,
      body.error?.details,
    );
  return body;
}

/** Read SSE frames until `finished` (or the stream ends). */
async function follow(o: RemoteOptions, id: string): Promise<void> {
  const res = await fetch(new URL(`/api/evaluations/${id}/events`, o.server), {
    headers: { accept: 'text/event-stream', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
  });
  if (!res.ok || !res.body)
    throw new RemoteError(res.status, 'events_failed', `cannot follow evaluation ${id} (HTTP ${res.status})`);
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (!data) continue;
      const e = JSON.parse(data.slice(6)) as EvaluationEvent;
      if (e.type === 'progress') o.onProgress?.(e);
      if (e.type === 'finished') return;
    }
  }
}

export async function runRemoteEvaluation(
  o: RemoteOptions,
  req: { flowId: string; datasetFile: string; config: EvaluationConfigInput; out?: string; bom?: boolean },
): Promise<EvaluationInfo> {
  const name = path.basename(req.datasetFile);
  const { datasets } = await call<{ datasets: DatasetInfo[] }>(o, '/api/datasets');
  const existing = datasets.find((d) => d.name === name);
  const url = existing
    ? `/api/datasets/${existing.id}/versions?filename=${encodeURIComponent(name)}`
    : `/api/datasets?name=${encodeURIComponent(name)}&filename=${encodeURIComponent(name)}`;
  const uploaded = await call<{ dataset: DatasetInfo; version: { id: string } }>(o, url, {
    method: 'POST',
    body: Readable.toWeb(fs.createReadStream(req.datasetFile)) as unknown as BodyInit,
    duplex: 'half',
    headers: { 'content-type': /\.(jsonl|ndjson)$/i.test(name) ? 'application/x-ndjson' : 'text/csv' },
  });
  const { evaluation } = await call<{ evaluation: EvaluationInfo }>(o, '/api/evaluations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      flowId: req.flowId,
      datasetId: uploaded.dataset.id,
      datasetVersionId: uploaded.version.id,
      config: req.config,
    }),
  });
  o.onCreated?.(evaluation);
  await follow(o, evaluation.id);
  const final = (await call<{ evaluation: EvaluationInfo }>(o, `/api/evaluations/${evaluation.id}`)).evaluation;
  if (req.out) {
    const res = await fetch(
      new URL(
        `/api/evaluations/${evaluation.id}/export?format=${req.out.endsWith('.csv') ? 'csv' : 'jsonl'}${req.bom ? '&bom=1' : ''}`,
        o.server,
      ),
      { headers: o.token ? { authorization: `Bearer ${o.token}` } : {} },
    );
    if (!res.ok || !res.body) throw new RemoteError(res.status, 'export_failed', `export failed (HTTP ${res.status})`);
    await fs.promises.writeFile(req.out, Readable.fromWeb(res.body as never));
  }
  return final;
}

/** A few failed rows of a remote evaluation, to explain failures. */
export async function remoteFailedRows(o: RemoteOptions, id: string, limit = 5): Promise<RowResult[]> {
  return (await call<{ rows: RowResult[] }>(o, `/api/evaluations/${id}/results?filter=failed&limit=${limit}`)).rows;
}
