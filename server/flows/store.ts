/**
 * The flow file store: one flow = `<dir>/<id>.flow.json`, written atomically (temp file in
 * the same directory + fsync + rename) in serializeFlow's stable format. ETags are hashes
 * of the file bytes; a stale If-Match is a conflict. Listing caches parsed files by
 * mtime+size; a malformed file is reported and never hides the other flows.
 *
 * Nothing here executes a flow's code, templates, JSONata or URLs: files are parsed and
 * validated (a pure check), never run.
 *
 * Only files of the folder are read: a symbolic link is followed when its target (real
 * path) stays inside the folder, never out of it. Errors and problems name a file by its
 * name in the folder, never by an absolute server path (they reach HTTP responses).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SAFE_ID, type Flow } from '../../shared';
import type { FlowProblem } from '../../shared/api/errors';
import { flowReferences, serializeFlow, validateFlow } from '../../shared/flow/index';
import { declaredInterface } from '../../shared/flow/flow-checks';
import { loadFlow, type FlowDocuments } from './loader';

export const FLOW_SUFFIX = '.flow.json';

import type { FileProblem, FlowSummary } from '../../shared/api/flows';
export type { FileProblem, FlowSummary };

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

/** Whether a file already holds the flow whose canonical text is `text` (key order and spacing aside). */
function sameDocument(bytes: Buffer, text: string): boolean {
  try {
    const res = validateFlow(JSON.parse(bytes.toString('utf8')));
    return res.flow !== undefined && serializeFlow(res.flow) === text;
  } catch {
    return false;
  }
}

function hasErrors(problems: FlowProblem[]): boolean {
  return problems.some((p) => p.severity !== 'warning');
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  /** The real path read (a link's target may change while its own mtime does not). */
  target: string;
  stored?: StoredFlow;
  problem?: FileProblem;
}

