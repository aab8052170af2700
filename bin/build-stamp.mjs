// Build stamps: is dist/server (or dist/client) up to date with the sources it was built from?
// Plain JavaScript so that bin/braid.js can ask before deciding whether tsx is needed at all.
//
// A stamp records two fingerprints of the source files of a build: one of their paths, sizes
// and modification times (a few ms of stat calls), and one of their paths and contents. A build
// is fresh when the first matches, or — after a checkout that touched files without changing
// them — when the second does (the stamp is then refreshed so the next check is cheap again).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The sources of each build, relative to the repository root. */
export const BUILDS = {
  server: {
    stamp: 'dist/server/build.json',
    dirs: ['server', 'shared'],
    files: ['scripts/build.mjs', 'bin/build-stamp.mjs'],
  },
  client: {
    stamp: 'dist/client/.braid-build.json',
    dirs: ['client', 'shared'],
    files: ['vite.config.ts', 'package-lock.json', 'scripts/build.mjs', 'bin/build-stamp.mjs'],
  },
};

const SKIP_DIRS = new Set(['node_modules', 'dist', '.braid', '.git']);

/** Test files never reach a build. */
const isSource = (name) => !name.endsWith('.test.ts') && !name.endsWith('.test.tsx');

/**
 * Every source file of a build, sorted, relative to `root`, with its size and mtime.
 * @param {string} root
 * @param {{ dirs: string[], files: string[] }} spec
 * @returns {{ rel: string, size: number, mtimeMs: number }[]}
 */
export function sourceFiles(root, spec) {
  /** @type {{ rel: string, size: number, mtimeMs: number }[]} */
  const out = [];
  const add = (rel) => {
    const st = fs.statSync(path.join(root, rel), { throwIfNoEntry: false });
    if (st?.isFile()) out.push({ rel, size: st.size, mtimeMs: st.mtimeMs });
  };
  const walk = (rel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(child);
      } else if (e.isFile() && isSource(e.name)) add(child);
    }
  };
  for (const d of spec.dirs) walk(d);
  for (const f of spec.files) add(f);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** @param {{ rel: string, size: number, mtimeMs: number }[]} files */
export function statKey(files) {
  const h = crypto.createHash('sha256');
  for (const f of files) h.update(`${f.rel}\0${f.size}\0${f.mtimeMs}\n`);
  return h.digest('hex');
}

/**
 * @param {string} root
 * @param {{ rel: string }[]} files
 */
export function contentKey(root, files) {
  const h = crypto.createHash('sha256');
  for (const f of files) {
    h.update(`${f.rel}\0`);
    h.update(fs.readFileSync(path.join(root, f.rel)));
    h.update('\n');
  }
  return h.digest('hex');
}

/**
 * The stamp of the sources of a build as they are now: take it before building, write it
 * after (an edit made during the build then makes the build stale, as it should).
 * @param {string} root
 * @param {'server' | 'client'} name
 */
export function makeStamp(root, name) {
  const files = sourceFiles(root, BUILDS[name]);
  return {
    builtAt: new Date().toISOString(),
    files: files.length,
    stat: statKey(files),
    content: contentKey(root, files),
  };
}

/**
 * Write a build's stamp (atomically: a reader sees the old stamp or the new one).
 * @param {string} root
 * @param {'server' | 'client'} name
 * @param {string} [stampFile] where to write it (default: the build's usual place)
 * @param {object} [stamp] from makeStamp before the build (default: the sources now)
 */
export function writeStamp(root, name, stampFile = path.join(root, BUILDS[name].stamp), stamp = makeStamp(root, name)) {
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  const tmp = `${stampFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(stamp, null, 2)}\n`);
  fs.renameSync(tmp, stampFile);
  return stamp;
}

/**
 * Whether a build exists and was made from the sources as they are now.
 * @param {string} root
 * @param {'server' | 'client'} name
 * @param {string} [stampFile]
 * @returns {{ fresh: boolean, reason: 'fresh' | 'missing' | 'changed' }}
 */
export function checkBuild(root, name, stampFile = path.join(root, BUILDS[name].stamp)) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return { fresh: false, reason: 'missing' };
  }
  const files = sourceFiles(root, BUILDS[name]);
  const stat = statKey(files);
  if (stamp.stat === stat) return { fresh: true, reason: 'fresh' };
  if (stamp.content !== contentKey(root, files)) return { fresh: false, reason: 'changed' };
  // same contents, new mtimes (a checkout, a copy): remember them for the next check
  try {
    const tmp = `${stampFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ ...stamp, stat }, null, 2)}\n`);
    fs.renameSync(tmp, stampFile);
  } catch {
    // a read-only tree stays correct, only slower to check
  }
  return { fresh: true, reason: 'fresh' };
}
