/**
 * Wire shapes of the flows API (server/http/routes/flows.ts), read by client/api/http.ts.
 * A flow document is sent as stored: `flow` is the file's JSON (a valid Flow when `valid`).
 */
import type { FlowIO } from '../flow/schema';
import type { FlowProblem } from './errors';

/** One flow in `GET /api/flows`. */
export interface FlowSummary {
  id: string;
  name: string;
  description?: string;
  tags?: string[];
  /** Declared inputs and outputs (what a subflow, map or loop node calling this flow sees). */
  inputs: FlowIO[];
  outputs: FlowIO[];
  nodeCount: number;
  etag: string;
  /** Epoch ms of the file's last modification. */
  updatedAt: number;
  /** Whether the flow validates (errors only; warnings do not count). */
  valid: boolean;
  /** Every problem, warnings included. */
  problemCount: number;
  /** Problems that keep the flow from running (severity error). */
  errorCount: number;
}

/** A file in the flows folder that could not be read as a flow. */
export interface FileProblem {
  /** The file's name in the flows folder (never an absolute path). */
  file: string;
  id: string;
  error: string;
}

/** `GET /api/flows`. */
export interface FlowListResponse {
  flows: FlowSummary[];
  problems: FileProblem[];
}

/** `GET|POST|PUT /api/flows/:id` (the ETag header carries `etag` too). */
export interface FlowResponse {
  flow: Record<string, unknown>;
  etag: string;
  valid: boolean;
  problems: FlowProblem[];
  updatedAt: number;
}

/** `POST /api/flows/:id/validate`. */
export interface FlowValidateResponse {
  valid: boolean;
  problems: FlowProblem[];
}
