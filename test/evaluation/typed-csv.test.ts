/**
 * Through the real app: CSV cells typed by the flow's inputs (bad cells fail their row
 * before the flow runs, naming column and line), JSON-array reference cells as several
 * references, metric options refused with the accepted values, failed rows as misses,
 * and CSV exports with a UTF-8 BOM on request. Japanese data, no model (a code tool).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, startHarness, type Harness } from '../http/harness';
import type { EvaluationInfo, RowResult } from '../../shared/api/evaluation';

const typedFlow = {
  schemaVersion: 1,
  id: 'typed',
  name: 'Typed inputs',
  inputs: [
    { name: 'city', type: 'string', required: true },
    { name: 'count', type: 'number', required: true },
    { name: 'urgent', type: 'boolean', required: true },
    { name: 'meta', type: 'json', required: true },
  ],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'fmt',
      type: 'tool',
      position: { x: 300, y: 0 },
      config: {
        kind: 'code',
        // Throws unless the types arrived converted.
        code:
          "if (typeof count !== 'number' || typeof urgent !== 'boolean' || typeof meta !== 'object') throw new Error('untyped');\n" +
          "return city + '×' + count * 2 + (urgent ? '!' : '') + meta.unit;",
        inputs: [
          { name: 'city', type: 'string', required: true },
          { name: 'count', type: 'number', required: true },
          { name: 'urgent', type: 'boolean', required: true },
          { name: 'meta', type: 'json', required: true },
        ],
      },
    },
    { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
  ],
  edges: [
    ...['city', 'count', 'urgent', 'meta'].map((p) => ({
      source: 'inputs',
      sourcePort: p,
      target: 'fmt',
      targetPort: p,
    })),
    { source: 'fmt', sourcePort: 'result', target: 'outputs', targetPort: 'answer' },
  ],
};

const CSV = [
  'city,count,urgent,meta,expected',
  // Two references in a JSON array; the second is the answer.
  '東京,3,yes,"{""unit"":""個""}","[""とうきょう"",""東京×6!個""]"',
  // Full-width digit, as typed in a Japanese spreadsheet.
  '大阪,２,no,"{""unit"":""本""}",大阪×4本',
  '京都,三,true,"{""unit"":""枚""}",京都×6!枚',
  '名古屋,1,たぶん,{壊れた,x',
  '',
].join('\n');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ examples: false, files: { 'typed.flow.json': JSON.stringify(typedFlow) } });
});
afterAll(async () => h?.close());

async function finished(id: string): Promise<EvaluationInfo> {
  const frames = await readSse(
    await h.api(`/api/evaluations/${id}/events`, { headers: { accept: 'text/event-stream' } }),
  );
  expect(frames.at(-1)?.event).toBe('finished');
  return ((await (await h.api(`/api/evaluations/${id}`)).json()) as { evaluation: EvaluationInfo }).evaluation;
}

describe('typed CSV datasets, several references, metric options, BOM exports', () => {
  it('runs end to end over HTTP', async () => {
    const up = await h.api('/api/datasets?name=cities&filename=cities.csv', {
      method: 'POST',
      body: CSV,
      headers: { 'content-type': 'text/csv' },
    });
    expect(up.status).toBe(201);
    const { dataset } = (await up.json()) as { dataset: { id: string } };

    // An unknown option value is refused before anything runs, with the accepted values.
    const bad = await h.api('/api/evaluations', {
      method: 'POST',
      json: { flowId: 'typed', datasetId: dataset.id, config: { metrics: [{ type: 'bleu', tokenize: 'mecab' }] } },
    });
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { error: { code: string; details: { problems: unknown[] } } };
    expect(err.error.code).toBe('invalid_mapping');
    expect(err.error.details.problems).toContainEqual({
      path: 'metrics[0].tokenize',
      message: '"mecab" is not accepted (accepted: 13a, none, intl, char, zh, ja)',
    });

    const res = await h.api('/api/evaluations', {
      method: 'POST',
      json: {
        flowId: 'typed',
        datasetId: dataset.id,
        config: { metrics: ['exact_match', { type: 'rougeL', tokenizer: 'char' }], concurrency: 2 },
      },
    });
    expect(res.status).toBe(201);
    const { evaluation } = (await res.json()) as { evaluation: EvaluationInfo };
    expect(evaluation.config.datasetFormat).toBe('csv');
    // The pre-run check found the bad cells before any row ran, and says so in the create response.
    expect(evaluation.cellProblems).toEqual({
      rows: 2,
      first: [
        { rowIdx: 2, message: 'column "count" (line 4): "三" is not a number (input "count" is number)' },
        { rowIdx: 3, message: expect.stringMatching(/^column "urgent" \(line 5\)/) },
      ],
    });
    const done = await finished(evaluation.id);
    expect(done.status).toBe('completed');

    const { rows } = (await (await h.api(`/api/evaluations/${evaluation.id}/results`)).json()) as { rows: RowResult[] };
    const [tokyo, osaka, kyoto, nagoya] = rows;
    expect(tokyo).toMatchObject({
      status: 'succeeded',
      inputs: { city: '東京', count: 3, urgent: true, meta: { unit: '個' } },
      outputs: { answer: '東京×6!個' },
      expected: ['とうきょう', '東京×6!個'],
      metrics: { exact_match: { value: 1, passed: true }, rougeL: { value: 1 } },
    });
    expect(osaka).toMatchObject({
      status: 'succeeded',
      inputs: { count: 2, urgent: false },
      outputs: { answer: '大阪×4本' },
    });
    // Bad cells fail their row before the flow runs (no run at all), naming column and line.
    expect(kyoto).toMatchObject({
      status: 'failed',
      runId: null,
      error: {
        code: 'invalid_cell',
        message: 'column "count" (line 4): "三" is not a number (input "count" is number)',
      },
    });
    expect(nagoya.runId).toBeNull();
    expect(nagoya.error?.message).toMatch(
      /^column "urgent" \(line 5\): "たぶん" is not a boolean .*; column "meta" \(line 5\): "\{壊れた" is not JSON/,
    );
    // Failed rows are misses for boolean metrics: 2 of 4.
    const em = done.summary?.metrics.find((m) => m.name === 'exact_match');
    expect(em).toMatchObject({ passRate: 0.5, count: 4 });

    // The deploy gate applies the same rule: the failed rows fail the implied failed_rate<=0.
    const deploy = (thresholds: string[]) =>
      h.api('/api/flows/typed/deployments', {
        method: 'POST',
        json: { gate: { evaluationId: evaluation.id, thresholds } },
      });
    const refused = await deploy(['exact_match>=0.5']);
    expect(refused.status).toBe(409);
    const why = (await refused.json()) as {
      error: { code: string; details: { problems: Array<{ code: string; message: string }> } };
    };
    expect(why.error.code).toBe('gate_failed');
    expect(why.error.details.problems).toEqual([
      {
        code: 'threshold_failed',
        message: expect.stringMatching(/^failed_rate = 0\.5 does not satisfy <= 0 \(implied/),
      },
    ]);
    expect((await deploy(['exact_match>=0.5', 'failed_rate<=0.5'])).status).toBe(201);

    // CSV export with a UTF-8 BOM (the UI's download) and without.
    const withBom = new Uint8Array(
      await (await h.api(`/api/evaluations/${evaluation.id}/export?format=csv&bom=1`)).arrayBuffer(),
    );
    expect([...withBom.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(withBom)).toContain('東京×6!個');
    const plain = new Uint8Array(
      await (await h.api(`/api/evaluations/${evaluation.id}/export?format=csv`)).arrayBuffer(),
    );
    expect(String.fromCharCode(...plain.slice(0, 3))).toBe('row');
  }, 120_000);
});
