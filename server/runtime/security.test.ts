/**
 * Runtime security: user regexes cannot ReDoS the process (validator rules and JSONata
 * regexes run on RE2), and run inputs cannot pollute prototypes.
 */
import { beforeAll, describe, it, expect } from 'vitest';
import jsonata from 'jsonata';
import { validateFlow, type Flow, type FlowNode } from '../../shared';
import { loadConfig } from '../config';
import { checkRunInputs, runFlow, RunInputError } from './index';
import { coreExecutors } from './test-executors';
import { evaluateJsonata, toPlainJson, warmJsonataPool } from './jsonata';
import { evaluateInThread } from './jsonata-engine';
import type { RunServices } from './types';
import { REGEX_LIMITS, guardedRegexTest, outOfLineRegexRequests } from './regex-guard';

const services: RunServices = { config: loadConfig({}) };
const EVIL = 'a'.repeat(32) + '!';

function oneNode(node: Omit<FlowNode, 'position' | 'id'>, port: string, out: string, inputs: Flow['inputs']): Flow {
  return {
    schemaVersion: 1,
    id: 'sec',
    name: 'sec',
    inputs,
    outputs: [{ name: 'y', type: 'any' }],
    nodes: [
      { id: 'in', type: 'input', position: { x: 0, y: 0 } },
      { id: 'n', position: { x: 0, y: 0 }, ...node },
      { id: 'out', type: 'output', position: { x: 0, y: 0 } },
    ],
    edges: [
      { source: 'in', sourcePort: inputs[0].name, target: 'n', targetPort: port },
      { source: 'n', sourcePort: out, target: 'out', targetPort: 'y' },
    ],
  };
}

/** Runs `fn` while a 5 ms interval ticks; returns its result, the elapsed ms and whether timers kept running. */
async function whileTicking<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; ticked: boolean }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const t0 = performance.now();
    const value = await fn();
    const ms = performance.now() - t0;
    const before = ticks;
    await new Promise((r) => setTimeout(r, 30));
    return { value, ms, ticked: ticks > before };
  } finally {
    clearInterval(timer);
  }
}

