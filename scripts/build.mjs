// The production build.
//
//   node scripts/build.mjs [--if-stale] [server] [client]
//
// server: bundles server/ (with shared/) into dist/server with esbuild — the `braid`
//   command (dist/server/braid.js) and the entry files of its worker thread
//   (sandbox-worker.js) and child processes (jsonata-process.js) — as ES modules, with every
//   package in node_modules left external (native better-sqlite3 and LanceDB, kuromoji's
//   dictionary files and the rest are loaded from node_modules at run time, as in dev).
// client: `vite build` into dist/client, plus a gzip and a brotli copy of every compressible
//   file (scripts/precompress.mjs; served by server/http/static.ts with Content-Encoding).
//
// Each build writes a stamp of its sources (bin/build-stamp.mjs); with --if-stale a build
// whose stamp matches the sources is skipped (`npm start` does that). bin/braid.js runs
// dist/server only while its stamp matches, else the TypeScript sources through tsx.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkBuild, makeStamp, writeStamp } from '../bin/build-stamp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundle the server. Every module keeps its own `import.meta.url` (the source file's URL), so
 * paths computed from it (the repository root, examples/, node_modules lookups, the regex
 * worker) mean in the bundle what they mean in dev; `__BRAID_COMPILED__` tells the two
 * places that start a worker thread or child process to start the compiled entry instead of
 * the tsx bootstrap.
 * @param {{ outDir?: string, quiet?: boolean }} [opts]
 */
export async function buildServer(opts = {}) {
  const esbuild = await import('esbuild');
  const outDir = opts.outDir ?? path.join(ROOT, 'dist/server');
  const t0 = performance.now();
  const stampFile = path.join(outDir, 'build.json');
  const stamp = makeStamp(ROOT, 'server');
  /** @type {import('esbuild').Plugin} */
  const sourceUrls = {
    name: 'braid-source-urls',
    setup(build) {
      build.onLoad({ filter: /\.(ts|mts)$/ }, async (args) => {
        let code = await fs.promises.readFile(args.path, 'utf8');
        if (code.includes('import.meta.url')) {
          const rel = path.relative(outDir, args.path).split(path.sep).join('/');
          code = code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
        }
        return { contents: code, loader: 'ts' };
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: {
      braid: 'server/cli/main.ts',
      'sandbox-worker': 'server/sandbox/quickjs-worker.ts',
      'jsonata-process': 'server/sandbox/jsonata-process.ts',
    },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    packages: 'external',
    // every output in one folder, so one relative path per source file holds in every chunk
    chunkNames: 'chunk-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    define: { __BRAID_COMPILED__: 'true' },
    plugins: [sourceUrls],
    logLevel: 'warning',
    write: false,
  });
  // Replace the build in place, each file atomically, and keep the previous build's chunks:
  // a server started from it loads some of them lazily (a new build renames changed chunks).
  fs.mkdirSync(outDir, { recursive: true });
  /** @type {string[]} */
  let previous = [];
  try {
    previous = JSON.parse(fs.readFileSync(stampFile, 'utf8')).outputs ?? [];
  } catch {
    // no previous build
  }
  const outputs = ['package.json'];
  const write = (name, data) => {
    const tmp = path.join(outDir, `.${name}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, path.join(outDir, name));
  };
  write('package.json', '{ "type": "module" }\n');
  let bytes = 0;
  for (const f of result.outputFiles) {
    const name = path.relative(outDir, f.path);
    write(name, f.contents);
    outputs.push(name);
    bytes += f.contents.length;
  }
  const keep = new Set([...outputs, ...previous, 'build.json']);
  for (const name of fs.readdirSync(outDir)) if (!keep.has(name)) fs.rmSync(path.join(outDir, name), { force: true });
  writeStamp(ROOT, 'server', stampFile, { ...stamp, outputs });
  const ms = Math.round(performance.now() - t0);
  if (!opts.quiet)
    console.log(`build: server → ${path.relative(ROOT, outDir) || outDir} (${(bytes / 1e6).toFixed(1)} MB, ${ms} ms)`);
  return { ms, bytes };
}

/** `vite build` into dist/client (vite.config.ts adds the compressed copies and the stamp). */
export async function buildClient() {
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const ifStale = args.includes('--if-stale');
  const named = args.filter((a) => a === 'server' || a === 'client');
  const which = named.length ? named : ['client', 'server'];
  for (const name of which) {
    if (ifStale && checkBuild(ROOT, name).fresh) continue;
    if (name === 'client') await buildClient();
    else await buildServer();
  }
}
