/**
 * Property test over random nestings of subflow and map nodes (random depth, kinds,
 * concurrency and per-node latencies): every leaf child runs exactly once per item, results
 * come back in item order, and a skip in the leaf propagates (as an absent output through
 * subflows, as `null` in a map's list).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Flow, RunEvent } from '../../shared';
import { loadConfig } from '../config';
import { runFlow } from './index';
import { coreExecutors } from './test-executors';
import { transformExecutor } from './executors/transform';
import { sleep } from './retry';
import type { Executor } from './types';
import { makeFlow, mapFlow, memoryFlows, node } from './composition-fixtures';

type Kind = 'subflow' | 'map';

function leaf(id: string): Flow {
  return makeFlow(
    id,
    [{ name: 'text', type: 'any', required: true }],
    [{ name: 'out', type: 'any' }],
    [
      node('gate', 'condition', { branches: [{ name: 'go', when: '$not($contains($string($), "skip"))' }] }),
      node('t', 'transform', { mode: 'jsonata', expression: 'input & "!"' }),
    ],
    [
      ['inputs', 'text', 'gate', 'input'],
      ['gate', 'go', 't', 'input'],
      ['t', 'result', 'outputs', 'out'],
    ],
  );
}

function level(id: string, kind: Kind, child: string, concurrency: number): Flow {
  if (kind === 'subflow')
    return makeFlow(
      id,
      [{ name: 'text', type: 'any', required: true }],
      [{ name: 'out', type: 'any' }],
      [node('call', 'subflow', { flow: child })],
      [
        ['inputs', 'text', 'call', 'text'],
        ['call', 'out', 'outputs', 'out'],
      ],
    );
  return makeFlow(
    id,
    [{ name: 'text', type: 'any', required: true }],
    [{ name: 'out', type: 'any' }],
    [
      node('wrap', 'transform', { mode: 'jsonata', expression: '[input]' }),
      node('each', 'map', { flow: child, concurrency, onItemError: 'null' }),
      node('first', 'transform', { mode: 'jsonata', expression: 'input[0]' }),
    ],
    [
      ['inputs', 'text', 'wrap', 'input'],
      ['wrap', 'result', 'each', 'items'],
      ['each', 'out', 'first', 'input'],
      ['first', 'result', 'outputs', 'out'],
    ],
  );
}

describe('random nestings of subflow and map', () => {
  it('property: each leaf runs once per item, results are ordered, skips propagate', async () => {
    const latency = new Map<string, number>();
    const slow: Executor<never> = async (ctx) => {
      await sleep(latency.get(String((ctx.inputs as { input?: unknown }).input)) ?? 0);
      return transformExecutor(ctx as never);
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Kind>('subflow', 'map'), { minLength: 0, maxLength: 3 }),
        fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('skip', '日本語', 'skip-二')), {
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 12, maxLength: 12 }),
        async (kinds, items, concurrency, delays) => {
          latency.clear();
          items.forEach((it, i) => latency.set(it, delays[i]));
          const depth = kinds.length;
          const flows: Flow[] = [leaf(`f${depth + 1}`)];
          kinds.forEach((k, i) => flows.push(level(`f${i + 1}`, k, `f${i + 2}`, concurrency)));
          const events: RunEvent[] = [];
          const res = await runFlow(
            mapFlow('f1', { concurrency, onItemError: 'null' }),
            { items },
            {
              services: { config: loadConfig({}), flows: memoryFlows(...flows) },
              executors: { ...coreExecutors, transform: slow },
              onEvent: (e) => events.push(e),
            },
          );
          expect(res.status).toBe('succeeded');
          const expected = items.map((it) => {
            let v: unknown = it.includes('skip') ? undefined : `${it}!`;
            for (let i = kinds.length - 1; i >= 0; i--) if (kinds[i] === 'map') v = v ?? null;
            return v ?? null;
          });
          expect(res.outputs.outs).toEqual(expected);
          const leafRuns = events.filter((e) => e.type === 'run_started' && e.flowId === `f${depth + 1}`);
          expect(leafRuns).toHaveLength(items.length);
          for (const e of leafRuns) {
            if (e.type !== 'run_started') continue;
            expect(e.parent?.depth).toBe(depth + 1);
            expect(e.parent?.rootRunId).toBe(res.runId);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