describe('ReDoS', () => {
  // timings below are of the expressions, not of the JSONata workers' first start
  beforeAll(async () => {
    warmJsonataPool();
    await evaluateJsonata('$string(1)', null); // a function call: runs in the pool
  }, 30_000);

  it('a validator regex rule (a+)+$ on "aaa…!" fails cleanly and fast; the process keeps serving', async () => {
    const flow = oneNode(
      { type: 'validator', config: { rules: [{ kind: 'regex', pattern: '(a+)+$' }], onFail: 'error' } },
      'value',
      'value',
      [{ name: 'x', type: 'string', required: true }],
    );
    const {
      value: res,
      ms,
      ticked,
    } = await whileTicking(() => runFlow(flow, { x: EVIL }, { services, executors: coreExecutors }));
    expect(res.status).toBe('failed');
    expect(res.trace.error).toMatchObject({ code: 'validation_failed', nodeId: 'n' });
    expect(res.trace.error?.message).toContain('does not match /(a+)+$/');
    expect(ms).toBeLessThan(1_000);
    expect(ticked).toBe(true);
    // And the same rule still passes what it should.
    const ok = await runFlow(flow, { x: 'aaaa' }, { services, executors: coreExecutors });
    expect(ok.status).toBe('succeeded');
  });

  it('JSONata $match/$replace/$contains/$split with (a+)+$ (and a $eval-built regex) stay linear', async () => {
    const expr =
      '{ "match": $count($match(input, /(a+)+$/)), "replace": $replace(input, /(a+)+$/, "X"), ' +
      '"contains": $contains(input, /(a+)+$/), "split": $count($split(input, /(a+)+$/)), ' +
      '"eval": $contains(input, $eval("/(a+)+$/")) }';
    const flow = oneNode({ type: 'transform', config: { mode: 'jsonata', expression: expr } }, 'input', 'result', [
      { name: 'x', type: 'string', required: true },
    ]);
    const {
      value: res,
      ms,
      ticked,
    } = await whileTicking(() =>
      runFlow(flow, { x: 'a'.repeat(20_000) + '!' }, { services, executors: coreExecutors }),
    );
    expect(res.status).toBe('succeeded');
    expect(res.outputs.y).toEqual({
      match: 0,
      replace: 'a'.repeat(20_000) + '!',
      contains: false,
      split: 1,
      eval: false,
    });
    expect(ms).toBeLessThan(2_000);
    expect(ticked).toBe(true);
  });

  it('JSONata regexes keep their JavaScript results on ordinary patterns', async () => {
    // Same results as stock jsonata (native RegExp) on the same expressions.
    const cases = [
      '$replace("a1b22c333", /\\d+/, "#")',
      '$match("ab12cd345", /\\d+/)',
      '$match("k=v; x=y", /(\\w)=(\\w)/)',
      '$split("a, b,c", /,\\s*/)',
      '$contains("Hello", /hello/i)',
      '$replace("😀x😀x", /x/, "y")',
      '$replace("John Smith", /(\\w+)\\s(\\w+)/, "$2, $1")',
      '$match("line1\\nline2", /^line\\d$/m).match',
    ];
    for (const e of cases) {
      const ours = await evaluateJsonata(e, null);
      const stock = toPlainJson(await jsonata(e).evaluate(null));
      expect(ours, e).toEqual(stock);
    }
    expect(await evaluateJsonata('$replace("a1b22c333", /\\d+/, "#")', null)).toBe('a#b#c#');
  });

  // RE2 is linear in the text, but times the number of program states: nine [\s\S]{1000}
  // make ~9 000 of them (just under the limit), and 40 000 characters then take seconds. Such matches run in a
  // worker with a hard limit.
  const HUGE_PROGRAM = '(?:[\\s\\S]{1000})'.repeat(9) + '[^y]';

  it('a validator rule with a huge RE2 program is stopped at its time limit; timers keep ticking', async () => {
    const flow = oneNode(
      { type: 'validator', config: { rules: [{ kind: 'regex', pattern: HUGE_PROGRAM }], onFail: 'error' } },
      'value',
      'value',
      [{ name: 'x', type: 'string', required: true }],
    );
    const {
      value: res,
      ms,
      ticked,
    } = await whileTicking(() => runFlow(flow, { x: 'y'.repeat(40_000) }, { services, executors: coreExecutors }));
    expect(res.status).toBe('failed');
    expect(res.trace.error?.message).toContain(`regular expression stopped after ${REGEX_LIMITS.timeoutMs} ms`);
    expect(ms).toBeLessThan(REGEX_LIMITS.timeoutMs + 3_000); // includes the worker's first start
    expect(ticked).toBe(true);
    // The worker was replaced: the next costly match works.
    expect(guardedRegexTest('(?:[\\s\\S]{100})z', '', 'y'.repeat(30_000) + 'z')).toBe(true);
  });

  it('JSONata with a huge RE2 program ends in a clear node error', async () => {
    const t0 = performance.now();
    await expect(
      evaluateJsonata(`$contains($, /${HUGE_PROGRAM}/)`, 'y'.repeat(40_000), { path: 'config.expression' }),
    ).rejects.toMatchObject({
      code: 'jsonata_error',
      message: expect.stringMatching(/regular expression stopped after/),
    });
    expect(performance.now() - t0).toBeLessThan(REGEX_LIMITS.timeoutMs + 3_000);
  });

  it('costly but fine matches run out of line with the same results as stock jsonata', async () => {
    const text = Array.from({ length: 3_000 }, (_, i) => `user${i} wrote to u${i}@host${i % 7}.com today.`).join(' ');
    const before = outOfLineRegexRequests();
    for (const e of [
      '$count($match($, /(\\w+)@(host[0-3])\\.com/))',
      '$match($, /u(\\d+)@host6/)[[0, 1, -1]].groups',
      '$substring($replace($, /host(\\d)/, "h$1"), 0, 300)',
      '$count($split($, /\\.\\s/))',
      '$contains($, /u2999@host3\\.com/)',
    ]) {
      const stock = toPlainJson(await jsonata(e).evaluate(text));
      // in the JSONata worker (as the runtime runs it), and on this thread to count the out-of-line matches
      expect(await evaluateJsonata(e, text), e).toEqual(stock);
      expect(await evaluateInThread(e, text, undefined, 'json'), e).toEqual(stock);
    }
    expect(outOfLineRegexRequests()).toBeGreaterThan(before);
  });

  it('a JSONata regex RE2 cannot run ends in a clear node error', async () => {
    await expect(evaluateJsonata('$match("ab", /(?=a)a/)', null, { path: 'config.expression' })).rejects.toMatchObject({
      code: 'jsonata_error',
      path: 'config.expression',
      message: expect.stringMatching(/lookahead and lookbehind are not supported/),
    });
  });
});

