/**
 * The flow file store: one flow = `<dir>/<id>.flow.json`, written atomically (temp file in
 * the same directory + fsync + rename) in serializeFlow's stable format. ETags are hashes
 * of the file bytes; a stale If-Match is a conflict. Listing caches parsed files by
 * mtime+size; a malformed file is reported and never hides the other flows.
 *
 * Nothing here executes a flow's code, templates, JSONata or URLs: files are parsed and
 * validated (a pure check), never run.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SAFE_ID, type Flow } from '../../shared';
import type { FlowProblem } from '../../shared/api/errors';
import { serializeFlow, validateFlow } from '../../shared/flow/index';
import { declaredInterface } from '../../shared/flow/flow-checks';
import type { FlowIO } from '../../shared/flow/schema';

export const FLOW_SUFFIX = '.flow.json';

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

/** A file that could not be read as a flow at all (bad JSON, not an object…). */
export interface FileProblem {
  path: string;
  id: string;
  error: string;
}

export interface StoredFlow {
  id: string;
  /** The document as stored (id forced to the file's id); a valid flow when `valid`. */
  document: Record<string, unknown>;
  /** The parsed flow when validation succeeded. */
  flow?: Flow;
  problems: FlowProblem[];
  valid: boolean;
  etag: string;
  updatedAt: number;
  path: string;
}

export class FlowStoreError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid_flow' | 'invalid_id' | 'malformed_file' | 'exists',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'FlowStoreError';
  }
}

export function etagOf(bytes: Buffer | string): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
}

export function isSafeFlowId(id: string): boolean {
  return id.length <= 128 && SAFE_ID.test(id);
}

function hasErrors(problems: FlowProblem[]): boolean {
  return problems.some((p) => p.severity !== 'warning');
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  stored?: StoredFlow;
  problem?: FileProblem;
}

