/**
 * LLM-judged metrics: a rubric judge (score + reason on a configurable scale) and the
 * RAG triad of TruLens — groundedness of the answer in the retrieved context, context
 * relevance of each retrieved chunk to the question, answer relevance to the question —
 * using the retrieval spans recorded in the run's trace. Triad scores are 0..1
 * (the judge answers on 0..10, normalised as TruLens does).
 */
import type { MetricScore } from '../../../shared/api/evaluation';
import type { Trace } from '../../../shared';
import { parseJudgeReply, type ChatFn } from './llm';

export const DEFAULT_JUDGE_MODEL = 'openai:gpt-4o-mini';

export async function rubricJudge(
  chat: ChatFn,
  p: {
    model: string;
    rubric: string;
    input: unknown;
    output: string;
    expected?: string;
    scale: { min: number; max: number };
    passAt?: number;
    signal?: AbortSignal;
  },
): Promise<MetricScore> {
  const system =
    `You are a strict evaluator. Grade the RESPONSE against the RUBRIC on an integer scale from ${p.scale.min} (worst) to ${p.scale.max} (best). ` +
    'Reply with JSON only: {"score": <number>, "reason": "<one or two sentences>"}.';
  const user = [
    `RUBRIC:\n${p.rubric}`,
    `INPUT:\n${typeof p.input === 'string' ? p.input : JSON.stringify(p.input)}`,
    `RESPONSE:\n${p.output}`,
    p.expected !== undefined && p.expected !== '' ? `REFERENCE ANSWER:\n${p.expected}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  const reply = await chat(
    [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    { model: p.model, signal: p.signal },
  );
  const { score, reason } = parseJudgeReply(reply.text);
  const clamped = Math.min(p.scale.max, Math.max(p.scale.min, score));
  return {
    value: clamped,
    reason,
    ...(p.passAt !== undefined ? { passed: clamped >= p.passAt } : {}),
    details: { model: p.model, raw: score, usage: reply.usage },
  };
}

export interface RetrievalContext {
  query: string;
  chunks: string[];
}

/** The retrieval spans of a trace: their query and the text of the documents they returned. */
export function retrievalContext(trace: Trace | undefined): RetrievalContext | undefined {
  if (!trace) return undefined;
  const spans = trace.spans.filter((s) => s.nodeType === 'retrieval' && s.status === 'succeeded');
  if (spans.length === 0) return undefined;
  const chunks: string[] = [];
  let query = '';
  for (const s of spans) {
    if (!query && typeof s.inputs.query === 'string') query = s.inputs.query;
    const docs = s.outputs.documents;
    if (Array.isArray(docs)) {
      for (const d of docs) {
        if (typeof d === 'string') chunks.push(d);
        else if (d && typeof d === 'object' && typeof (d as { text?: unknown }).text === 'string')
          chunks.push((d as { text: string }).text);
      }
    }
  }
  return { query, chunks };
}

async function judge010(
  chat: ChatFn,
  model: string,
  instruction: string,
  body: string,
  signal?: AbortSignal,
): Promise<{ value: number; reason: string }> {
  const reply = await chat(
    [
      {
        role: 'system',
        content: `${instruction} Answer on an integer scale from 0 to 10. Reply with JSON only: {"score": <0-10>, "reason": "<one sentence>"}.`,
      },
      { role: 'user', content: body },
    ],
    { model, signal },
  );
  const { score, reason } = parseJudgeReply(reply.text);
  return { value: Math.min(10, Math.max(0, score)) / 10, reason };
}

export type RagMetric = 'groundedness' | 'context_relevance' | 'answer_relevance';

export async function ragTriad(
  chat: ChatFn,
  kind: RagMetric,
  p: { model: string; trace?: Trace; question: string; answer: string; signal?: AbortSignal },
): Promise<MetricScore> {
  const question = p.question;
  if (kind === 'answer_relevance') {
    const r = await judge010(
      chat,
      p.model,
      'Rate how relevant and helpful the ANSWER is to the QUESTION.',
      `QUESTION:\n${question}\n\nANSWER:\n${p.answer}`,
      p.signal,
    );
    return { value: r.value, reason: r.reason, details: { model: p.model } };
  }
  const ctx = retrievalContext(p.trace);
  if (!ctx)
    return {
      value: null,
      error: 'no retrieval node ran in this flow (the RAG metrics need a retrieval span in the trace)',
    };
  if (ctx.chunks.length === 0)
    return { value: 0, reason: 'the retrieval returned no documents', details: { chunks: 0 } };
  if (kind === 'context_relevance') {
    const q = ctx.query || question;
    const scores = [];
    for (const chunk of ctx.chunks) {
      scores.push(
        await judge010(
          chat,
          p.model,
          'Rate how relevant the CONTEXT is to answering the QUESTION.',
          `QUESTION:\n${q}\n\nCONTEXT:\n${chunk}`,
          p.signal,
        ),
      );
    }
    const mean = scores.reduce((s, r) => s + r.value, 0) / scores.length;
    return {
      value: mean,
      reason: scores.map((s, i) => `#${i + 1}: ${s.value.toFixed(1)} ${s.reason}`).join(' | '),
      details: { model: p.model, perChunk: scores.map((s) => s.value) },
    };
  }
  const context = ctx.chunks.map((c, i) => `[${i + 1}] ${c}`).join('\n\n');
  const r = await judge010(
    chat,
    p.model,
    'Rate how well every claim in the ANSWER is supported by the CONTEXT (10 = fully supported, 0 = unsupported or contradicted). Ignore whether the answer is helpful.',
    `CONTEXT:\n${context}\n\nANSWER:\n${p.answer}`,
    p.signal,
  );
  return { value: r.value, reason: r.reason, details: { model: p.model, chunks: ctx.chunks.length } };
}
