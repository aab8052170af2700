import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { etagMatches, etagOf, FlowStore, FlowStoreError } from './store';

const flow = (id: string, name = 'A flow') => ({
  schemaVersion: 1,
  id,
  name,
  inputs: [{ name: 'x', type: 'string', required: true }],
  outputs: [{ name: 'y', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    { id: 'outputs', type: 'output', position: { x: 100, y: 0 } },
  ],
  edges: [{ source: 'inputs', sourcePort: 'x', target: 'outputs', targetPort: 'y' }],
});

let dir: string;
let store: FlowStore;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-store-'));
  store = new FlowStore(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FlowStore', () => {
  it('saves in stable form with an ETag of the file bytes; the path id wins', async () => {
    const { stored, created } = await store.save('one', flow('other'));
    expect(created).toBe(true);
    const text = fs.readFileSync(path.join(dir, 'one.flow.json'), 'utf8');
    expect(JSON.parse(text).id).toBe('one');
    expect(stored.etag).toBe(etagOf(text));
    expect(text.endsWith('\n')).toBe(true);
    const again = await store.save('one', flow('one'), { ifMatch: stored.etag });
    expect(again.created).toBe(false);
    expect(again.stored.etag).toBe(stored.etag); // same content, same bytes
    expect(fs.readdirSync(dir)).toEqual(['one.flow.json']);
  });

  it('refuses a stale If-Match, and only one of two concurrent writers with the same ETag wins', async () => {
    const { stored } = await store.save('race', flow('race'));
    const results = await Promise.allSettled([
      store.save('race', flow('race', 'Writer A'), { ifMatch: stored.etag }),
      store.save('race', flow('race', 'Writer B'), { ifMatch: stored.etag }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(FlowStoreError);
    expect((rejected.reason as FlowStoreError).code).toBe('conflict');
    await expect(store.save('missing', flow('missing'), { ifMatch: '*' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.save('race', flow('race'), { mustNotExist: true })).rejects.toMatchObject({ code: 'exists' });
  });

  it('invalid flows are refused with every problem; unsafe ids are refused', async () => {
    const bad = { ...flow('bad'), nodes: [{ id: 'A B', type: 'nope', position: { x: 0, y: 0 } }] };
    const err = (await store.save('bad', bad).catch((e: unknown) => e)) as FlowStoreError;
    expect(err.code).toBe('invalid_flow');
    expect((err.details as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect(() => store.pathOf('../etc/passwd')).toThrow(FlowStoreError);
    await expect(store.get('../x')).rejects.toMatchObject({ code: 'invalid_id' });
  });

  it('lists with problems for malformed files, picks up external edits, and forgets deleted files', async () => {
    await store.save('good', flow('good'));
    fs.writeFileSync(path.join(dir, 'broken.flow.json'), '{ nope');
    fs.writeFileSync(path.join(dir, 'array.flow.json'), '[]');
    fs.writeFileSync(path.join(dir, 'Bad Name.flow.json'), JSON.stringify(flow('x')));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
    const first = await store.list();
    expect(first.flows.map((f) => f.id)).toEqual(['good']);
    expect(first.problems.map((p) => p.file).sort()).toEqual([
      'Bad Name.flow.json',
      'array.flow.json',
      'broken.flow.json',
    ]);
    // an external edit (different size) is seen on the next list
    fs.writeFileSync(path.join(dir, 'good.flow.json'), JSON.stringify(flow('good', 'Renamed outside'), null, 1));
    const second = await store.list();
    expect(second.flows[0]?.name).toBe('Renamed outside');
    fs.rmSync(path.join(dir, 'broken.flow.json'));
    expect((await store.list()).problems).toHaveLength(2);
    expect(await store.delete('good')).toBe(true);
    expect(await store.delete('good')).toBe(false);
    expect((await store.list()).flows).toEqual([]);
  });

  it('a file whose content is a flow with schema problems is listed as invalid, not hidden', async () => {
    fs.writeFileSync(
      path.join(dir, 'halfway.flow.json'),
      JSON.stringify({
        ...flow('halfway'),
        nodes: [...flow('halfway').nodes, { id: 'odd', type: 'mystery', position: { x: 0, y: 0 } }],
      }),
    );
    const { flows } = await store.list();
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ id: 'halfway', valid: false });
    expect(flows[0]!.problemCount).toBeGreaterThan(0);
  });

  it('lists 500 flows fast (cached by mtime+size)', async () => {
    const text = JSON.stringify(flow('x'));
    for (let i = 0; i < 500; i++) fs.writeFileSync(path.join(dir, `f${i}.flow.json`), text.replace('"x"', `"f${i}"`));
    const t0 = performance.now();
    expect((await store.list()).flows).toHaveLength(500);
    const cold = performance.now() - t0;
    const t1 = performance.now();
    await store.list();
    const warm = performance.now() - t1;
    expect(warm).toBeLessThan(cold);
    expect(warm).toBeLessThan(500);
  });

  it('follows a symbolic link only when its target stays inside the folder', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-outside-'));
    try {
      // A "flow" outside the folder (a valid one, so only the link rule keeps it out)…
      fs.writeFileSync(path.join(outside, 'secret.json'), JSON.stringify(flow('secret', '秘密のフロー')));
      fs.symlinkSync(path.join(outside, 'secret.json'), path.join(dir, 'leak.flow.json'));
      // …a link to a directory that holds files outside, and a link to a file inside.
      fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.flow.json'));
      await store.save('real', flow('real', '本物'));
      fs.symlinkSync('real.flow.json', path.join(dir, 'alias.flow.json'));
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'nested.json'), JSON.stringify(flow('nested')));
      fs.symlinkSync(path.join('sub', 'nested.json'), path.join(dir, 'nested.flow.json'));

      const { flows, problems } = await store.list();
      expect(flows.map((f) => f.id)).toEqual(['alias', 'nested', 'real']);
      expect(flows.find((f) => f.id === 'alias')?.name).toBe('本物');
      expect(problems.map((p) => [p.file, p.error])).toEqual([
        ['leak.flow.json', 'a symbolic link to a file outside the flows folder (not read)'],
        ['passwd.flow.json', 'a symbolic link to a file outside the flows folder (not read)'],
      ]);
      expect(JSON.stringify(problems)).not.toContain(outside);
      const err = (await store.get('leak').catch((e: unknown) => e)) as FlowStoreError;
      expect(err.code).toBe('malformed_file');
      expect(err.message).not.toContain('秘密');
      expect(err.message).not.toContain(os.tmpdir());
      await expect(store.get('passwd')).rejects.toMatchObject({ code: 'malformed_file' });
      // The folder itself may be a link: its real path is the boundary.
      const linkedDir = `${dir}-link`;
      fs.symlinkSync(dir, linkedDir);
      try {
        const viaLink = new FlowStore(linkedDir);
        expect((await viaLink.list()).flows.map((f) => f.id)).toEqual(['alias', 'nested', 'real']);
        // Writing over a link replaces the link; the file outside is never written.
        await viaLink.save('leak', flow('leak', 'replaced'));
        expect(fs.lstatSync(path.join(dir, 'leak.flow.json')).isSymbolicLink()).toBe(false);
        expect(JSON.parse(fs.readFileSync(path.join(outside, 'secret.json'), 'utf8')).name).toBe('秘密のフロー');
      } finally {
        fs.rmSync(linkedDir, { force: true });
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('removes temp files of writes a crash interrupted, not those of a live writer', async () => {
    await store.save('kept', flow('kept'));
    const deadPid = 2 ** 22 + 12345; // above pid_max on Linux: never a live process
    const names = {
      dead: `.kept.flow.json.${deadPid}.0123456789ab.tmp`,
      mine: `.kept.flow.json.${process.pid}.aaaaaaaaaaaa.tmp`,
      live: `.kept.flow.json.${process.ppid}.bbbbbbbbbbbb.tmp`,
      oldLive: `.kept.flow.json.${process.ppid}.cccccccccccc.tmp`,
      other: '.notes.tmp',
    };
    for (const n of Object.values(names)) fs.writeFileSync(path.join(dir, n), '{"half":');
    const old = new Date(Date.now() - 3_600_000);
    fs.utimesSync(path.join(dir, names.oldLive), old, old);
    const removed = await store.removeStaleTempFiles();
    expect(removed.sort()).toEqual([names.dead, names.mine, names.oldLive].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([names.live, names.other, 'kept.flow.json'].sort());
    expect((await store.list()).flows.map((f) => f.id)).toEqual(['kept']);
  });

  it('etagMatches handles lists, weak tags and *', () => {
    expect(etagMatches('"a", W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"b"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
  });
});
