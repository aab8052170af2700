import type { ApiErrorBody, FlowProblem } from '../../shared/api/errors';
import type { Flow, FlowIO } from '../../shared/flow/schema';
import type { FieldWidget } from '../../shared/nodes/define';
import type { Trace, RunStatus, RunParent } from '../../shared/runtime/events';
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

export interface NodeTypeInfo {
  type: string;
  title: string;
  category: string;
  icon: string;
  docs: string;
  editors?: Record<string, 'mustache' | 'javascript' | 'json' | 'jsonata'>;
  example?: Record<string, unknown>;
  /** JSON Schema of the node's config. */
  config: JsonSchema;
}

/** The subset of JSON Schema the inspector understands. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  /** The widget the node declaration asks for (`.meta({ widget })`). */
  widget?: FieldWidget;
  /** Show the field only while these sibling fields have these values (`.meta({ showWhen })`). */
  showWhen?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface ProviderInfo {
  name: string;
  configured: boolean;
  /** Environment variables that configure it. */
  env: string[];
}

export interface FlowSummary {
  id: string;
  name: string;
  description?: string;
  updatedAt?: string | number;
  /** Declared inputs and outputs: the ports of a subflow, map or loop node calling it. */
  inputs?: FlowIO[];
  outputs?: FlowIO[];
  nodeCount?: number;
  /** False when the stored file has errors (a draft save). */
  valid?: boolean;
  problemCount?: number;
  /** Problems that keep it from running (warnings excluded). */
  errorCount?: number;
  [k: string]: unknown;
}

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

type FlowBody = Flow | { flow: Flow; problems?: FlowProblem[] };

function flowOf(body: FlowBody | null, fallback?: Flow): Flow {
  if (body && 'flow' in body && body.flow && typeof body.flow === 'object') return body.flow;
  return (body as Flow | null) ?? (fallback as Flow);
}

function problemsOf(body: FlowBody | null): FlowProblem[] {
  return body && 'problems' in body && Array.isArray(body.problems) ? body.problems : [];
}

/** `?draft=1` stores a flow with graph/config problems (its file shape must still be valid). */
const draftQuery = (draft: boolean | undefined) => (draft ? '?draft=1' : '');

export interface RunSummary {
  runId: string;
  flowId: string;
  status: RunStatus;
  source?: string;
  nodeId?: string;
  startedAt: number;
  durationMs?: number;
  error?: { code: string; message: string; nodeId?: string };
  usage?: { totalTokens: number; cost: number | null };
}

/** A child run in a parent's paged list. */
export interface ChildRunSummary extends RunSummary {
  parent?: RunParent;
}

export interface RunRecord extends RunSummary {
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  trace?: Trace;
  running?: boolean;
}

export const api = {
  nodeTypes: () =>
    getJson<{ nodeTypes: Array<Omit<NodeTypeInfo, 'config'> & { configSchema?: JsonSchema; config?: JsonSchema }> }>(
      '/api/node-types',
    ).then((r) =>
      r.nodeTypes.map(({ configSchema, config, ...rest }) => ({ ...rest, config: configSchema ?? config ?? {} })),
    ),
  providers: () => getJson<{ providers: ProviderInfo[] }>('/api/providers').then((r) => r.providers),
  listFlows: () => getJson<{ flows: FlowSummary[] }>('/api/flows').then((r) => r.flows),
  async getFlow(id: string): Promise<LoadedFlow> {
    const res = await request(`/api/flows/${encodeURIComponent(id)}`);
    const body = (await res.json()) as FlowBody;
    return { flow: flowOf(body), etag: res.headers.get('ETag'), problems: problemsOf(body) };
  },
  async createFlow(flow: unknown, opts: { draft?: boolean } = {}): Promise<LoadedFlow> {
    const res = await request(`/api/flows${draftQuery(opts.draft)}`, { method: 'POST', body: JSON.stringify(flow) });
    const body = (await res.json()) as FlowBody;
    return { flow: flowOf(body), etag: res.headers.get('ETag'), problems: problemsOf(body) };
  },
  /** PUT with If-Match (when an etag is known); a 409 rejects with ApiError status 409. */
  async saveFlow(flow: Flow, etag: string | null, opts: { draft?: boolean } = {}): Promise<LoadedFlow> {
    const res = await request(`/api/flows/${encodeURIComponent(flow.id)}${draftQuery(opts.draft)}`, {
      method: 'PUT',
      body: JSON.stringify(flow),
      headers: etag ? { 'If-Match': etag } : {},
    });
    const body = (await res.json().catch(() => null)) as FlowBody | null;
    return { flow: flowOf(body, flow), etag: res.headers.get('ETag'), problems: problemsOf(body) };
  },
  flowHistory: (id: string) => getJson<FlowHistory>(`/api/flows/${encodeURIComponent(id)}/history`),
  flowVersion: (id: string, commit: string) =>
    getJson<{ commit: string; date: number; flow: Record<string, unknown>; valid: boolean; problems: FlowProblem[] }>(
      `/api/flows/${encodeURIComponent(id)}/versions/${encodeURIComponent(commit)}`,
    ),
  deleteFlow: (id: string) =>
    request(`/api/flows/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined),
  validate: (id: string) =>
    getJson<{ valid: boolean; problems: FlowProblem[] }>(`/api/flows/${encodeURIComponent(id)}/validate`, {
      method: 'POST',
    }),
  listRuns: (flowId: string) =>
    getJson<{ runs: RunSummary[] }>(`/api/flows/${encodeURIComponent(flowId)}/runs`).then((r) => r.runs),
  getRun: (runId: string) => getJson<RunRecord>(`/api/runs/${encodeURIComponent(runId)}`),
  /** Child runs a node of a run started (map items, loop iterations, subflow, agent tools), paged. */
  childRuns: (runId: string, nodeId: string, offset: number, limit: number) =>
    getJson<{ runs: ChildRunSummary[]; total: number }>(
      `/api/runs/${encodeURIComponent(runId)}/children?nodeId=${encodeURIComponent(nodeId)}&offset=${offset}&limit=${limit}`,
    ),
  /** The operator's MCP servers and their tools (BRAID_MCP_CONFIG); `refresh` re-lists them. */
  mcpServers: (refresh = false) => getJson<McpServersResponse>(`/api/mcp/servers${refresh ? '?refresh=1' : ''}`),
  cancelRun: (runId: string) =>
    request(`/api/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' }).then(() => undefined),
  runNode: (flowId: string, nodeId: string, inputs: Record<string, unknown>) =>
    getJson<{ runId: string; status: RunStatus; outputs: Record<string, unknown>; trace: Trace }>(
      `/api/flows/${encodeURIComponent(flowId)}/nodes/${encodeURIComponent(nodeId)}/run`,
      { method: 'POST', body: JSON.stringify({ inputs }) },
    ),
};
