/** The deploy page's calls to /api/deployments/**, /api/alerts/** and the playground. */
import type {
  AlertEvent,
  AlertRule,
  AlertRuleRequest,
  CreatedKey,
  CreateKeyRequest,
  DeploymentDetail,
  DeploymentPatchRequest,
  DeploymentDiff,
  DeploymentInfo,
  DeploymentStats,
  DeployRequest,
  DeployResult,
  KeyLabelRequest,
  LogPage,
  LogToDatasetRequest,
  PlaygroundChatRequest,
  PlaygroundChatResponse,
  RequestLogEntry,
  RollbackRequest,
  VersionNoteRequest,
} from '../../shared/api/deployment';
import type { Trace } from '../../shared/runtime/events';
import { getJson, request } from '../api/http';

const enc = encodeURIComponent;
/** A JSON body; `B` is the request's shape from shared/api (checked by the server with the same schema). */
const post = <T, B = unknown>(path: string, body: B, method = 'POST') =>
  getJson<T>(path, { method, body: JSON.stringify(body) });

export interface LogQuery {
  status?: string;
  feedback?: string;
  minLatencyMs?: number;
  before?: string;
}

export const deployApi = {
  list: () => getJson<{ items: DeploymentInfo[] }>('/api/deployments').then((r) => r.items),
  detail: (slug: string) => getJson<DeploymentDetail>(`/api/deployments/${enc(slug)}`),
  deploy: (flowId: string, body: DeployRequest) =>
    post<DeployResult, DeployRequest>(`/api/flows/${enc(flowId)}/deployments`, body),
  setNote: (slug: string, version: number, note: string | null) =>
    post<DeploymentDetail, VersionNoteRequest>(`/api/deployments/${enc(slug)}/versions/${version}`, { note }, 'PATCH'),
  diff: (slug: string, from: number, to: number) =>
    getJson<DeploymentDiff>(`/api/deployments/${enc(slug)}/diff?from=${from}&to=${to}`),
  rollback: (slug: string, version: number) =>
    post<DeploymentDetail, RollbackRequest>(`/api/deployments/${enc(slug)}/rollback`, { version }),
  settings: (slug: string, settings: DeploymentPatchRequest['settings']) =>
    post<DeploymentDetail, DeploymentPatchRequest>(`/api/deployments/${enc(slug)}`, { settings }, 'PATCH'),
  remove: (slug: string) => request(`/api/deployments/${enc(slug)}`, { method: 'DELETE' }),
  createKey: (slug: string, label: string) =>
    post<CreatedKey, CreateKeyRequest>(`/api/deployments/${enc(slug)}/keys`, { label }),
  labelKey: (slug: string, id: string, label: string) =>
    post<{ ok: true }, KeyLabelRequest>(`/api/deployments/${enc(slug)}/keys/${enc(id)}`, { label }, 'PATCH'),
  revokeKey: (slug: string, id: string) =>
    request(`/api/deployments/${enc(slug)}/keys/${enc(id)}`, { method: 'DELETE' }),
  stats: (slug: string, windowMs: number, bucketMs: number) =>
    getJson<DeploymentStats>(`/api/deployments/${enc(slug)}/stats?windowMs=${windowMs}&bucketMs=${bucketMs}`),
  logs: (slug: string, q: LogQuery) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
    return getJson<LogPage>(`/api/deployments/${enc(slug)}/logs?${p.toString()}`);
  },
  log: (slug: string, traceId: string) =>
    getJson<RequestLogEntry & { trace: Trace | null }>(`/api/deployments/${enc(slug)}/logs/${enc(traceId)}`),
  toDataset: (slug: string, traceId: string, body: LogToDatasetRequest) =>
    post<{ datasetId: string; version: { version: number; rowCount: number } }, LogToDatasetRequest>(
      `/api/deployments/${enc(slug)}/logs/${enc(traceId)}/dataset`,
      body,
    ),
  rules: (slug: string) => getJson<{ items: AlertRule[] }>(`/api/alerts/rules?slug=${enc(slug)}`).then((r) => r.items),
  createRule: (rule: AlertRuleRequest) => post<AlertRule, AlertRuleRequest>('/api/alerts/rules', rule),
  deleteRule: (id: string) => request(`/api/alerts/rules/${enc(id)}`, { method: 'DELETE' }),
  events: (slug: string) =>
    getJson<{ items: AlertEvent[] }>(`/api/alerts/events?slug=${enc(slug)}`).then((r) => r.items),
  chat: (flowId: string, sessionId: string, message: string) =>
    post<PlaygroundChatResponse, PlaygroundChatRequest>(`/api/flows/${enc(flowId)}/chat`, { sessionId, message }),
  chatHistory: (flowId: string, sessionId: string) =>
    getJson<{ history: Array<{ role: string; content: string }> }>(
      `/api/flows/${enc(flowId)}/chat/${enc(sessionId)}`,
    ).then((r) => r.history),
  clearChat: (flowId: string, sessionId: string) =>
    request(`/api/flows/${enc(flowId)}/chat/${enc(sessionId)}`, { method: 'DELETE' }),
};
