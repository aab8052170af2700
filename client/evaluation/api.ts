/** Typed calls to the datasets and evaluations API (docs/api.md → Evaluation). */
import { ApiError, getJson, request } from '../api/http';
import type {
  Comparison,
  CreateEvaluationRequest,
  DatasetDeleteResult,
  DatasetInfo,
  DatasetPatch,
  DatasetRowRecord,
  DatasetVersionInfo,
  EvaluationConfigInput,
  EvaluationInfo,
  EvaluationPatch,
  EvaluationSummary,
  ReviewInput,
  RowResult,
} from '../../shared/api/evaluation';
import type { Trace } from '../../shared/runtime/events';

export type RowWithTrace = RowResult & { trace?: Trace };

/** A dataset's name from its file: the file name without its extension (`qa.csv` → `qa`). */
export function datasetNameOf(fileName: string): string {
  return fileName.replace(/\.[^.]+$/, '') || fileName;
}

export const evalApi = {
  datasets: () => getJson<{ datasets: DatasetInfo[] }>('/api/datasets').then((r) => r.datasets),
  dataset: (id: string) =>
    getJson<{ dataset: DatasetInfo; versions: DatasetVersionInfo[] }>(`/api/datasets/${encodeURIComponent(id)}`),
  async upload(
    file: File,
    datasetId?: string,
  ): Promise<{ dataset: DatasetInfo; version: DatasetVersionInfo; reused: boolean }> {
    const form = new FormData();
    form.append('name', datasetNameOf(file.name));
    form.append('file', file, file.name);
    // fetch sets the multipart content type itself (request() would force JSON).
    const res = await fetch(datasetId ? `/api/datasets/${encodeURIComponent(datasetId)}/versions` : '/api/datasets', {
      method: 'POST',
      body: form,
    });
    const body = (await res.json().catch(() => ({}))) as {
      dataset: DatasetInfo;
      version: DatasetVersionInfo;
      reused: boolean;
      error?: { code: string; message: string; details?: unknown };
    };
    if (!res.ok)
      throw new ApiError(
        res.status,
        body.error?.code ?? `http_${res.status}`,
        body.error?.message ?? `upload failed (${res.status})`,
        body.error?.details,
      );
    return body;
  },
  renameDataset: (id: string, patch: DatasetPatch) =>
    getJson<{ dataset: DatasetInfo }>(`/api/datasets/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body: JSON.stringify(patch),
    }).then((r) => r.dataset),
  deleteDataset: (id: string) =>
    getJson<DatasetDeleteResult>(`/api/datasets/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  renameEvaluation: (id: string, patch: EvaluationPatch) =>
    getJson<{ evaluation: EvaluationInfo }>(`/api/evaluations/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body: JSON.stringify(patch),
    }).then((r) => r.evaluation),
  deleteEvaluation: (id: string) =>
    request(`/api/evaluations/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined),
  rows: (versionId: string, offset: number, limit: number) =>
    getJson<{ rows: DatasetRowRecord[] }>(
      `/api/dataset-versions/${encodeURIComponent(versionId)}/rows?offset=${offset}&limit=${limit}`,
    ).then((r) => r.rows),
  evaluations: (datasetId?: string) =>
    getJson<{ evaluations: EvaluationInfo[] }>(
      `/api/evaluations${datasetId ? `?datasetId=${encodeURIComponent(datasetId)}` : ''}`,
    ).then((r) => r.evaluations),
  evaluation: (id: string) =>
    getJson<{ evaluation: EvaluationInfo & { concurrencyNow: number | null } }>(`/api/evaluations/${id}`).then(
      (r) => r.evaluation,
    ),
  create: (body: CreateEvaluationRequest & { config: EvaluationConfigInput }) =>
    getJson<{ evaluation: EvaluationInfo }>('/api/evaluations', { method: 'POST', body: JSON.stringify(body) }).then(
      (r) => r.evaluation,
    ),
  cancel: (id: string) =>
    getJson<{ evaluation: EvaluationInfo }>(`/api/evaluations/${id}/cancel`, { method: 'POST' }).then(
      (r) => r.evaluation,
    ),
  resume: (id: string) =>
    getJson<{ evaluation: EvaluationInfo }>(`/api/evaluations/${id}/resume`, { method: 'POST' }).then(
      (r) => r.evaluation,
    ),
  summary: (id: string) =>
    getJson<{ summary: EvaluationSummary }>(`/api/evaluations/${id}/summary`).then((r) => r.summary),
  results: (id: string, offset: number, limit: number, filter = 'all') =>
    getJson<{ rows: RowResult[]; total: number; done: number }>(
      `/api/evaluations/${id}/results?offset=${offset}&limit=${limit}&filter=${filter}`,
    ),
  row: (id: string, rowIdx: number) =>
    getJson<{ row: RowWithTrace }>(`/api/evaluations/${id}/results/${rowIdx}`).then((r) => r.row),
  review: (id: string, review: ReviewInput) =>
    getJson(`/api/evaluations/${id}/reviews`, { method: 'POST', body: JSON.stringify(review) }),
  compare: (a: string, b: string, filter: string, metric?: string, offset = 0) =>
    getJson<Comparison>(
      `/api/evaluations/compare?a=${a}&b=${b}&rows=1&filter=${filter}&offset=${offset}&limit=500${metric ? `&metric=${encodeURIComponent(metric)}` : ''}`,
    ),
  /** CSV downloads carry a UTF-8 BOM so spreadsheets (Excel) read Japanese text as UTF-8. */
  exportUrl: (id: string, format: 'csv' | 'jsonl') =>
    `/api/evaluations/${id}/export?format=${format}${format === 'csv' ? '&bom=1' : ''}`,
  preferencesUrl: (a: string, b: string) => `/api/evaluations/preferences.jsonl?a=${a}&b=${b}`,
  eventsUrl: (id: string) => `/api/evaluations/${id}/events`,
};

/** Short text of any value for table cells. */
export function cell(v: unknown, max = 160): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** The unit a metric's values are in (latency in ms, cost in USD, tokens), if any. */
export function metricUnit(metric: string): 'ms' | '$' | 'tokens' | undefined {
  if (metric === 'latency') return 'ms';
  if (metric === 'cost') return '$';
  if (metric === 'tokens') return 'tokens';
  return undefined;
}

/** A metric value with its unit: "1,526 ms", "$0.00042", "312 tokens", else as `fmt`. */
export function fmtMetric(metric: string, v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const unit = metricUnit(metric);
  if (unit === 'ms') return `${Math.round(v).toLocaleString('en-US')} ms`;
  if (unit === '$')
    return `${v < 0 ? '−' : ''}$${Math.abs(v) < 0.01 ? Math.abs(v).toPrecision(2) : Math.abs(v).toFixed(4)}`;
  if (unit === 'tokens') return `${(Math.round(v * 10) / 10).toLocaleString('en-US')} tokens`;
  return fmt(v);
}

/** The scored output of a row (the configured output, else the first). */
export function mainOutput(r: RowResult, output?: string): unknown {
  if (!r.outputs) return undefined;
  return output ? r.outputs[output] : Object.values(r.outputs)[0];
}
