/**
 * Git history of a flow file, when the flows folder is (inside) a git repository: the
 * commits that touched the file, and the file as it was at one commit.
 *
 * git runs through execFile with a fixed argv (never a shell), a time limit and an output
 * cap. The only variable arguments are the file's path (built from a safe flow id) and a
 * commit id checked to be 7–40 hex digits, so nothing a client sends can become an option.
 * Hooks do not run for these read-only commands; fsmonitor is switched off so a repository's
 * config cannot make git start a program while it reads.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

export const COMMIT_RE = /^[0-9a-f]{7,40}$/i;
const TIMEOUT_MS = 5_000;
const MAX_LOG_BYTES = 2 * 1024 * 1024;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface FlowCommit {
  commit: string;
  shortCommit: string;
  /** Author date, epoch ms. */
  date: number;
  author: string;
  subject: string;
}

export interface FlowHistory {
  /** False when there is no git, no repository, or git failed; `reason` says which. */
  available: boolean;
  reason?: string;
  /** The file's path inside the repository (forward slashes). */
  path?: string;
  commits: FlowCommit[];
}

export class GitHistoryError extends Error {
  constructor(
    readonly code: 'unavailable' | 'not_found' | 'invalid_commit',
    message: string,
  ) {
    super(message);
    this.name = 'GitHistoryError';
  }
}

interface GitResult {
  stdout: Buffer;
}

class GitFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'missing' | 'timeout' | 'exit',
    readonly stderr: string,
  ) {
    super(message);
  }
}

function git(cwd: string, args: string[], maxBuffer: number): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['--literal-pathspecs', '-c', 'core.fsmonitor=false', '-c', 'core.quotepath=off', ...args],
      {
        cwd,
        timeout: TIMEOUT_MS,
        maxBuffer,
        encoding: 'buffer',
        windowsHide: true,
        // The server's environment is inherited (only server/config.ts reads it); these
        // read-only commands take no lock and never prompt.
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
        const text = stderr.toString('utf8').trim();
        if (e.code === 'ENOENT') return reject(new GitFailure('git is not installed', 'missing', text));
        if (e.killed || e.signal === 'SIGTERM')
          return reject(new GitFailure(`git took longer than ${TIMEOUT_MS} ms`, 'timeout', text));
        reject(new GitFailure(text.split('\n')[0] || e.message, 'exit', text));
      },
    );
  });
}

/** A message without the server's absolute path of the flows folder (it reaches HTTP responses). */
function hideFolder(message: string, dir: string): string {
  return message.split(path.resolve(dir)).join('<flows folder>');
}

/** The repository root and the file's path inside it; a GitHistoryError when there is none. */
async function locate(file: string): Promise<{ top: string; rel: string }> {
  const dir = path.dirname(file);
  let top: string;
  try {
    await fs.access(dir);
  } catch {
    throw new GitHistoryError('unavailable', 'the flows folder does not exist');
  }
  try {
    top = (await git(dir, ['rev-parse', '--show-toplevel'], 64 * 1024)).stdout.toString('utf8').trim();
  } catch (err) {
    if (err instanceof GitFailure) {
      if (err.kind === 'missing') throw new GitHistoryError('unavailable', 'git is not installed on the server');
      if (/not a git repository/i.test(err.stderr))
        throw new GitHistoryError('unavailable', 'the flows folder is not a git repository');
      // git names the folder by its absolute path ("dubious ownership in repository at '/…'")
      throw new GitHistoryError('unavailable', `git: ${hideFolder(err.message, dir)}`);
    }
    throw err;
  }
  const realDir = await fs.realpath(dir);
  const realTop = await fs.realpath(top);
  const rel = path
    .relative(realTop, path.join(realDir, path.basename(file)))
    .split(path.sep)
    .join('/');
  if (rel.startsWith('../') || path.isAbsolute(rel))
    throw new GitHistoryError('unavailable', 'the flow file is outside the repository');
  return { top: realTop, rel };
}

/** Commits that touched `file` (newest first, at most `limit`); never throws for git problems. */
export async function fileHistory(file: string, limit = 100): Promise<FlowHistory> {
  let where: { top: string; rel: string };
  try {
    where = await locate(file);
  } catch (err) {
    if (err instanceof GitHistoryError) return { available: false, reason: err.message, commits: [] };
    throw err;
  }
  const n = Math.max(1, Math.min(500, Math.floor(limit)));
  let out: Buffer;
  try {
    out = (
      await git(
        where.top,
        ['log', `--max-count=${n}`, '--no-color', '--format=%H%x1f%h%x1f%at%x1f%an%x1f%s%x1e', '--', where.rel],
        MAX_LOG_BYTES,
      )
    ).stdout;
  } catch (err) {
    if (!(err instanceof GitFailure)) throw err;
    // A repository without any commit yet: nothing to list.
    if (/does not have any commits|bad default revision/i.test(err.stderr))
      return { available: true, path: where.rel, commits: [] };
    return {
      available: false,
      reason: `git log failed: ${hideFolder(err.message, where.top)}`,
      path: where.rel,
      commits: [],
    };
  }
  const commits: FlowCommit[] = [];
  for (const record of out.toString('utf8').split('\x1e')) {
    const line = record.replace(/^\n+/, '');
    if (!line) continue;
    const [commit, shortCommit, at, author, subject] = line.split('\x1f');
    if (!commit || !COMMIT_RE.test(commit)) continue;
    commits.push({
      commit,
      shortCommit: shortCommit ?? commit.slice(0, 7),
      date: Number(at) * 1000,
      author: author ?? '',
      subject: subject ?? '',
    });
  }
  return { available: true, path: where.rel, commits };
}

/** The bytes of `file` at `commit`. GitHistoryError: invalid_commit, not_found or unavailable. */
export async function fileAtCommit(
  file: string,
  commit: string,
): Promise<{ commit: string; path: string; bytes: Buffer; date: number }> {
  if (!COMMIT_RE.test(commit)) throw new GitHistoryError('invalid_commit', 'a commit id is 7 to 40 hex digits');
  const where = await locate(file);
  let full: string;
  let date: number;
  try {
    // `^{commit}` makes rev-parse refuse anything but a commit; the id is hex, never an option.
    const res = await git(
      where.top,
      ['log', '-1', '--no-color', '--format=%H %at', `${commit}^{commit}`, '--'],
      64 * 1024,
    );
    const [h, at] = res.stdout.toString('utf8').trim().split(' ');
    if (!h) throw new GitHistoryError('not_found', `no commit ${commit}`);
    full = h;
    date = Number(at) * 1000;
  } catch (err) {
    if (err instanceof GitFailure) {
      if (err.kind === 'exit') throw new GitHistoryError('not_found', `no commit ${commit} in the repository`);
      throw new GitHistoryError('unavailable', hideFolder(err.message, where.top));
    }
    throw err;
  }
  try {
    // cat-file prints the stored blob as is: no textconv or other filters configured by the repo.
    const res = await git(where.top, ['cat-file', 'blob', `${full}:${where.rel}`], MAX_FILE_BYTES);
    return { commit: full, path: where.rel, bytes: res.stdout, date };
  } catch (err) {
    if (err instanceof GitFailure) {
      if (err.kind === 'exit')
        throw new GitHistoryError('not_found', `${where.rel} does not exist at commit ${commit.slice(0, 12)}`);
      throw new GitHistoryError('unavailable', hideFolder(err.message, where.top));
    }
    throw err;
  }
}