describe('prototype pollution', () => {
  const flow = oneNode({ type: 'transform', config: { mode: 'jsonata', expression: 'input' } }, 'input', 'result', [
    { name: 'data', type: 'json', required: true },
  ]);

  it('a JSON body with inputs.__proto__ is refused as an unknown input and pollutes nothing', async () => {
    const body = JSON.parse('{"inputs": {"__proto__": {"polluted": "yes"}, "data": 1}}') as {
      inputs: Record<string, unknown>;
    };
    await expect(runFlow(flow, body.inputs, { services, executors: coreExecutors })).rejects.toSatisfy(
      (err: unknown) =>
        err instanceof RunInputError &&
        err.issues.some((i) => i.path === 'inputs.__proto__' && /unknown input/.test(i.message)),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('__proto__ keys inside input values stay data through a run', async () => {
    const body = JSON.parse('{"inputs": {"data": {"__proto__": {"polluted": "yes"}, "k": 1}}}') as {
      inputs: Record<string, unknown>;
    };
    const res = await runFlow(flow, body.inputs, { services, executors: coreExecutors });
    expect(res.status).toBe('succeeded');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const y = res.outputs.y as Record<string, unknown>;
    expect(y.k).toBe(1);
    expect(y.polluted).toBeUndefined(); // not inherited through a swapped prototype
    expect(Object.hasOwn(y, '__proto__')).toBe(true);
  });

  it('a single-node run cannot swap the prototype of its node inputs', async () => {
    const v = oneNode(
      { type: 'validator', config: { rules: [{ kind: 'enum', values: ['evil'] }], onFail: 'error' } },
      'value',
      'value',
      [{ name: 'x', type: 'any' }],
    );
    const given = JSON.parse('{"__proto__": {"value": "evil"}}') as Record<string, unknown>;
    const res = await runFlow(
      v,
      {},
      { services, executors: coreExecutors, only: { nodeId: 'n', inputs: { ...given } } },
    );
    // Had `value` been inherited from the smuggled prototype, the enum rule would pass.
    expect(res.status).toBe('failed');
    expect(res.trace.spans.find((sp) => sp.nodeId === 'n')?.outputs.value).toBeUndefined();
    expect(({} as Record<string, unknown>).value).toBeUndefined();
  });

  it('checked run inputs have a null prototype', () => {
    const checked = checkRunInputs(flow, { data: { k: 1 } });
    expect(Object.getPrototypeOf(checked)).toBeNull();
    expect(checked.data).toEqual({ k: 1 });
  });

  it('the flow schema refuses __proto__, constructor and prototype as names', () => {
    const res = validateFlow({
      schemaVersion: 1,
      id: 'names',
      name: 'names',
      inputs: [{ name: '__proto__' }, { name: 'constructor' }],
      outputs: [{ name: 'prototype' }],
      nodes: [
        { id: 'in', type: 'input', position: { x: 0, y: 0 } },
        {
          id: 'c',
          type: 'condition',
          position: { x: 0, y: 0 },
          config: { branches: [{ name: 'constructor', when: 'true' }] },
        },
        {
          id: 't',
          type: 'tool',
          position: { x: 0, y: 0 },
          config: { kind: 'code', inputs: [{ name: '__proto__' }] },
        },
        {
          id: 'm',
          type: 'transform',
          position: { x: 0, y: 0 },
          config: { mode: 'template', template: 'hi {{constructor}}' },
        },
      ],
    });
    expect(res.ok).toBe(false);
    const byPath = new Map(res.problems.map((p) => [p.path, p.message]));
    for (const path of [
      'inputs[0].name',
      'inputs[1].name',
      'outputs[0].name',
      'nodes[1].config.branches[0].name',
      'nodes[2].config.inputs[0].name',
    ]) {
      expect(byPath.get(path), path).toMatch(/other than __proto__, constructor or prototype/);
    }
    expect(res.problems.find((p) => p.nodeId === 'm')?.message).toMatch(/\{\{constructor\}\} is a reserved name/);
  });
});