/** Parse a flow file's bytes into a StoredFlow (or a FileProblem); pure. */
export function parseFlowFile(filePath: string, id: string, bytes: Buffer, mtimeMs: number): StoredFlow | FileProblem {
  const file = path.basename(filePath);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { file, id, error: `invalid JSON: ${(err as Error).message}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { file, id, error: 'not a JSON object' };
  }
  const document: Record<string, unknown> = { ...(raw as Record<string, unknown>), id };
  let res: ReturnType<typeof validateFlow>;
  try {
    res = validateFlow(document);
  } catch (err) {
    return { file, id, error: `validation crashed: ${(err as Error).message}` };
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

  /** The folder's flow documents by id, for the flow loader (a malformed file throws). */
  readonly documents: FlowDocuments = {
    read: async (id: string): Promise<unknown> => {
      if (!isSafeFlowId(id)) return undefined;
      return (await this.getPlain(id))?.document;
    },
  };

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
    const loaded = await Promise.all(
      files.map(async (name) => {
        const e = await this.load(name.slice(0, -FLOW_SUFFIX.length), name);
        return e && !isFileProblem(e) ? this.withCalledFlows(e) : e;
      }),
    );
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

  /**
   * Remove temp files that atomic writes left behind when their process died (a crash
   * between create and rename): `.<id>.flow.json.<pid>.<random>.tmp`. A file is removed when
   * its writer is gone (this process's pid at start, a pid no longer alive) or when it is
   * older than `staleMs` (a writer on another host sharing the folder). Returns the names.
   */
  async removeStaleTempFiles(opts: { staleMs?: number; now?: number } = {}): Promise<string[]> {
    const staleMs = opts.staleMs ?? 10 * 60_000;
    const now = opts.now ?? Date.now();
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const removed: string[] = [];
    for (const name of names) {
      const m = TEMP_FILE.exec(name);
      if (!m) continue;
      const file = path.join(this.dir, name);
      const st = await fs.lstat(file).catch(() => undefined);
      if (!st?.isFile()) continue;
      const pid = Number(m[1]);
      if (pid !== process.pid && processAlive(pid) && now - st.mtimeMs < staleMs) continue;
      await fs.rm(file, { force: true });
      removed.push(name);
    }
    return removed;
  }

  /** One flow by id; undefined when there is no file. A malformed file throws `malformed_file`. */
  async get(id: string): Promise<StoredFlow | undefined> {
    const entry = await this.getPlain(id);
    return entry ? this.withCalledFlows(entry) : undefined;
  }

  /** A flow that calls other flows, re-validated with them (the cached entry is left as is). */
  private async withCalledFlows(entry: StoredFlow): Promise<StoredFlow> {
    if (!entry.flow || flowReferences(entry.flow).length === 0) return entry;
    const loaded = await loadFlow(entry.document, this.documents);
    return {
      ...entry,
      ...(loaded.flow ? { flow: loaded.flow } : {}),
      problems: loaded.problems,
      valid: loaded.valid,
    };
  }

  private async getPlain(id: string): Promise<StoredFlow | undefined> {
    const file = this.pathOf(id);
    const entry = await this.load(id, path.basename(file));
    if (!entry) return undefined;
    if (isFileProblem(entry))
      throw new FlowStoreError('malformed_file', `flow file ${entry.file} is malformed: ${entry.error}`, entry);
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
    const res = await loadFlow({ ...(document as Record<string, unknown>), id }, this.documents);
    if (!res.flow || (!opts.draft && (!res.valid || hasErrors(res.problems)))) {
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
      // No change, no diff: a save of the document the file already holds (same flow,
      // whatever its key order or spacing) leaves the file's bytes, and so its ETag, alone.
      if (current && sameDocument(current.bytes, text)) {
        const stored = await this.get(id);
        if (stored) return { stored, created: false };
      }
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

  /** The current bytes of a flow file (undefined: none); a link out of the folder reads as empty. */
  private async readBytes(file: string): Promise<{ bytes: Buffer } | undefined> {
    const target = await this.resolveInside(file);
    if (target === undefined) return undefined;
    // A link out of the folder is never read; save replaces the link itself, delete removes it.
    if (typeof target !== 'string') return { bytes: Buffer.alloc(0) };
    try {
      return { bytes: await fs.readFile(target) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The folder's real path (symbolic links in the configured path resolved). */
  private async realDir(): Promise<string> {
    try {
      return await fs.realpath(this.dir);
    } catch {
      return path.resolve(this.dir);
    }
  }

  /**
   * The real path to read for a file of the folder: the file itself, or the target of a
   * symbolic link when that target stays inside the folder. `{ outside }` for a link that
   * leaves it (or that cannot be resolved); undefined when there is no file.
   */
  private async resolveInside(file: string): Promise<string | { outside: string } | undefined> {
    let st: Awaited<ReturnType<typeof fs.lstat>>;
    try {
      st = await fs.lstat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!st.isSymbolicLink()) return file;
    let real: string;
    try {
      real = await fs.realpath(file);
    } catch (err) {
      return { outside: `a symbolic link that cannot be followed (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    const rel = path.relative(await this.realDir(), real);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
      return { outside: 'a symbolic link to a file outside the flows folder (not read)' };
    return real;
  }

  private async load(id: string, name: string): Promise<StoredFlow | FileProblem | undefined> {
    const file = path.join(this.dir, name);
    const fail = (err: unknown): FileProblem => ({
      file: name,
      id,
      // fs messages hold the absolute path; the code says enough
      error: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    let target: Awaited<ReturnType<FlowStore['resolveInside']>>;
    let st: Awaited<ReturnType<typeof fs.stat>>;
    try {
      target = await this.resolveInside(file);
      if (target === undefined) {
        this.cache.delete(name);
        return undefined;
      }
      if (typeof target !== 'string') return { file: name, id, error: target.outside };
      st = await fs.stat(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.cache.delete(name);
        return undefined;
      }
      return fail(err);
    }
    if (!st.isFile()) return { file: name, id, error: 'not a regular file' };
    const cached = this.cache.get(name);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size && cached.target === target)
      return cached.stored ?? cached.problem;
    if (!isSafeFlowId(id)) {
      const problem = { file: name, id, error: 'file name is not a valid flow id ([a-z0-9][a-z0-9_-]*.flow.json)' };
      this.cache.set(name, { mtimeMs: st.mtimeMs, size: st.size, target, problem });
      return problem;
    }
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return fail(err);
    }
    const parsed = parseFlowFile(file, id, bytes, st.mtimeMs);
    this.cache.set(
      name,
      isFileProblem(parsed)
        ? { mtimeMs: st.mtimeMs, size: st.size, target, problem: parsed }
        : { mtimeMs: st.mtimeMs, size: st.size, target, stored: parsed },
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

/** The name atomicWrite gives its temp file: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMP_FILE = /^\.[a-z0-9][a-z0-9_-]*\.flow\.json\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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
