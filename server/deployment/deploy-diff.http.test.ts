/**
 * Safe one-click deploys over HTTP: a deploy says what changed since the live version; an
 * unchanged flow (called flows included; moving nodes is layout) stores no version and
 * answers 200 `unchanged`; any two versions can be diffed; a version's note can be set
 * after the deploy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '../../shared';
import type { DeploymentDetail, DeploymentDiff, DeployResult } from '../../shared/api/deployment';
import { makeFlow, node, upperFlow } from '../runtime/composition-fixtures';
import { promptFlow, startDeployServer, type DeployServer } from './testing';

let s: DeployServer;

function caller(id: string, child: string): Flow {
  return makeFlow(
    id,
    [{ name: 'q', type: 'string', required: true }],
    [{ name: 'a', type: 'any' }],
    [node('call', 'subflow', { flow: child })],
    [
      ['inputs', 'q', 'call', 'text'],
      ['call', 'out', 'outputs', 'a'],
    ],
  );
}

const SYSTEM = 'あなたはサポート担当です。\nBe brief.\nCite the docs.';

beforeAll(async () => {
  s = await startDeployServer({
    flows: [promptFlow('support', SYSTEM), upperFlow('upper'), caller('caller', 'upper')],
  });
});
afterAll(async () => {
  await s?.close();
});

async function deploy(
  flowId: string,
  body: Record<string, unknown> = {},
): Promise<{ status: number; r: DeployResult }> {
  const res = await s.api(`/api/flows/${flowId}/deployments`, { method: 'POST', json: body });
  return { status: res.status, r: (await res.json()) as DeployResult };
}

async function detail(slug: string): Promise<DeploymentDetail> {
  return (await (await s.api(`/api/deployments/${slug}`)).json()) as DeploymentDetail;
}

function withSystem(text: string, move = 0): Flow {
  const f = promptFlow('support', text);
  if (move) (f.nodes[1] as { position: { x: number; y: number } }).position = { x: 300 + move, y: move };
  return f;
}

describe('deploy: what changed, or nothing to deploy', () => {
  it('first deploy has no previous version; an unchanged deploy stores nothing and says so', async () => {
    const first = await deploy('support', { note: '最初' });
    expect(first.status).toBe(201);
    expect(first.r).toMatchObject({ version: 1, unchanged: false, previousVersion: null, changes: null });
    expect(first.r.apiKey).toMatch(/^brd_/);

    const again = await deploy('support', { note: 'ignored' });
    expect(again.status).toBe(200);
    expect(again.r).toMatchObject({
      slug: 'support',
      version: 1,
      unchanged: true,
      previousVersion: 1,
      apiKey: null,
      flows: ['support'],
      url: `${s.url}/v1/endpoints/support`,
    });
    expect(again.r.changes?.empty).toBe(true);

    // Moving a node is layout: still nothing to deploy.
    s.writeFlow(withSystem(SYSTEM, 120));
    const moved = await deploy('support');
    expect(moved.status).toBe(200);
    expect(moved.r.unchanged).toBe(true);
    expect(moved.r.changes?.flow.summary.nodesMoved).toBe(1);

    // An unchanged deploy still does what else it was asked: a key, settings.
    const withKey = await deploy('support', { createKey: true, keyLabel: 'ci', settings: { timeoutMs: 30_000 } });
    expect(withKey.status).toBe(200);
    expect(withKey.r.apiKey).toMatch(/^brd_/);
    const d = await detail('support');
    expect(d.versions.map((v) => [v.version, v.note])).toEqual([[1, '最初']]);
    expect(d.keys.map((k) => k.label)).toEqual(['default', 'ci']);
    expect(d.settings.timeoutMs).toBe(30_000);
  });

  it('a prompt edit deploys as a new version with a field-level diff and a line diff of the text', async () => {
    s.writeFlow(withSystem('あなたはサポート担当です。\nBe brief and kind.\nCite the docs.', 120));
    const v2 = await deploy('support');
    expect(v2.status).toBe(201);
    expect(v2.r).toMatchObject({ version: 2, unchanged: false, previousVersion: 1, apiKey: null });
    const nodes = v2.r.changes?.flow.nodes ?? [];
    expect(nodes.map((n) => [n.id, n.kind])).toEqual([['answer', 'changed']]);
    const text = nodes[0]?.changes.find((c) => c.at === 'config.messages[0].content');
    expect(text?.lines).toEqual([
      { op: 'same', text: 'あなたはサポート担当です。' },
      { op: 'del', text: 'Be brief.' },
      { op: 'add', text: 'Be brief and kind.' },
      { op: 'same', text: 'Cite the docs.' },
    ]);
  });

  it('sticky notes: a moved note is layout (unchanged), an edited note deploys with its text diff', async () => {
    const note = {
      id: 'why',
      position: { x: 0, y: -200 },
      size: { width: 240, height: 140 },
      color: 'yellow' as const,
    };
    const noted = (text: string, x = 0): Flow => ({
      ...promptFlow('noted', SYSTEM),
      notes: [{ ...note, position: { x, y: -200 }, text }],
    });
    s.writeFlow(noted('# 目的\n質問に答える'));
    expect((await deploy('noted')).status).toBe(201);
    s.writeFlow(noted('# 目的\n質問に答える', 400));
    const moved = await deploy('noted');
    expect(moved.status).toBe(200);
    expect(moved.r.unchanged).toBe(true);
    expect(moved.r.changes?.flow.summary).toMatchObject({ notesMoved: 1, notesChanged: 0, settingsChanged: 0 });
    s.writeFlow(noted('# 目的\n質問に丁寧に答える', 400));
    const edited = await deploy('noted');
    expect(edited.status).toBe(201);
    expect(edited.r.version).toBe(2);
    expect(edited.r.changes?.flow.settings).toEqual([]);
    expect(edited.r.changes?.flow.notes.map((n) => [n.id, n.kind, n.changes.map((c) => c.at)])).toEqual([
      ['why', 'changed', ['position.x', 'text']],
    ]);
    expect(edited.r.changes?.flow.notes[0]?.changes[1]?.lines).toEqual([
      { op: 'same', text: '# 目的' },
      { op: 'del', text: '質問に答える' },
      { op: 'add', text: '質問に丁寧に答える' },
    ]);
  });

  it('compares with the live version: after a rollback the same flow deploys again as a new version', async () => {
    expect((await s.api('/api/deployments/support/rollback', { method: 'POST', json: { version: 1 } })).status).toBe(
      200,
    );
    const v3 = await deploy('support');
    expect(v3.status).toBe(201);
    expect(v3.r).toMatchObject({ version: 3, previousVersion: 1 });
    const again = await deploy('support');
    expect(again.status).toBe(200);
    expect(again.r).toMatchObject({ version: 3, unchanged: true });
  });

  it('two identical deploys at once store one version', async () => {
    s.writeFlow(withSystem('Concurrent edit'));
    const both = await Promise.all([deploy('support'), deploy('support')]);
    expect(both.map((b) => b.status).sort()).toEqual([200, 201]);
    expect(both.map((b) => b.r.version)).toEqual([4, 4]);
    expect((await detail('support')).latestVersion).toBe(4);
  });

  it('a change in a called flow is a change; the deployed closure is compared', async () => {
    const first = await deploy('caller');
    expect(first.status).toBe(201);
    expect((await deploy('caller')).status).toBe(200);
    s.writeFlow(upperFlow('upper', 'input & "?"'));
    const v2 = await deploy('caller');
    expect(v2.status).toBe(201);
    expect(v2.r.changes?.flow.summary).toMatchObject({ nodesChanged: 0, nodesAdded: 0 });
    expect(v2.r.changes?.calledFlows.map((c) => [c.id, c.kind])).toEqual([['upper', 'changed']]);
    const change = v2.r.changes?.calledFlows[0]?.diff?.nodes[0]?.changes[0];
    expect(change).toMatchObject({ at: 'config.expression', before: 'input & "!"', after: 'input & "?"' });
    expect((await deploy('caller')).status).toBe(200);
  });
});

describe('GET /api/deployments/:slug/diff', () => {
  const diff = async (q: string) => {
    const res = await s.api(`/api/deployments/support/diff${q}`);
    return {
      status: res.status,
      body: (await res.json()) as DeploymentDiff & { error?: { code: string; message: string } },
    };
  };

  it('diffs any two versions, by default the live one against the one before it', async () => {
    const one = await diff('?from=1&to=2');
    expect(one.status).toBe(200);
    expect(one.body.from.version).toBe(1);
    expect(one.body.to.version).toBe(2);
    expect(one.body.from.note).toBe('最初');
    expect(one.body.summary).toBe('1 node changed');
    expect(one.body.diff.flow.nodes[0]?.changes.map((c) => c.at)).toEqual([
      'config.messages[0].content',
      'position.x',
      'position.y',
    ]);
    const backwards = await diff('?from=2&to=1');
    expect(backwards.body.diff.flow.nodes[0]?.changes[0]).toMatchObject({
      before: 'あなたはサポート担当です。\nBe brief and kind.\nCite the docs.',
      after: SYSTEM,
    });
    expect((await diff('?from=2&to=3')).body).toMatchObject({ summary: 'no changes', diff: { empty: true } });
    const dflt = await diff('');
    expect([dflt.body.from.version, dflt.body.to.version]).toEqual([3, 4]);
  });

  it('refuses bad versions with a clear error', async () => {
    expect((await diff('?from=0&to=2')).body.error).toMatchObject({ code: 'invalid_query' });
    expect((await diff('?from=abc')).status).toBe(400);
    const missing = await diff('?from=1&to=99');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.message).toContain('no version 99');
    expect((await s.api('/api/deployments/nope/diff?from=1&to=2')).status).toBe(404);
  });
});

describe('PATCH /api/deployments/:slug/versions/:version', () => {
  it('sets and clears the note of a deployed version', async () => {
    const set = await s.api('/api/deployments/support/versions/2', { method: 'PATCH', json: { note: '丁寧に' } });
    expect(set.status).toBe(200);
    const d = (await set.json()) as DeploymentDetail;
    expect(d.versions.find((v) => v.version === 2)?.note).toBe('丁寧に');
    await s.api('/api/deployments/support/versions/2', { method: 'PATCH', json: { note: null } });
    expect((await detail('support')).versions.find((v) => v.version === 2)?.note).toBeNull();
    const bad = await s.api('/api/deployments/support/versions/2', { method: 'PATCH', json: { note: 5 } });
    expect(bad.status).toBe(400);
    expect((await s.api('/api/deployments/support/versions/2', { method: 'PATCH', json: {} })).status).toBe(400);
    expect((await s.api('/api/deployments/support/versions/99', { method: 'PATCH', json: { note: 'x' } })).status).toBe(
      404,
    );
    expect((await s.api('/api/deployments/support/versions/x', { method: 'PATCH', json: { note: 'x' } })).status).toBe(
      400,
    );
  });
});
