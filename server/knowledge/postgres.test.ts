import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { openTestStorage, postgresReachable, servicesRequired, type TestStorage } from '../../test/support/storage';
import { KnowledgeService } from './service';

const pgUp = await postgresReachable();
if (!pgUp && servicesRequired())
  throw new Error('PostgreSQL at 127.0.0.1:5432 is required (BRAID_REQUIRE_SERVICES=1) but unreachable');
if (!pgUp) console.warn('[knowledge postgres.test] skipping: nothing listens on 127.0.0.1:5432');

describe('knowledge metadata on PostgreSQL', () => {
  let t: TestStorage | undefined;
  let dir = '';
  afterAll(async () => {
    await t?.dispose();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!pgUp)('creates, ingests, counts, searches and deletes', async () => {
    t = await openTestStorage('postgres');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'braid-kb-pg-'));
    const svc = new KnowledgeService({ config: loadConfig({ BRAID_DATA_DIR: dir }), storage: t.storage });
    try {
      await svc.createKb('pg');
      const file = path.join(dir, 'tides.md');
      await fs.writeFile(file, '# Tides\nTides are caused by the moon.');
      const job = await svc.waitForJob(
        (await svc.startIngest('pg', [{ name: 'tides.md', kind: 'file', path: file }])).id,
      );
      expect(job.status).toBe('succeeded');
      expect(await svc.getKb('pg')).toMatchObject({ documents: 1, chunks: 1 });
      expect((await svc.search('pg', 'moon', { mode: 'bm25', topK: 1 }))[0].metadata.source).toBe('tides.md');
      const again = await svc.waitForJob(
        (await svc.startIngest('pg', [{ name: 'tides.md', kind: 'file', path: file }])).id,
      );
      expect(again.items[0].status).toBe('unchanged');
      await svc.deleteKb('pg');
      expect(await svc.listKbs()).toEqual([]);
    } finally {
      await svc.close();
    }
  });
});
