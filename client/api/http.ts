import type { ApiErrorBody, FlowProblem } from '../../shared/api/errors';
import type { Flow } from '../../shared/flow/schema';
import type { NodeTypesResponse } from '../../shared/api/node-types';
import type { FlowListResponse, FlowResponse, FlowValidateResponse } from '../../shared/api/flows';
import type { ChildRunPage, NodeRunRequest, RunDetailResponse, RunPage, RunResponse } from '../../shared/api/runs';
import type { McpServersResponse } from '../../shared/api/mcp';

/** An API error with the server's code and message (or a network failure). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function readError(res: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> | undefined;
  try {
    body = (await res.json()) as Partial<ApiErrorBody>;
  } catch {
    body = undefined;
  }
  const e = body?.error;
  return new ApiError(
    res.status,
    e?.code ?? `http_${res.status}`,
    e?.message ?? `${res.status} ${res.statusText}`,
    e?.details,
  );
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      ...init,
      headers: {
        Accept: 'application/json',
        ...(init.body ? { 'Content-Type': 'application/json' } : {}),
        ...init.headers,
      },
    });
  } catch (err) {
    throw new ApiError(0, 'network', `Cannot reach the Braid server (${(err as Error).message})`);
  }
  if (!res.ok) throw await readError(res);
  return res;
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await request(path, init);
  return (await res.json()) as T;
}

export type { JsonSchema, NodeTypeInfo } from '../../shared/api/node-types';

export interface ProviderInfo {
  name: string;
  configured: boolean;
  /** Environment variables that configure it. */
  env: string[];
}

export type { FlowSummary } from '../../shared/api/flows';

export interface LoadedFlow {
  flow: Flow;
  etag: string | null;
  /** The server's validation of the stored file (errors and warnings). */
  problems: FlowProblem[];
}

/** One commit that touched a flow file (GET /api/flows/:id/history). */
export interface FlowCommit {
  commit: string;
  shortCommit: string;
  date: number;
  author: string;
  subject: string;
}

export interface FlowHistory {
  available: boolean;
  reason?: string;
  commits: FlowCommit[];
}

/** The flow of a flow response (the server sends the stored document; the client edits it as a Flow). */
function loaded(body: FlowResponse, res: Response): LoadedFlow {
  return { flow: body.flow as unknown as Flow, etag: res.headers.get('ETag'), problems: body.problems };
}

/** `?draft=1` stores a flow with graph/config problems (its file shape must still be valid). */
const draftQuery = (draft: boolean | undefined) => (draft ? '?draft=1' : '');

export type { ChildRunPage, RunDetailResponse, RunPage, RunSummary } from '../../shared/api/runs';

export const api = {
  nodeTypes: () => getJson<NodeTypesResponse>('/api/node-types').then((r) => r.nodeTypes),
  providers: () => getJson<{ providers: ProviderInfo[] }>('/api/providers').then((r) => r.providers),
  listFlows: () => getJson<FlowListResponse>('/api/flows').then((r) => r.flows),
  async getFlow(id: string): Promise<LoadedFlow> {
    const res = await request(`/api/flows/${encodeURIComponent(id)}`);
    return loaded((await res.json()) as FlowResponse, res);
  },
  async createFlow(flow: unknown, opts: { draft?: boolean } = {}): Promise<LoadedFlow> {
    const res = await request(`/api/flows${draftQuery(opts.draft)}`, { method: 'POST', body: JSON.stringify(flow) });
    return loaded((await res.json()) as FlowResponse, res);
  },
  /** PUT with If-Match (when an etag is known); a 409 rejects with ApiError status 409. */
  async saveFlow(flow: Flow, etag: string | null, opts: { draft?: boolean } = {}): Promise<LoadedFlow> {
    const res = await request(`/api/flows/${encodeURIComponent(flow.id)}${draftQuery(opts.draft)}`, {
      method: 'PUT',
      body: JSON.stringify(flow),
      headers: etag ? { 'If-Match': etag } : {},
    });
    return loaded((await res.json()) as FlowResponse, res);
  },
  flowHistory: (id: string) => getJson<FlowHistory>(`/api/flows/${encodeURIComponent(id)}/history`),
  flowVersion: (id: string, commit: string) =>
    getJson<{ commit: string; date: number; flow: Record<string, unknown>; valid: boolean; problems: FlowProblem[] }>(
      `/api/flows/${encodeURIComponent(id)}/versions/${encodeURIComponent(commit)}`,
    ),
  deleteFlow: (id: string) =>
    request(`/api/flows/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined),
  validate: (id: string) =>
    getJson<FlowValidateResponse>(`/api/flows/${encodeURIComponent(id)}/validate`, {
      method: 'POST',
    }),
  listRuns: (flowId: string) => getJson<RunPage>(`/api/flows/${encodeURIComponent(flowId)}/runs`).then((r) => r.runs),
  getRun: (runId: string) => getJson<RunDetailResponse>(`/api/runs/${encodeURIComponent(runId)}`),
  /** Child runs a node of a run started (map items, loop iterations, subflow, agent tools), paged. */
  childRuns: (runId: string, nodeId: string, offset: number, limit: number) =>
    getJson<ChildRunPage>(
      `/api/runs/${encodeURIComponent(runId)}/children?nodeId=${encodeURIComponent(nodeId)}&offset=${offset}&limit=${limit}`,
    ),
  /** The operator's MCP servers and their tools (BRAID_MCP_CONFIG); `refresh` re-lists them. */
  mcpServers: (refresh = false) => getJson<McpServersResponse>(`/api/mcp/servers${refresh ? '?refresh=1' : ''}`),
  cancelRun: (runId: string) =>
    request(`/api/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' }).then(() => undefined),
  runNode: (flowId: string, nodeId: string, inputs: Record<string, unknown>) =>
    getJson<RunResponse>(`/api/flows/${encodeURIComponent(flowId)}/nodes/${encodeURIComponent(nodeId)}/run`, {
      method: 'POST',
      body: JSON.stringify({ inputs } satisfies NodeRunRequest),
    }),
};
