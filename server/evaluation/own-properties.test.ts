/**
 * Issue 9 item 16: evaluation column mapping reads only a row's own properties. A column
 * named `constructor` (or `toString`) that a row lacks is missing, never Object.prototype's
 * function, and a flow input named `constructor` is not "mapped" by inheritance.
 */
import { describe, expect, it } from 'vitest';
import type { Flow } from '../../shared';
import type { DatasetVersionInfo, EvaluationConfig } from '../../shared/api/evaluation';
import { RunInputError } from '../runtime/types';
import { checkMapping, MappingError } from './mapping';
import { runRow } from './row';
import { qaFlow } from './test-fixtures';

describe('evaluation rows and mappings read own properties only', () => {
  it('a row without the mapped column gives no input and no reference', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const config: EvaluationConfig = {
      mapping: { question: 'constructor' },
      expected: 'toString',
      output: 'answer',
      metrics: [],
      concurrency: 1,
    };
    const run = (data: Record<string, unknown>) =>
      runRow(
        {
          runFlow: async (_flow, inputs) => {
            seen.push(inputs);
            throw new RunInputError([{ path: 'question', message: 'required' }]);
          },
          services: { config: {} as never },
        },
        qaFlow(),
        config,
        [],
        { idx: 0, data },
        new AbortController().signal,
      );
    const missing = await run(JSON.parse('{"q":"質問"}') as Record<string, unknown>);
    expect(seen[0]).toEqual({});
    expect(Object.hasOwn(seen[0]!, 'question')).toBe(false);
    expect(missing.result.expected).toBeUndefined();
    // A row that has the columns passes their values through.
    await run(JSON.parse('{"constructor":"コンストラクタとは？","toString":"答え"}') as Record<string, unknown>);
    expect(seen[1]).toEqual({ question: 'コンストラクタとは？' });
  });

  it('a required flow input named like an Object.prototype member must really be mapped', () => {
    const flow = qaFlow();
    const f: Flow = { ...flow, inputs: [{ name: 'constructor', type: 'string', required: true }] };
    const version = { columns: ['q', 'expected'] } as unknown as DatasetVersionInfo;
    let err: unknown;
    try {
      checkMapping(f, version, { mapping: {}, metrics: ['exact_match'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).problems).toContainEqual({
      path: 'mapping.constructor',
      message: 'required input "constructor" is not mapped to a column',
    });
    // …and a column of that name maps to it by name.
    const ok = checkMapping(f, { columns: ['constructor', 'expected'] } as unknown as DatasetVersionInfo, {
      metrics: ['exact_match'],
    });
    expect(ok.mapping).toEqual({ constructor: 'constructor' });
  });
});
