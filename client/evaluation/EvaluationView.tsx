import { useEffect, useState } from 'react';
import type { DatasetInfo, EvaluationEvent, EvaluationInfo, EvaluationSummary } from '../../shared/api/evaluation';
import { evalApi, fmt } from './api';
import { ConfirmDeleteDialog, RenameDialog } from './ManageDialogs';
import { MetricChart } from './MetricChart';
import { ResultsTable } from './ResultsTable';
import { RowDrawer } from './RowDrawer';

/** One evaluation: live progress (SSE), summary and charts, the results table, row drill-down, export. */
export function EvaluationView({
  evaluationId,
  datasets,
  onChanged,
  onDeleted,
}: {
  evaluationId: string;
  /** Every dataset (to name this evaluation's, or say it was deleted). */
  datasets: DatasetInfo[];
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const [info, setInfo] = useState<EvaluationInfo>();
  const [dialog, setDialog] = useState<'rename' | 'delete'>();
  const [progress, setProgress] = useState<{
    done: number;
    failed: number;
    total: number;
    concurrency: number;
    status: string;
  }>();
  const [summary, setSummary] = useState<EvaluationSummary | null>(null);
  const [filter, setFilter] = useState('all');
  const [open, setOpen] = useState<number>();
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setOpen(undefined);
    void evalApi.evaluation(evaluationId).then((e) => {
      if (cancelled) return;
      setInfo(e);
      setSummary(e.summary);
      setProgress({
        done: e.done,
        failed: e.failed,
        total: e.total,
        concurrency: e.concurrencyNow ?? 0,
        status: e.status,
      });
    });
    const es = new EventSource(evalApi.eventsUrl(evaluationId));
    let lastRefresh = 0;
    const onProgress = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as Extract<EvaluationEvent, { type: 'progress' }>;
      setProgress({ done: e.done, failed: e.failed, total: e.total, concurrency: e.concurrency, status: e.status });
      if (Date.now() - lastRefresh > 1500) {
        lastRefresh = Date.now();
        setVersion((v) => v + 1);
      }
    };
    const onFinished = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as Extract<EvaluationEvent, { type: 'finished' }>;
      setSummary(e.summary);
      setVersion((v) => v + 1);
      void evalApi.evaluation(evaluationId).then((x) => {
        if (!cancelled) {
          setInfo(x);
          setProgress({ done: x.done, failed: x.failed, total: x.total, concurrency: 0, status: x.status });
        }
      });
      onChanged();
      es.close();
      clearInterval(poll);
    };
    es.addEventListener('progress', onProgress as EventListener);
    es.addEventListener('finished', onFinished as EventListener);
    // A running evaluation may carry a warning (`no_workers`) that no event announces: re-read it now and then.
    const poll: ReturnType<typeof setInterval> = setInterval(() => {
      void evalApi
        .evaluation(evaluationId)
        .then((x) => {
          if (!cancelled) setInfo(x);
        })
        .catch(() => undefined);
    }, 3000);
    return () => {
      cancelled = true;
      clearInterval(poll);
      es.close();
    };
  }, [evaluationId, onChanged]);

  if (!info || !progress) return <p className="muted pad">loading…</p>;
  const metrics = info.config.metrics.map((m) =>
    typeof m === 'string' ? m : (m.name ?? (m.type === 'evaluator_flow' ? m.flow : m.type)),
  );
  const running = progress.status === 'running' || progress.status === 'queued';
  const dataset = datasets.find((d) => d.id === info.datasetId);
  const pct = progress.total ? Math.round((progress.done / progress.total) * 100) : 100;
  const count =
    filter === 'failed' ? progress.failed : filter === 'succeeded' ? progress.done - progress.failed : progress.done;

  return (
    <div className="eval-view" data-testid="evaluation-view">
      <div className="eval-row">
        <h3 data-testid="evaluation-title">{info.name}</h3>
        <span className={`eval-status eval-status-${progress.status}`} data-testid="eval-status">
          {progress.status}
        </span>
        <span className="nav-spacer" />
        {running ? (
          <button
            className="btn btn-small btn-danger"
            onClick={() => void evalApi.cancel(info.id).then(onChanged)}
            data-testid="cancel-evaluation"
          >
            Cancel
          </button>
        ) : progress.status !== 'completed' && dataset ? (
          <button
            className="btn btn-small"
            onClick={() => void evalApi.resume(info.id).then(() => setVersion((v) => v + 1))}
          >
            Resume
          </button>
        ) : null}
        <a className="btn btn-small" href={evalApi.exportUrl(info.id, 'csv')} download data-testid="export-csv">
          Export CSV
        </a>
        <a className="btn btn-small" href={evalApi.exportUrl(info.id, 'jsonl')} download>
          Export JSONL
        </a>
        <button className="btn btn-small" onClick={() => setDialog('rename')} data-testid="rename-evaluation">
          Rename
        </button>
        <button
          className="btn btn-small btn-danger"
          disabled={running}
          title={running ? 'Cancel the evaluation before deleting it' : undefined}
          onClick={() => setDialog('delete')}
          data-testid="delete-evaluation"
        >
          Delete
        </button>
      </div>
      <p className="muted eval-small" data-testid="evaluation-dataset">
        Flow <code>{info.flowId}</code> on dataset{' '}
        {dataset ? <strong>{dataset.name}</strong> : <em data-testid="dataset-deleted">deleted dataset</em>}
        {dataset ? '' : ' (results are kept; it cannot be resumed)'}
      </p>
      {dialog === 'rename' && (
        <RenameDialog
          title="Rename evaluation"
          initial={info.name}
          testId="rename-evaluation-dialog"
          onClose={() => setDialog(undefined)}
          onSave={async (name) => {
            setInfo(await evalApi.renameEvaluation(info.id, { name }));
            onChanged();
          }}
        />
      )}
      {dialog === 'delete' && (
        <ConfirmDeleteDialog
          title={`Delete evaluation “${info.name}”?`}
          testId="delete-evaluation-dialog"
          onClose={() => setDialog(undefined)}
          onDelete={async () => {
            await evalApi.deleteEvaluation(info.id);
            onDeleted();
          }}
        >
          <p>
            Its {progress.total} row results, scores and reviews are deleted. The dataset and the flow stay. This cannot
            be undone.
          </p>
        </ConfirmDeleteDialog>
      )}
      {info.error && (running || progress.status === 'failed') && (
        <div className="banner warn" role="alert" data-testid="eval-error">
          <span>
            {info.error.code === 'no_workers' ? (
              <>
                No worker is running these rows (they wait in the Redis queue): start <code>braid worker</code> with the
                same <code>REDIS_URL</code> and database, or enable <code>BRAID_EVAL_INPROCESS_WORKER</code> on the API
                processes.
              </>
            ) : (
              info.error.message
            )}
          </span>
        </div>
      )}
      <div className="eval-progress" aria-label="progress" data-testid="eval-progress">
        <div className="eval-progress-bar" style={{ width: `${pct}%` }} />
        <span>
          {progress.done}/{progress.total} rows ({pct}%){progress.failed ? ` · ${progress.failed} failed` : ''}
          {running && progress.concurrency ? ` · concurrency ${progress.concurrency}` : ''}
        </span>
      </div>
      {summary && (
        <>
          <div className="eval-cards" data-testid="eval-summary">
            <div className="eval-card">
              <div className="muted">latency</div>
              mean {fmt(summary.latency.mean, 0)} ms · p95 {fmt(summary.latency.p95, 0)} ms
            </div>
            <div className="eval-card">
              <div className="muted">tokens</div>
              {summary.tokens}
            </div>
            <div className="eval-card">
              <div className="muted">cost</div>
              {summary.costTotal === null ? 'unknown' : `$${summary.costTotal.toFixed(4)}`}
            </div>
            <div className="eval-card">
              <div className="muted">rows</div>
              {summary.succeeded} ok · {summary.failed} failed
            </div>
          </div>
          <div className="eval-charts">
            {summary.metrics.map((m) => (
              <MetricChart key={m.name} metric={m} />
            ))}
          </div>
        </>
      )}
      <div className="eval-row">
        <span className="muted">Show</span>
        <select
          className="input"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          data-testid="results-filter"
        >
          <option value="all">all rows</option>
          <option value="failed">failed rows</option>
          <option value="succeeded">succeeded rows</option>
        </select>
      </div>
      <div className="eval-split">
        <ResultsTable
          evaluationId={info.id}
          count={count}
          metrics={metrics}
          output={info.config.output}
          inputNames={Object.keys(info.config.mapping)}
          filter={filter}
          version={version}
          onOpen={setOpen}
        />
        {open !== undefined && (
          <RowDrawer
            evaluationId={info.id}
            rowIdx={open}
            onClose={() => setOpen(undefined)}
            onReviewed={() => setVersion((v) => v + 1)}
          />
        )}
      </div>
    </div>
  );
}
