/**
 * `braid dataset upload|list|show`: datasets in BRAID_DATA_DIR (or DATABASE_URL) directly,
 * through the same DatasetStore.importStream the HTTP upload route uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { DatasetInfo, DatasetVersionInfo } from '../../../shared/api/evaluation';
import type { DatasetStore } from '../../datasets/store';
import { cliConfig } from '../config';
import { CliExit, EXIT_USAGE } from '../errors';

async function withDatasets<T>(fn: (store: DatasetStore) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const { openStorage } = await import('../../storage/index');
  const { DatasetStore: Store, DatasetError } = await import('../../datasets/store');
  const storage = await openStorage(config);
  try {
    return await fn(new Store(storage));
  } catch (err) {
    if (err instanceof DatasetError) {
      const bad = (err.details as { badRows?: Array<{ line: number; message: string }> } | undefined)?.badRows ?? [];
      const lines = bad.map((b) => `\n  line ${b.line}: ${b.message}`).join('');
      throw new CliExit(EXIT_USAGE, `${err.code}: ${err.message}${lines}`);
    }
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
    .description('import a file as a dataset; a changed file under an existing name becomes its next version')
    .action(async (file: string, o: { name?: string; json?: boolean }) => {
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
      const result = await withDatasets(async (store) => {
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
    .description('list datasets (newest first)')
    .action(async (o: { json?: boolean }) => {
      const list = await withDatasets((store) => store.list());
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
    .description('show columns, row count, versions and the first rows of a dataset')
    .action(async (ref: string, o: { ver?: number; rows: number; json?: boolean }) => {
      const out = await withDatasets(async (store) => {
        const dataset = await resolve(store, ref);
        const versions = await store.listVersions(dataset.id);
        const version =
          o.ver === undefined
            ? dataset.latestVersion
            : versions.find((v) => v.version === o.ver && v.status === 'ready');
        if (!version)
          throw new CliExit(
            EXIT_USAGE,
            o.ver === undefined ? `${dataset.name} has no versions` : `${dataset.name} has no version ${o.ver}`,
          );
        const rows = o.rows > 0 ? await store.rows(version.id, { limit: Math.min(o.rows, 1000) }) : [];
        return { dataset, version, versions, rows };
      });
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
