import { NumberInput } from '../ui/NumberInput';
import { plural } from '../ui/plural';
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../api/http';
import type { DatasetInfo, EvaluationInfo, MetricInput, MetricType } from '../../shared/api/evaluation';
import type { Flow } from '../../shared/flow/schema';
import { Modal } from '../ui/Modal';
import { evalApi } from './api';

/** How BLEU and ROUGE split text into tokens (docs/evaluation.md → Tokenization). */
type TextTokenization = 'default' | 'ja' | 'char';
const TOKENIZATION_LABEL: Record<TextTokenization, string> = {
  default: 'default (sacreBLEU 13a / rouge-score: Latin letters and digits only)',
  ja: 'Japanese (morphological, kuromoji)',
  char: 'characters (Chinese, Korean, mixed CJK)',
};
const TEXT_METRICS = new Set<MetricType>(['bleu', 'rouge1', 'rouge2', 'rougeL', 'rougeLsum']);

/** A picked metric as sent: BLEU and ROUGE carry the chosen tokenization when it is not the default. */
function metricSpec(m: MetricType, tokenization: TextTokenization): MetricInput {
  if (tokenization === 'default' || !TEXT_METRICS.has(m)) return m;
  if (m === 'bleu') return { type: 'bleu', tokenize: tokenization };
  return { type: m as 'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum', tokenizer: tokenization };
}

const SIMPLE_METRICS: MetricType[] = [
  'exact_match',
  'contains',
  'json_valid',
  'levenshtein',
  'bleu',
  'rouge1',
  'rouge2',
  'rougeL',
  'rougeLsum',
  'embedding_cosine',
  'groundedness',
  'context_relevance',
  'answer_relevance',
  'latency',
  'tokens',
  'cost',
];

