/**
 * Model-backed metrics against the fake OpenAI server: the LLM judge (rubric → score +
 * reason), the RAG triad over a trace's retrieval spans, embedding cosine, and evaluator
 * flows through the real runtime. No published reference values exist for judged
 * metrics, so these check the prompts sent, the parsing and the normalisation.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Flow, Trace } from '../../../shared';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai';
import { loadConfig } from '../../config';
import { runFlow } from '../../runtime/index';
import { buildMetric, type MetricContext } from './index';
import { parseJudgeReply } from './llm';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const config = () => loadConfig({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
const lastUser = (i: number) =>
  String(
    (fake.calls[i].body as { messages: Array<{ role: string; content: string }> }).messages.find(
      (m) => m.role === 'user',
    )?.content,
  );

function ctx(over: Partial<MetricContext> = {}): MetricContext {
  return {
    row: {},
    inputs: { question: 'What is the capital of France?' },
    outputs: { answer: 'Paris' },
    output: 'Paris',
    expected: 'Paris',
    latencyMs: 12,
    ...over,
  };
}

function ragTrace(docs: string[]): Trace {
  return {
    runId: 'r',
    flowId: 'rag',
    status: 'succeeded',
    startedAt: 0,
    durationMs: 10,
    inputs: {},
    outputs: {},
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 },
    spans: [
      {
        nodeId: 'search',
        nodeType: 'retrieval',
        status: 'succeeded',
        inputs: { query: 'capital of France' },
        outputs: { documents: docs.map((text, i) => ({ text, score: 1 - i / 10, metadata: {} })) },
        startedAt: 0,
        durationMs: 1,
        attempts: 1,
      },
    ],
  };
}

describe('LLM-judged metrics', () => {
  it('parses judge replies with prose or code fences', () => {
    expect(parseJudgeReply('```json\n{"score": 4, "reason": "ok"}\n```')).toEqual({ score: 4, reason: 'ok' });
    expect(parseJudgeReply('Score: 3')).toMatchObject({ score: 3 });
    expect(() => parseJudgeReply('no idea')).toThrow(/did not return a score/);
  });

  it('llm_judge sends the rubric, input, response and reference; returns score, reason and pass', async () => {
    fake.setResponder(() => ({ json: { score: 4, reason: 'correct and brief' } }));
    const m = buildMetric({ type: 'llm_judge', rubric: 'Is the answer correct?', passAt: 4 }, { config: config() });
    const s = await m.score(ctx());
    expect(s).toMatchObject({ value: 4, passed: true, reason: 'correct and brief' });
    const prompt = lastUser(0);
    expect(prompt).toContain('RUBRIC:\nIs the answer correct?');
    expect(prompt).toContain('RESPONSE:\nParis');
    expect(prompt).toContain('REFERENCE ANSWER:\nParis');
    fake.setResponder(() => ({ json: { score: 9, reason: 'over the top' } }));
    expect((await m.score(ctx())).value).toBe(5); // clamped to the 1–5 scale
  });

  it('groundedness and context relevance use the retrieval spans of the trace; scores are 0–10 normalised to 0–1', async () => {
    fake.setResponder((req) => {
      const user = String(req.messages.at(-1)?.content);
      return { json: { score: user.includes('Berlin') ? 2 : 8, reason: 'r' } };
    });
    const trace = ragTrace(['Paris is the capital of France.', 'Berlin is the capital of Germany.']);
    const g = await buildMetric('groundedness', { config: config() }).score(ctx({ trace }));
    expect(g.value).toBe(0.2); // the context given to the judge contains both chunks (so "Berlin")
    expect(lastUser(0)).toContain('[1] Paris is the capital of France.');
    fake.reset();
    fake.setResponder((req) => ({
      json: { score: String(req.messages.at(-1)?.content).includes('Berlin') ? 2 : 8, reason: 'r' },
    }));
    const cr = await buildMetric('context_relevance', { config: config() }).score(ctx({ trace }));
    expect(cr.value).toBeCloseTo(0.5, 10); // mean of 0.8 and 0.2, one judge call per chunk
    expect(fake.calls).toHaveLength(2);
    expect(lastUser(0)).toContain('QUESTION:\ncapital of France');
    const ar = await buildMetric('answer_relevance', { config: config() }).score(ctx({ trace }));
    expect(ar.value).toBe(0.8);
    const none = await buildMetric('groundedness', { config: config() }).score(ctx());
    expect(none.value).toBeNull();
    expect(none.error).toMatch(/no retrieval node/);
  });

  it('embedding_cosine calls /embeddings; identical texts score 1, different ones less', async () => {
    const m = buildMetric('embedding_cosine', { config: config() });
    expect((await m.score(ctx())).value).toBeCloseTo(1, 6);
    const diff = (await m.score(ctx({ output: 'Lyon' }))).value as number;
    expect(diff).toBeLessThan(0.9);
    expect(fake.calls.at(-1)?.path).toBe('/v1/embeddings');
    expect((fake.calls.at(-1)?.body as { model: string }).model).toBe('text-embedding-3-small');
  });

  it('evaluator_flow runs a flow over row/output/expected and takes its numeric output', async () => {
    const evaluator = {
      schemaVersion: 1,
      id: 'length-ratio',
      name: 'Length ratio',
      inputs: [
        { name: 'output', type: 'string', required: true },
        { name: 'expected', type: 'string', required: true },
      ],
      outputs: [{ name: 'score', type: 'json' }],
      nodes: [
        { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
        {
          id: 'ratio',
          type: 'transform',
          position: { x: 200, y: 0 },
          config: {
            mode: 'jsonata',
            expression: '$length(output) / $length(expected)',
            inputs: [
              { name: 'output', type: 'string', required: true },
              { name: 'expected', type: 'string', required: true },
            ],
          },
        },
        { id: 'outputs', type: 'output', position: { x: 400, y: 0 } },
      ],
      edges: [
        { source: 'inputs', sourcePort: 'output', target: 'ratio', targetPort: 'output' },
        { source: 'inputs', sourcePort: 'expected', target: 'ratio', targetPort: 'expected' },
        { source: 'ratio', sourcePort: 'result', target: 'outputs', targetPort: 'score' },
      ],
    } as unknown as Flow;
    const m = buildMetric(
      { type: 'evaluator_flow', flow: 'length-ratio' },
      { config: config(), runFlow, loadFlow: async () => evaluator },
    );
    expect(m.name).toBe('length-ratio');
    const s = await m.score(ctx({ output: 'Paris!', expected: 'Paris' }));
    expect(s.value).toBeCloseTo(6 / 5, 10);
    expect(s.details?.outputs).toEqual({ score: 1.2 });
  });
});
