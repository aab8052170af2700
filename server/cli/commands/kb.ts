/** `braid kb create|ingest|query|list|docs|delete`: knowledge bases on BRAID_DATA_DIR directly. */
import path from 'node:path';
import type { Command } from 'commander';
import type { KnowledgeService } from '../../knowledge/service';
import { cliConfig } from '../config';
import { CliExit, EXIT_FAILED, EXIT_USAGE } from '../errors';

async function withKnowledge<T>(fn: (svc: KnowledgeService) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const { openStorage } = await import('../../storage/index');
  const { KnowledgeService: Service, KnowledgeError } = await import('../../knowledge/index');
  const storage = await openStorage(config);
  const svc = new Service({ config, storage });
  try {
    return await fn(svc);
  } catch (err) {
    if (err instanceof KnowledgeError)
      throw new CliExit(err.status >= 500 ? EXIT_FAILED : EXIT_USAGE, `${err.code}: ${err.message}`);
    throw err;
  } finally {
    await svc.close();
    await storage.close();
  }
}

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CliExit(EXIT_USAGE, `not an integer: ${v}`);
  return n;
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

export function register(program: Command): void {
  const kb = program.command('kb').description('knowledge bases: create, ingest files or URLs, query');

  kb.command('create')
    .argument('<kb>', 'knowledge base name ([a-z0-9][a-z0-9_-]*)')
    .option('--chunk-size <n>', 'characters per chunk (default 1000)', int)
    .option('--overlap <n>', 'characters shared by neighbouring chunks (default 150)', int)
    .option(
      '--embedding <model>',
      'embedding model, e.g. openai:text-embedding-3-small or ollama:nomic-embed-text (default: BM25 only)',
    )
    .option('--text-column <name>', 'csv/jsonl column holding the text')
    .description('create a knowledge base')
    .action(
      async (name: string, o: { chunkSize?: number; overlap?: number; embedding?: string; textColumn?: string }) => {
        const created = await withKnowledge((svc) =>
          svc.createKb(name, {
            chunkSize: o.chunkSize,
            chunkOverlap: o.overlap,
            embedding: o.embedding,
            textColumn: o.textColumn,
          }),
        );
        process.stdout.write(
          `created ${created.name} (chunk size ${created.config.chunkSize}, overlap ${created.config.chunkOverlap}${created.config.embedding ? `, embedding ${created.config.embedding} × ${created.dimensions}` : ', BM25 only'})\n`,
        );
      },
    );

  kb.command('ingest')
    .argument('<kb>', 'knowledge base name')
    .argument('<sources...>', 'files or http(s) URLs')
    .option('--json', 'print the finished job as JSON')
    .description('ingest files or URLs (exit 1 when any failed; the others still ingest)')
    .action(async (name: string, sources: string[], o: { json?: boolean }) => {
      const job = await withKnowledge(async (svc) => {
        const items = sources.map((s) =>
          isUrl(s)
            ? { name: s, kind: 'url' as const }
            : { name: path.basename(s), kind: 'file' as const, path: path.resolve(s) },
        );
        const started = await svc.startIngest(name, items);
        let shown = '';
        return svc.waitForJob(started.id, (j) => {
          const line = `\r${Math.round(j.progress * 100)}% (${j.items.filter((i) => !['queued', 'running'].includes(i.status)).length}/${j.items.length} files)`;
          if (!o.json && line !== shown && process.stderr.isTTY) process.stderr.write(line);
          shown = line;
        });
      });
      if (process.stderr.isTTY && !o.json) process.stderr.write('\n');
      if (o.json) process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
      else {
        for (const i of job.items) {
          if (i.status === 'failed')
            process.stdout.write(`failed     ${i.error?.message ?? `${i.name}: unknown error`}\n`);
          else process.stdout.write(`${i.status.padEnd(10)} ${i.name} (${i.chunks ?? 0} chunks)\n`);
        }
      }
      if (job.items.some((i) => i.status === 'failed'))
        throw new CliExit(
          EXIT_FAILED,
          `${job.items.filter((i) => i.status === 'failed').length} of ${job.items.length} failed`,
        );
    });

  kb.command('query')
    .argument('<kb>', 'knowledge base name')
    .argument('<query>', 'the question or keywords')
    .option('--mode <mode>', 'bm25 | vector | hybrid', 'bm25')
    .option('--top-k <n>', 'results to return', int, 5)
    .option('--min-score <x>', 'drop results scoring below this', Number)
    .option('--filter <json>', 'metadata filter as JSON, e.g. {"source":"faq.md"}')
    .option('--json', 'print [{ text, score, metadata }] as JSON')
    .description('search a knowledge base')
    .action(
      async (
        name: string,
        query: string,
        o: { mode: string; topK: number; minScore?: number; filter?: string; json?: boolean },
      ) => {
        if (!['bm25', 'vector', 'hybrid'].includes(o.mode))
          throw new CliExit(EXIT_USAGE, `--mode must be bm25, vector or hybrid`);
        let filter: Record<string, unknown> | undefined;
        if (o.filter) {
          try {
            filter = JSON.parse(o.filter) as Record<string, unknown>;
          } catch {
            throw new CliExit(EXIT_USAGE, '--filter must be a JSON object');
          }
        }
        const hits = await withKnowledge((svc) =>
          svc.search(name, query, {
            mode: o.mode as 'bm25',
            topK: o.topK,
            ...(o.minScore !== undefined ? { minScore: o.minScore } : {}),
            ...(filter ? { filter } : {}),
          }),
        );
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify(
              hits.map((h) => ({ text: h.text, score: h.score, metadata: h.metadata })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        if (!hits.length) process.stdout.write('no results\n');
        hits.forEach((h, i) => {
          const where = [
            h.metadata.source,
            h.metadata.page !== undefined ? `p.${String(h.metadata.page)}` : '',
            h.metadata.heading ?? '',
          ]
            .filter(Boolean)
            .join(' · ');
          process.stdout.write(
            `${i + 1}. [${h.score.toFixed(4)}] ${where}\n   ${h.text.replace(/\s+/g, ' ').slice(0, 200)}\n`,
          );
        });
      },
    );

  kb.command('list')
    .description('list knowledge bases')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const kbs = await withKnowledge((svc) => svc.listKbs());
      if (o.json) process.stdout.write(`${JSON.stringify(kbs, null, 2)}\n`);
      else
        for (const k of kbs)
          process.stdout.write(
            `${k.name}  ${k.documents} documents, ${k.chunks} chunks${k.config.embedding ? `, ${k.config.embedding}` : ''}\n`,
          );
    });

  kb.command('delete')
    .argument('<kb>', 'knowledge base name')
    .description('delete a knowledge base and its index')
    .action(async (name: string) => {
      await withKnowledge((svc) => svc.deleteKb(name));
      process.stdout.write(`deleted ${name}\n`);
    });
}
