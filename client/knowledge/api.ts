/** Client for /api/knowledge-bases (shapes mirror docs/api.md → Knowledge bases). */
import type {
  CreateKnowledgeBaseRequest,
  IngestJobInfo,
  IngestUrlsRequest,
  KnowledgeBaseInfo,
  KnowledgeBaseListResponse,
  KnowledgeChunkListResponse,
  KnowledgeDocumentListResponse,
  KnowledgeQueryRequest,
  KnowledgeQueryResponse,
} from '../../shared/api/knowledge';
import { ApiError, getJson, request } from '../api/http';

export type {
  IngestJobInfo,
  KnowledgeBaseInfo,
  KnowledgeChunk,
  KnowledgeDocumentInfo,
  KnowledgeQueryResponse,
  KnowledgeSearchMode,
} from '../../shared/api/knowledge';

const base = '/api/knowledge-bases';
const kbPath = (kb: string) => `${base}/${encodeURIComponent(kb)}`;

export const kbApi = {
  list: () => getJson<KnowledgeBaseListResponse>(base).then((r) => r.knowledgeBases),
  create: (body: CreateKnowledgeBaseRequest) =>
    getJson<KnowledgeBaseInfo>(base, { method: 'POST', body: JSON.stringify(body) }),
  remove: (kb: string) => request(kbPath(kb), { method: 'DELETE' }).then(() => undefined),
  documents: (kb: string) => getJson<KnowledgeDocumentListResponse>(`${kbPath(kb)}/documents`).then((r) => r.documents),
  removeDocument: (kb: string, id: string) =>
    request(`${kbPath(kb)}/documents/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined),
  chunks: (kb: string, id: string) =>
    getJson<KnowledgeChunkListResponse>(`${kbPath(kb)}/documents/${encodeURIComponent(id)}/chunks`).then(
      (r) => r.chunks,
    ),
  job: (kb: string, id: string) => getJson<IngestJobInfo>(`${kbPath(kb)}/jobs/${encodeURIComponent(id)}`),
  urls: (kb: string, urls: string[]) =>
    getJson<IngestJobInfo>(`${kbPath(kb)}/urls`, {
      method: 'POST',
      body: JSON.stringify({ urls } satisfies IngestUrlsRequest),
    }),
  query: (kb: string, body: KnowledgeQueryRequest) =>
    getJson<KnowledgeQueryResponse>(`${kbPath(kb)}/query`, {
      method: 'POST',
      body: JSON.stringify(body),
    }),

  /** Upload one file with byte progress (XHR: fetch has no upload progress). */
  upload(kb: string, file: File, onProgress: (fraction: number) => void): Promise<IngestJobInfo> {
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
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as IngestJobInfo);
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
