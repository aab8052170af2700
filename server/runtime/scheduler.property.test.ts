/**
 * Property test: random DAGs of template transforms (required inputs), JSONata transforms
 * (optional inputs, several edges into one port) and condition nodes, run by the real
 * scheduler with recording executors, checked against a small reference model.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Flow, FlowEdge, FlowNode, RunEvent } from '../../shared';
import { loadConfig } from '../config';
import { runFlow } from './index';
import { coreExecutors } from './test-executors';
import type { ExecutorLookup } from './scheduler';
import type { Executor } from './types';

const services = { config: loadConfig({}) };

type Kind = 'tpl' | 'opt' | 'cond';
interface GenNode {
  kind: Kind;
  /** Parent choices (indexes are taken modulo the node's index). */
  parents: number[];
  /** Condition nodes: which branches are true. */
  truth: boolean[];
  delay: number;
}

const genNode = fc.record({
  kind: fc.constantFrom<Kind>('tpl', 'opt', 'cond'),
  parents: fc.array(fc.nat(1000), { minLength: 1, maxLength: 3 }),
  truth: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  delay: fc.integer({ min: 0, max: 3 }),
});

interface Built {
  flow: Flow;
  delays: Map<string, number>;
}

/** Node 0 is the input node; node i > 0 takes parents among nodes < i. */
function build(spec: GenNode[]): Built {
  const nodes: FlowNode[] = [{ id: 'n0', type: 'input', position: { x: 0, y: 0 } }];
  const edges: FlowEdge[] = [];
  const delays = new Map<string, number>();
  const outPorts = new Map<string, string[]>([['n0', ['q']]]);
  spec.forEach((s, k) => {
    const i = k + 1;
    const id = `n${i}`;
    delays.set(id, s.delay);
    const parents = [...new Set(s.parents.map((p) => p % i))];
    const srcPort = (p: number, salt: number): string => {
      const ports = outPorts.get(`n${p}`)!;
      return ports[salt % ports.length];
    };
    if (s.kind === 'tpl') {
      const ports = parents.map((_, j) => `p${j}`);
      nodes.push({
        id,
        type: 'transform',
        position: { x: 0, y: 0 },
        config: { mode: 'template', template: ports.map((p) => `{{${p}}}`).join('|') },
      });
      parents.forEach((p, j) =>
        edges.push({ source: `n${p}`, sourcePort: srcPort(p, s.parents[j]), target: id, targetPort: `p${j}` }),
      );
      outPorts.set(id, ['result']);
    } else if (s.kind === 'opt') {
      nodes.push({
        id,
        type: 'transform',
        position: { x: 0, y: 0 },
        config: {
          mode: 'jsonata',
          expression: '[$x, $y]',
          inputs: [
            { name: 'x', type: 'any', required: false },
            { name: 'y', type: 'any', required: false },
          ],
        },
      });
      // Several edges may enter the same port: merge semantics.
      s.parents.forEach((raw, j) =>
        edges.push({
          source: `n${raw % i}`,
          sourcePort: srcPort(raw % i, raw + j),
          target: id,
          targetPort: raw % 2 === 0 ? 'x' : 'y',
        }),
      );
      outPorts.set(id, ['result']);
    } else {
      const branches = s.truth.map((t, j) => ({ name: `b${j}`, when: t ? 'true' : 'false' }));
      nodes.push({ id, type: 'condition', position: { x: 0, y: 0 }, config: { branches, otherwise: 'other' } });
      const p = parents[0];
      edges.push({ source: `n${p}`, sourcePort: srcPort(p, s.parents[0]), target: id, targetPort: 'input' });
      outPorts.set(id, ['b0', 'b1', 'other']);
    }
  });
  // Dedupe identical edges (same source port into the same target port).
  const seen = new Set<string>();
  const unique = edges.filter((e) => {
    const key = `${e.source}.${e.sourcePort}>${e.target}.${e.targetPort}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    flow: {
      schemaVersion: 1,
      id: 'prop',
      name: 'prop',
      inputs: [{ name: 'q', type: 'string', required: true }],
      outputs: [],
      nodes,
      edges: unique,
    },
    delays,
  };
}

/** Reference model: which nodes are skipped, and which branch each condition takes. */
function expectedSkips(built: Built): Set<string> {
  const { flow } = built;
  const skipped = new Set<string>();
  const taken = new Map<string, string>();
  for (const n of flow.nodes) {
    if (n.type === 'condition') {
      const branches = (n.config as { branches: Array<{ name: string; when: string }> }).branches;
      taken.set(n.id, branches.find((b) => b.when === 'true')?.name ?? 'other');
    }
  }
  const edgeSkipped = (e: FlowEdge): boolean =>
    skipped.has(e.source) || (taken.has(e.source) && taken.get(e.source) !== e.sourcePort);
  for (const n of flow.nodes) {
    const incoming = flow.edges.filter((e) => e.target === n.id);
    if (incoming.length === 0) continue;
    const requiredPorts =
      n.type === 'transform' && (n.config as { mode: string }).mode === 'jsonata'
        ? []
        : [...new Set(incoming.map((e) => e.targetPort))];
    const requiredDead = requiredPorts.some((port) => incoming.filter((e) => e.targetPort === port).every(edgeSkipped));
    if (requiredDead || incoming.every(edgeSkipped)) skipped.add(n.id);
  }
  return skipped;
}

describe('scheduler on random DAGs', () => {
  it('runs each node at most once, after its non-skipped parents, skipping exactly the untaken branches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(genNode, { minLength: 1, maxLength: 14 }), async (spec) => {
        const built = build(spec);
        const { flow } = built;
        let clock = 0;
        const started = new Map<string, number[]>();
        const finished = new Map<string, number>();
        const inputsSeen = new Map<string, Record<string, unknown>>();
        const outputsSeen = new Map<string, Record<string, unknown>>();
        const record = (inner: Executor<never>): Executor<never> =>
          (async (ctx: Parameters<Executor<unknown>>[0]) => {
            const id = ctx.node.id;
            started.set(id, [...(started.get(id) ?? []), ++clock]);
            inputsSeen.set(id, { ...ctx.inputs });
            const delay = built.delays.get(id) ?? 0;
            if (delay > 0) await new Promise((r) => setTimeout(r, delay));
            const res = await (inner as Executor<unknown>)(ctx);
            outputsSeen.set(id, res.outputs);
            finished.set(id, ++clock);
            return res;
          }) as Executor<never>;
        const executors: ExecutorLookup = Object.fromEntries(
          Object.entries(coreExecutors).map(([k, v]) => [k, record(v!)]),
        );
        const events: RunEvent[] = [];
        const res = await runFlow(flow, { q: 'hello' }, { services, executors, onEvent: (e) => events.push(e) });
        expect(res.status).toBe('succeeded');
        // Events: run_started first, run_finished last, one terminal event per node after its start.
        expect(events[0].type).toBe('run_started');
        expect(events.at(-1)!.type).toBe('run_finished');
        const terminal = events.filter((e) => e.type === 'node_finished' || e.type === 'node_skipped');
        expect(terminal.map((e) => (e as { nodeId: string }).nodeId).sort()).toEqual(
          flow.nodes.map((n) => n.id).sort(),
        );
        for (const e of terminal) {
          const nodeId = (e as { nodeId: string }).nodeId;
          const startIdx = events.findIndex((x) => x.type === 'node_started' && x.nodeId === nodeId);
          if (e.type === 'node_finished') expect(startIdx).toBeGreaterThan(-1);
          if (e.type === 'node_finished') expect(startIdx).toBeLessThan(events.indexOf(e));
          if (e.type === 'node_skipped') expect(startIdx).toBe(-1);
        }
        const skipped = expectedSkips(built);
        expect(res.trace.spans).toHaveLength(flow.nodes.length);
        for (const n of flow.nodes) {
          const span = res.trace.spans.find((s) => s.nodeId === n.id)!;
          if (skipped.has(n.id)) {
            expect(span.status, n.id).toBe('skipped');
            expect(started.has(n.id), n.id).toBe(false);
            continue;
          }
          expect(span.status, n.id).toBe('succeeded');
          expect(started.get(n.id), n.id).toHaveLength(1);
          const start = started.get(n.id)![0];
          const incoming = flow.edges.filter((e) => e.target === n.id);
          for (const e of incoming) {
            if (skipped.has(e.source)) continue;
            expect(finished.get(e.source)!, `${e.source} before ${n.id}`).toBeLessThan(start);
          }
          // Merge semantics: each port gets the first edge whose source was not skipped
          // and whose branch was taken.
          for (const port of new Set(incoming.map((e) => e.targetPort))) {
            const live = incoming.filter(
              (e) =>
                e.targetPort === port && !skipped.has(e.source) && e.sourcePort in (outputsSeen.get(e.source) ?? {}),
            );
            const seen = inputsSeen.get(n.id)!;
            if (live.length === 0) expect(seen[port], `${n.id}.${port}`).toBeUndefined();
            else expect(seen[port], `${n.id}.${port}`).toEqual(outputsSeen.get(live[0].source)![live[0].sourcePort]);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
