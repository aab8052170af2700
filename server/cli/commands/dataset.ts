/**
 * `braid dataset upload|list|show`: datasets in BRAID_DATA_DIR (or DATABASE_URL) directly,
 * through the same DatasetStore.importStream the HTTP upload route uses; or, with
 * `--server URL`, through that route on a running Braid server.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Readable } from 'node:stream';
import type { DatasetInfo, DatasetRowRecord, DatasetVersionInfo } from '../../../shared/api/evaluation';
import type { DatasetStore, ImportResult } from '../../datasets/store';
import { cliConfig } from '../config';
import { CliExit, EXIT_FAILED, EXIT_USAGE } from '../errors';

interface Shown {
  dataset: DatasetInfo;
  version: DatasetVersionInfo;
  versions: DatasetVersionInfo[];
  rows: DatasetRowRecord[];
}

function badRowLines(details: unknown): string {
  const bad = (details as { badRows?: Array<{ line: number; message: string }> } | undefined)?.badRows ?? [];
  return bad.map((b) => `\n  line ${b.line}: ${b.message}`).join('');
}

/** A JSON call to a Braid server; 4xx → exit 2, anything else → exit 1. */
async function remote<T>(server: string, p: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<T> {
  const token = cliConfig().adminToken;
  let res: Response;
  try {
    res = await fetch(new URL(p, server), {
      ...init,
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (e) {
    throw new CliExit(EXIT_FAILED, `cannot reach ${server}: ${(e as Error).message}`);
  }
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as T & {
    error?: { code: string; message: string; details?: unknown };
  };
  if (!res.ok)
    throw new CliExit(
      res.status >= 400 && res.status < 500 ? EXIT_USAGE : EXIT_FAILED,
      `${body.error?.code ?? `http_${res.status}`}: ${body.error?.message ?? `HTTP ${res.status}`}${badRowLines(body.error?.details)}`,
    );
  return body;
}

async function withDatasets<T>(fn: (store: DatasetStore) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const { openStorage } = await import('../../storage/index');
  const { DatasetStore: Store, DatasetError } = await import('../../datasets/store');
  const storage = await openStorage(config);
  try {
    return await fn(new Store(storage));
  } catch (err) {
    if (err instanceof DatasetError)
      throw new CliExit(EXIT_USAGE, `${err.code}: ${err.message}${badRowLines(err.details)}`);
    throw err;
  } finally {
    await storage.close();
  }
}

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliExit(EXIT_USAGE, `not a non-negative integer: ${v}`);
  return n;
}

/** A dataset by id, else by name (the oldest dataset of that name, as `braid eval` does). */
async function resolve(store: DatasetStore, ref: string): Promise<DatasetInfo> {
  const d = (await store.get(ref)) ?? (await store.findByName(ref));
  if (!d) throw new CliExit(EXIT_USAGE, `no dataset named or with id ${ref}`);
  return d;
}

function pickVersion(
  dataset: DatasetInfo,
  versions: DatasetVersionInfo[],
  ver: number | undefined,
): DatasetVersionInfo {
  const v = ver === undefined ? dataset.latestVersion : versions.find((x) => x.version === ver && x.status === 'ready');
  if (!v)
    throw new CliExit(
      EXIT_USAGE,
      ver === undefined ? `${dataset.name} has no versions` : `${dataset.name} has no version ${ver}`,
    );
  return v;
}

const oldestNamed = (list: DatasetInfo[], name: string): DatasetInfo | undefined =>
  list.filter((d) => d.name === name).sort((a, b) => a.createdAt - b.createdAt)[0];

async function uploadLocal(file: string, name: string): Promise<ImportResult> {
  return withDatasets(async (store) => {
    const existing = await store.findByName(name);
    const input = fs.createReadStream(file);
    try {
      return await store.importStream(existing ? { datasetId: existing.id } : { name }, input, {
        filename: path.basename(file),
        source: 'cli',
      });
    } catch (e) {
      // Do not leave behind a new, empty dataset when its first upload was refused.
      const created = existing ? undefined : await store.findByName(name);
      if (created && !created.latestVersion) await store.delete(created.id);
      throw e;
    } finally {
      input.destroy();
    }
  });
}

async function uploadRemote(server: string, file: string, name: string): Promise<ImportResult> {
  const list = async () => (await remote<{ datasets: DatasetInfo[] }>(server, '/api/datasets')).datasets;
  const existing = oldestNamed(await list(), name);
  const filename = encodeURIComponent(path.basename(file));
  const url = existing
    ? `/api/datasets/${encodeURIComponent(existing.id)}/versions?filename=${filename}`
    : `/api/datasets?name=${encodeURIComponent(name)}&filename=${filename}`;
  try {
    return await remote<ImportResult>(server, url, {
      method: 'POST',
      body: Readable.toWeb(fs.createReadStream(file)) as unknown as BodyInit,
      duplex: 'half',
    });
  } catch (e) {
    if (!existing) {
      const created = (await list().catch(() => [])).find((d) => d.name === name && !d.latestVersion);
      if (created)
        await remote<undefined>(server, `/api/datasets/${encodeURIComponent(created.id)}`, { method: 'DELETE' });
    }
    throw e;
  }
}

async function showLocal(ref: string, ver: number | undefined, rows: number): Promise<Shown> {
  return withDatasets(async (store) => {
    const dataset = await resolve(store, ref);
    const versions = await store.listVersions(dataset.id);
    const version = pickVersion(dataset, versions, ver);
    return { dataset, version, versions, rows: rows > 0 ? await store.rows(version.id, { limit: rows }) : [] };
  });
}

async function showRemote(server: string, ref: string, ver: number | undefined, rows: number): Promise<Shown> {
  const { datasets } = await remote<{ datasets: DatasetInfo[] }>(server, '/api/datasets');
  const found = datasets.find((d) => d.id === ref) ?? oldestNamed(datasets, ref);
  if (!found) throw new CliExit(EXIT_USAGE, `no dataset named or with id ${ref} on ${server}`);
  const { dataset, versions } = await remote<{ dataset: DatasetInfo; versions: DatasetVersionInfo[] }>(
    server,
    `/api/datasets/${encodeURIComponent(found.id)}`,
  );
  const version = pickVersion(dataset, versions, ver);
  const page =
    rows > 0
      ? await remote<{ rows: DatasetRowRecord[] }>(
          server,
          `/api/dataset-versions/${encodeURIComponent(version.id)}/rows?limit=${rows}`,
        )
      : { rows: [] };
  return { dataset, version, versions, rows: page.rows };
}

const SERVER_HELP = 'use a running Braid server instead of local storage (BRAID_ADMIN_TOKEN is sent)';

function versionLine(v: DatasetVersionInfo): string {
  return `v${v.version}  ${v.rowCount} rows${v.badRowCount ? `, ${v.badRowCount} bad` : ''}  ${v.format}${v.filename ? `  ${v.filename}` : ''}  ${new Date(v.createdAt).toISOString()}`;
}

const cell = (v: unknown): string => {
  const s = typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
};

export function register(program: Command): void {
  const ds = program.command('dataset').description('datasets for evaluations: upload CSV/JSONL files, list, show');

  ds.command('upload')
    .argument('<file>', 'a .csv, .tsv, .jsonl or .ndjson file')
    .option('-n, --name <name>', 'dataset name (default: the file name without its extension)')
    .option('--json', 'print { dataset, version, reused } as JSON')
    .option('--server <url>', SERVER_HELP)
    .description('import a file as a dataset; a changed file under an existing name becomes its next version')
    .action(async (file: string, o: { name?: string; json?: boolean; server?: string }) => {
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
        fs.accessSync(file, fs.constants.R_OK);
      } catch (e) {
        throw new CliExit(EXIT_USAGE, `cannot read ${file}: ${(e as Error).message}`);
      }
      if (!stat.isFile()) throw new CliExit(EXIT_USAGE, `${file} is not a file`);
      const name = (o.name ?? path.basename(file).replace(/\.[^.]+$/, '')).trim();
      if (!name) throw new CliExit(EXIT_USAGE, 'give the dataset a name with --name');
      const result = o.server ? await uploadRemote(o.server, file, name) : await uploadLocal(file, name);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const v = result.version;
      process.stdout.write(
        `${result.reused ? 'unchanged' : 'uploaded'} ${result.dataset.name} v${v.version} (${result.dataset.id})\n` +
          `rows     ${v.rowCount}\ncolumns  ${v.columns.join(', ')}\n`,
      );
      if (v.badRowCount) {
        process.stdout.write(`bad rows ${v.badRowCount} skipped\n`);
        for (const b of v.badRows) process.stdout.write(`  line ${b.line}: ${b.message}\n`);
        if (v.badRowCount > v.badRows.length)
          process.stdout.write(`  … ${v.badRowCount - v.badRows.length} more not listed\n`);
      }
    });

  ds.command('list')
    .option('--json', 'print JSON')
    .option('--server <url>', SERVER_HELP)
    .description('list datasets (newest first)')
    .action(async (o: { json?: boolean; server?: string }) => {
      const list = o.server
        ? (await remote<{ datasets: DatasetInfo[] }>(o.server, '/api/datasets')).datasets
        : await withDatasets((store) => store.list());
      if (o.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (!list.length) process.stdout.write('no datasets\n');
      for (const d of list) {
        const v = d.latestVersion;
        process.stdout.write(
          `${d.name}  ${v ? `v${v.version}, ${v.rowCount} rows, columns ${v.columns.join(', ')}` : 'no versions'}  ${d.id}\n`,
        );
      }
    });

  ds.command('show')
    .argument('<dataset>', 'dataset name or id')
    // Not `--version`: the root program owns that flag (it prints braid's version).
    .option('--ver <n>', 'which version number (default: the latest)', int)
    .option('--rows <n>', 'how many first rows to print (max 1000)', int, 5)
    .option('--json', 'print { dataset, version, versions, rows } as JSON')
    .option('--server <url>', SERVER_HELP)
    .description('show columns, row count, versions and the first rows of a dataset')
    .action(async (ref: string, o: { ver?: number; rows: number; json?: boolean; server?: string }) => {
      const rows = Math.min(o.rows, 1000);
      const out = o.server ? await showRemote(o.server, ref, o.ver, rows) : await showLocal(ref, o.ver, rows);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const { dataset, version: v } = out;
      process.stdout.write(
        `${dataset.name} (${dataset.id})\nversion  v${v.version} of ${out.versions.length}\n` +
          `rows     ${v.rowCount}${v.badRowCount ? ` (${v.badRowCount} bad rows skipped)` : ''}\n` +
          `columns  ${v.columns.join(', ')}\n`,
      );
      if (v.badRows.length)
        for (const b of v.badRows.slice(0, 10)) process.stdout.write(`  bad line ${b.line}: ${b.message}\n`);
      process.stdout.write('versions\n');
      for (const x of out.versions) process.stdout.write(`  ${versionLine(x)}\n`);
      if (out.rows.length) {
        process.stdout.write(`first ${out.rows.length} row(s)\n`);
        for (const r of out.rows)
          process.stdout.write(
            `  ${r.idx + 1}. ${v.columns.map((c) => `${c}=${cell(r.data[c])}`).join('  ')}${r.line ? `  (line ${r.line})` : ''}\n`,
          );
      }
    });
}