/** Pick a flow, a dataset, the column mapping, metrics and concurrency; errors come back per field. */
export function NewEvaluationDialog({
  datasets,
  initialDataset,
  onClose,
  onCreated,
}: {
  datasets: DatasetInfo[];
  initialDataset?: string;
  onClose: () => void;
  onCreated: (e: EvaluationInfo) => void;
}) {
  const [flows, setFlows] = useState<Array<{ id: string; name: string }>>([]);
  const [flowId, setFlowId] = useState('');
  const [flow, setFlow] = useState<Flow>();
  const [datasetId, setDatasetId] = useState(initialDataset ?? datasets[0]?.id ?? '');
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [expected, setExpected] = useState('');
  const [metrics, setMetrics] = useState<Set<MetricType>>(new Set(['exact_match']));
  const [tokenization, setTokenization] = useState<TextTokenization>('default');
  const [rubric, setRubric] = useState('');
  const [evaluator, setEvaluator] = useState('');
  const [concurrency, setConcurrency] = useState(8);
  const [concurrencyOk, setConcurrencyOk] = useState(true);
  const [problems, setProblems] = useState<Array<{ path: string; message: string }>>([]);
  const [busy, setBusy] = useState(false);
  const dataset = datasets.find((d) => d.id === datasetId);
  const columns = useMemo(() => dataset?.latestVersion?.columns ?? [], [dataset]);

  useEffect(() => {
    void api.listFlows().then((fs) => {
      setFlows(fs.map((f) => ({ id: f.id, name: f.name })));
      if (fs[0]) setFlowId((cur) => cur || fs[0].id);
    });
  }, []);
  useEffect(() => {
    if (!flowId) return;
    void api.getFlow(flowId).then((f) => setFlow(f.flow));
  }, [flowId]);
  useEffect(() => {
    if (!flow) return;
    const m: Record<string, string> = {};
    for (const i of flow.inputs)
      m[i.name] = columns.includes(i.name) ? i.name : (columns.find((c) => !['expected', 'answer'].includes(c)) ?? '');
    setMapping(m);
    setExpected(columns.includes('expected') ? 'expected' : columns.includes('answer') ? 'answer' : '');
  }, [flow, columns]);

  const submit = async () => {
    setBusy(true);
    setProblems([]);
    const specs: MetricInput[] = [...metrics].map((m) => metricSpec(m, tokenization));
    if (rubric.trim()) specs.push({ type: 'llm_judge', name: 'judge', rubric: rubric.trim() });
    if (evaluator) specs.push({ type: 'evaluator_flow', flow: evaluator });
    try {
      const e = await evalApi.create({
        flowId,
        datasetId,
        config: {
          mapping: Object.fromEntries(Object.entries(mapping).filter(([, c]) => c)),
          ...(expected ? { expected } : {}),
          metrics: specs,
          concurrency,
        },
      });
      onCreated(e);
    } catch (err) {
      const details =
        err instanceof ApiError
          ? (err.details as { problems?: Array<{ path: string; message: string }> } | undefined)
          : undefined;
      setProblems(details?.problems ?? [{ path: '', message: (err as Error).message }]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title="New evaluation"
      onClose={onClose}
      testId="new-evaluation"
      wide
      footer={
        <>
          <button className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            className="btn btn-primary"
            disabled={busy || !flowId || !datasetId || !concurrencyOk}
            onClick={() => void submit()}
            data-testid="start-evaluation"
          >
            Start evaluation
          </button>
        </>
      }
    >
      <div className="fields">
        <label className="field">
          <span className="field-label">Flow</span>
          <select className="input" value={flowId} onChange={(e) => setFlowId(e.target.value)} data-testid="eval-flow">
            {flows.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name} ({f.id})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Dataset</span>
          <select
            className="input"
            value={datasetId}
            onChange={(e) => setDatasetId(e.target.value)}
            data-testid="eval-dataset"
          >
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} (v{d.latestVersion?.version}, {plural(d.latestVersion?.rowCount ?? 0, 'row')})
              </option>
            ))}
          </select>
        </label>
        {flow?.inputs.map((i) => (
          <label className="field" key={i.name}>
            <span className="field-label">
              Input <code>{i.name}</code> ← column
            </span>
            <select
              className="input"
              value={mapping[i.name] ?? ''}
              onChange={(e) => setMapping({ ...mapping, [i.name]: e.target.value })}
              data-testid={`map-${i.name}`}
            >
              <option value="">(not mapped)</option>
              {columns.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        ))}
        <label className="field">
          <span className="field-label">Reference (expected) column</span>
          <select
            className="input"
            value={expected}
            onChange={(e) => setExpected(e.target.value)}
            data-testid="eval-expected"
          >
            <option value="">(none)</option>
            {columns.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <div className="field">
          <span className="field-label">Metrics</span>
          <div className="eval-metric-grid">
            {SIMPLE_METRICS.map((m) => (
              <label key={m} className="check">
                <input
                  type="checkbox"
                  checked={metrics.has(m)}
                  onChange={(e) => {
                    const next = new Set(metrics);
                    if (e.target.checked) next.add(m);
                    else next.delete(m);
                    setMetrics(next);
                  }}
                  data-testid={`metric-${m}`}
                />
                {m}
              </label>
            ))}
          </div>
        </div>
        {[...metrics].some((m) => TEXT_METRICS.has(m)) ? (
          <label className="field">
            <span className="field-label">Tokenization for BLEU and ROUGE</span>
            <select
              className="input"
              value={tokenization}
              onChange={(e) => setTokenization(e.target.value as TextTokenization)}
              data-testid="eval-tokenization"
            >
              {(Object.keys(TOKENIZATION_LABEL) as TextTokenization[]).map((t) => (
                <option key={t} value={t}>
                  {TOKENIZATION_LABEL[t]}
                </option>
              ))}
            </select>
            {tokenization === 'default' ? (
              <span className="field-help">
                The default scores Japanese, Chinese and Korean text 0 even for a perfect answer: pick Japanese or
                characters for such datasets.
              </span>
            ) : null}
          </label>
        ) : null}
        <label className="field">
          <span className="field-label">LLM judge rubric (optional, scored 1–5)</span>
          <textarea
            className="input"
            rows={2}
            value={rubric}
            onChange={(e) => setRubric(e.target.value)}
            placeholder="e.g. Is the answer correct, concise and polite?"
          />
        </label>
        <label className="field">
          <span className="field-label">
            Evaluator flow (optional: a flow taking output / expected / row and returning numbers)
          </span>
          <select
            className="input"
            value={evaluator}
            onChange={(e) => setEvaluator(e.target.value)}
            data-testid="eval-evaluator"
          >
            <option value="">(none)</option>
            {flows
              .filter((f) => f.id !== flowId)
              .map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name} ({f.id})
                </option>
              ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Concurrency</span>
          <NumberInput
            label="Concurrency"
            integer
            min={1}
            max={256}
            value={concurrency}
            onChange={(n) => n !== undefined && setConcurrency(n)}
            onValidity={setConcurrencyOk}
          />
        </label>
        {problems.length > 0 && (
          <div className="banner" data-testid="eval-problems">
            {problems.map((p, i) => (
              <div key={i}>
                {p.path && <code>{p.path}</code>} {p.message}
              </div>
            ))}
          </div>
        )}
      </div>
    </Modal>
  );
}
