/**
 * The example knowledge base shipped with the repo (examples/kb/braid-docs) is created and
 * ingested on first start. A marker file records that it was seeded, so deleting the
 * knowledge base later is respected; ingest is idempotent anyway (unchanged files skip).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config';
import type { KnowledgeService } from './service';

export const EXAMPLE_KB = 'braid-docs';
export const EXAMPLE_KB_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../examples/kb/braid-docs',
);

/** Create and ingest the example knowledge base once; returns the job id when it started one. */
export async function seedExampleKnowledgeBase(
  svc: KnowledgeService,
  config: Pick<Config, 'dataDir'>,
  dir = EXAMPLE_KB_DIR,
): Promise<string | undefined> {
  const marker = path.join(config.dataDir, 'knowledge', `seeded-${EXAMPLE_KB}`);
  if (await fs.stat(marker).catch(() => undefined)) return undefined;
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.md')).sort();
  if (!files.length) return undefined;
  const exists = (await svc.listKbs()).some((k) => k.name === EXAMPLE_KB);
  if (!exists) await svc.createKb(EXAMPLE_KB, { chunkSize: 800, chunkOverlap: 100 });
  const job = await svc.startIngest(
    EXAMPLE_KB,
    files.map((f) => ({ name: f, kind: 'file' as const, path: path.join(dir, f) })),
  );
  await fs.mkdir(path.dirname(marker), { recursive: true });
  await fs.writeFile(marker, `${new Date().toISOString()} job ${job.id}\n`);
  return job.id;
}
