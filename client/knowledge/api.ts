/** Client for /api/knowledge-bases (shapes mirror docs/api.md → Knowledge bases). */
import type {
  CreateKnowledgeBaseRequest,
  IngestUrlsRequest,
  KnowledgeQueryRequest,
  KnowledgeQueryResponse,
  KnowledgeSearchMode,
} from '../../shared/api/knowledge';
import { ApiError, getJson, request } from '../api/http';

export type SearchMode = KnowledgeSearchMode;
export type QueryResult = KnowledgeQueryResponse;

export interface KnowledgeBaseInfo {
  name: string;
  config: { chunkSize: number; chunkOverlap: number; embedding?: string; textColumn?: string };
  dimensions: number | null;
  documents: number;
  chunks: number;
  createdAt: number;
  updatedAt: number;
}

export interface DocumentInfo {
  id: string;
  source: string;
  kind: 'file' | 'url';
  status: 'ingesting' | 'ready' | 'failed';
  chunks: number;
  bytes: number;
  error: string | null;
  updatedAt: number;
}

export interface JobItem {
  name: string;
  status: 'queued' | 'running' | 'done' | 'unchanged' | 'failed';
  progress: number;
  error?: { code: string; message: string };
  chunks?: number;
}

export interface IngestJob {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  items: JobItem[];
}

export interface Hit {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

const base = '/api/knowledge-bases';
const kbPath = (kb: string) => `${base}/${encodeURIComponent(kb)}`;

export const kbApi = {
  list: () => getJson<{ knowledgeBases: KnowledgeBaseInfo[] }>(base).then((r) => r.knowledgeBases),
  create: (body: CreateKnowledgeBaseRequest) =>
    getJson<KnowledgeBaseInfo>(base, { method: 'POST', body: JSON.stringify(body) }),
  remove: (kb: string) => request(kbPath(kb), { method: 'DELETE' }).then(() => undefined),
  documents: (kb: string) => getJson<{ documents: DocumentInfo[] }>(`${kbPath(kb)}/documents`).then((r) => r.documents),
  removeDocument: (kb: string, id: string) =>
    request(`${kbPath(kb)}/documents/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined),
  chunks: (kb: string, id: string) =>
    getJson<{ chunks: Hit[] }>(`${kbPath(kb)}/documents/${encodeURIComponent(id)}/chunks`).then((r) => r.chunks),
  job: (kb: string, id: string) => getJson<IngestJob>(`${kbPath(kb)}/jobs/${encodeURIComponent(id)}`),
  urls: (kb: string, urls: string[]) =>
    getJson<IngestJob>(`${kbPath(kb)}/urls`, {
      method: 'POST',
      body: JSON.stringify({ urls } satisfies IngestUrlsRequest),
    }),
  query: (kb: string, body: KnowledgeQueryRequest) =>
    getJson<KnowledgeQueryResponse>(`${kbPath(kb)}/query`, {
      method: 'POST',
      body: JSON.stringify(body),
    }),

  /** Upload one file with byte progress (XHR: fetch has no upload progress). */
  upload(kb: string, file: File, onProgress: (fraction: number) => void): Promise<IngestJob> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${kbPath(kb)}/documents`);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onerror = () => reject(new ApiError(0, 'network', 'Cannot reach the Braid server'));
      xhr.onload = () => {
        let body: unknown;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as IngestJob);
        else {
          const e = (body as { error?: { code: string; message: string } } | undefined)?.error;
          reject(
            new ApiError(xhr.status, e?.code ?? `http_${xhr.status}`, e?.message ?? `upload failed (${xhr.status})`),
          );
        }
      };
      const form = new FormData();
      form.append('files', file, file.name);
      xhr.send(form);
    });
  },
};