/** Parse a flow file's bytes into a StoredFlow (or a FileProblem); pure. */
export function parseFlowFile(filePath: string, id: string, bytes: Buffer, mtimeMs: number): StoredFlow | FileProblem {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { path: filePath, id, error: `invalid JSON: ${(err as Error).message}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { path: filePath, id, error: 'not a JSON object' };
  }
  const document: Record<string, unknown> = { ...(raw as Record<string, unknown>), id };
  let res: ReturnType<typeof validateFlow>;
  try {
    res = validateFlow(document);
  } catch (err) {
    return { path: filePath, id, error: `validation crashed: ${(err as Error).message}` };
  }
  const valid = res.ok && !hasErrors(res.problems);
  return {
    id,
    document,
    ...(res.flow ? { flow: res.flow } : {}),
    problems: res.problems,
    valid,
    etag: etagOf(bytes),
    updatedAt: Math.round(mtimeMs),
    path: filePath,
  };
}

function isFileProblem(x: StoredFlow | FileProblem): x is FileProblem {
  return 'error' in x;
}

export class FlowStore {
  private readonly cache = new Map<string, CacheEntry>();
  /** Per-id write lock: compare-and-write is atomic within this process. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  pathOf(id: string): string {
    if (!isSafeFlowId(id))
      throw new FlowStoreError('invalid_id', `invalid flow id "${id}": must match [a-z0-9][a-z0-9_-]*`);
    return path.join(this.dir, `${id}${FLOW_SUFFIX}`);
  }

  /** Every flow in the folder, sorted by id, plus files that could not be read. */
  async list(): Promise<{ flows: FlowSummary[]; problems: FileProblem[] }> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { flows: [], problems: [] };
      throw err;
    }
    const files = names.filter((n) => n.endsWith(FLOW_SUFFIX) && !n.startsWith('.')).sort();
    const flows: FlowSummary[] = [];
    const problems: FileProblem[] = [];
    const seen = new Set<string>();
    const loaded = await Promise.all(files.map((name) => this.load(name.slice(0, -FLOW_SUFFIX.length), name)));
    for (const entry of loaded) {
      if (!entry) continue;
      if (isFileProblem(entry)) {
        problems.push(entry);
        continue;
      }
      seen.add(entry.id);
      const d = entry.document;
      flows.push({
        id: entry.id,
        name: typeof d.name === 'string' ? d.name : entry.id,
        ...(typeof d.description === 'string' ? { description: d.description } : {}),
        ...(Array.isArray(d.tags) ? { tags: d.tags.filter((t): t is string => typeof t === 'string') } : {}),
        ...declaredInterface(d),
        nodeCount: Array.isArray(d.nodes) ? d.nodes.length : 0,
        etag: entry.etag,
        updatedAt: entry.updatedAt,
        valid: entry.valid,
        problemCount: entry.problems.length,
        errorCount: entry.problems.filter((p) => p.severity !== 'warning').length,
      });
    }
    for (const name of [...this.cache.keys()]) if (!files.includes(name)) this.cache.delete(name);
    return { flows, problems };
  }

  /** One flow by id; undefined when there is no file. A malformed file throws `malformed_file`. */
  async get(id: string): Promise<StoredFlow | undefined> {
    const file = this.pathOf(id);
    const entry = await this.load(id, path.basename(file));
    if (!entry) return undefined;
    if (isFileProblem(entry))
      throw new FlowStoreError('malformed_file', `flow file ${entry.path} is malformed: ${entry.error}`, entry);
    return entry;
  }

  /**
   * Validate and write a flow. The id comes from the argument only (a document's own id is
   * replaced). `ifMatch`: an ETag that must equal the current file's (or `*`: must exist);
   * `mustNotExist` for creation. Invalid flows are refused with every problem.
   *
   * `draft`: work in progress. The flow is written when its FILE SHAPE is valid (it passes
   * the zod file schema, so every id is safe and it serializes to the flow format) even if
   * it has graph/config problems; the stored flow carries them (`valid: false`). Anything
   * that cannot be written in the flow format is still refused. Runs and deployments
   * re-validate what they load, so a draft never runs.
   */
  async save(
    id: string,
    document: unknown,
    opts: { ifMatch?: string; mustNotExist?: boolean; draft?: boolean } = {},
  ): Promise<{ stored: StoredFlow; created: boolean }> {
    const file = this.pathOf(id);
    if (document === null || typeof document !== 'object' || Array.isArray(document)) {
      throw new FlowStoreError('invalid_flow', 'the flow must be a JSON object', [
        { code: 'schema', message: 'expected a JSON object', path: '', severity: 'error' } satisfies FlowProblem,
      ]);
    }
    const res = validateFlow({ ...(document as Record<string, unknown>), id });
    if (!res.flow || (!opts.draft && (!res.ok || hasErrors(res.problems)))) {
      const problems = res.problems.filter((p) => p.severity !== 'warning');
      throw new FlowStoreError('invalid_flow', `the flow has ${problems.length} problem(s)`, problems);
    }
    const flow = res.flow;
    return this.withLock(id, async () => {
      const current = await this.readBytes(file);
      if (opts.mustNotExist && current) throw new FlowStoreError('exists', `a flow with id "${id}" already exists`);
      if (opts.ifMatch !== undefined) {
        const ok =
          opts.ifMatch.trim() === '*'
            ? current !== undefined
            : current !== undefined && etagMatches(opts.ifMatch, etagOf(current.bytes));
        if (!ok) {
          throw new FlowStoreError('conflict', `flow "${id}" changed since it was read (If-Match does not match)`, {
            currentEtag: current ? etagOf(current.bytes) : null,
          });
        }
      }
      const text = serializeFlow({ ...flow, id });
      await atomicWrite(file, text);
      this.cache.delete(path.basename(file));
      const stored = await this.get(id);
      if (!stored) throw new Error(`flow ${id} vanished after write`);
      return { stored, created: current === undefined };
    });
  }

  /** Delete a flow file; false when it did not exist. `ifMatch` as for save. */
  async delete(id: string, opts: { ifMatch?: string } = {}): Promise<boolean> {
    const file = this.pathOf(id);
    return this.withLock(id, async () => {
      const current = await this.readBytes(file);
      if (!current) return false;
      if (
        opts.ifMatch !== undefined &&
        opts.ifMatch.trim() !== '*' &&
        !etagMatches(opts.ifMatch, etagOf(current.bytes))
      ) {
        throw new FlowStoreError('conflict', `flow "${id}" changed since it was read (If-Match does not match)`, {
          currentEtag: etagOf(current.bytes),
        });
      }
      await fs.rm(file, { force: true });
      this.cache.delete(path.basename(file));
      return true;
    });
  }

  private async readBytes(file: string): Promise<{ bytes: Buffer } | undefined> {
    try {
      return { bytes: await fs.readFile(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async load(id: string, name: string): Promise<StoredFlow | FileProblem | undefined> {
    const file = path.join(this.dir, name);
    let st: Awaited<ReturnType<typeof fs.stat>>;
    try {
      st = await fs.stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.cache.delete(name);
        return undefined;
      }
      return { path: file, id, error: (err as Error).message };
    }
    if (!st.isFile()) return { path: file, id, error: 'not a regular file' };
    const cached = this.cache.get(name);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.stored ?? cached.problem;
    if (!isSafeFlowId(id)) {
      const problem = { path: file, id, error: 'file name is not a valid flow id ([a-z0-9][a-z0-9_-]*.flow.json)' };
      this.cache.set(name, { mtimeMs: st.mtimeMs, size: st.size, problem });
      return problem;
    }
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { path: file, id, error: (err as Error).message };
    }
    const parsed = parseFlowFile(file, id, bytes, st.mtimeMs);
    this.cache.set(
      name,
      isFileProblem(parsed)
        ? { mtimeMs: st.mtimeMs, size: st.size, problem: parsed }
        : { mtimeMs: st.mtimeMs, size: st.size, stored: parsed },
    );
    return parsed;
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(id, settled);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    }
  }
}

/** Compare an If-Match header (possibly a list, possibly weak) with a strong ETag. */
export function etagMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}

/** Write a file atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export async function atomicWrite(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // directory fsync is not supported everywhere; the rename is still atomic
  }
}
