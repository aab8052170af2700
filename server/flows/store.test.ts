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
    expect(first.problems.map((p) => path.basename(p.path)).sort()).toEqual([
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

  it('etagMatches handles lists, weak tags and *', () => {
    expect(etagMatches('"a", W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"b"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
  });
});
