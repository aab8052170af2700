/**
 * The Evaluations page: datasets (upload, preview), evaluations (new, live progress,
 * results, drill-down, export) and side-by-side comparison of two evaluations.
 */
import { plural } from '../ui/plural';
import { useCallback, useEffect, useState } from 'react';
import type { DatasetInfo, EvaluationInfo } from '../../shared/api/evaluation';
import { datasetNameOf, evalApi } from './api';
import { CompareView } from './CompareView';
import { DatasetPreview } from './DatasetPreview';
import { EvaluationView } from './EvaluationView';
import { NewEvaluationDialog } from './NewEvaluationDialog';
import './evaluation.css';

type Selection =
  | { kind: 'dataset'; id: string }
  | { kind: 'evaluation'; id: string }
  | { kind: 'compare'; a: string; b: string }
  | undefined;

export default function EvaluationPage() {
  const [datasets, setDatasets] = useState<DatasetInfo[]>([]);
  const [evaluations, setEvaluations] = useState<EvaluationInfo[]>([]);
  const [sel, setSel] = useState<Selection>();
  const [checked, setChecked] = useState<string[]>([]);
  const [dialog, setDialog] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [message, setMessage] = useState<{ text: string; bad?: boolean }>();
  const [over, setOver] = useState(false);

  const refresh = useCallback(() => {
    void evalApi.datasets().then(setDatasets);
    void evalApi.evaluations().then(setEvaluations);
  }, []);
  useEffect(refresh, [refresh]);

  const upload = async (file: File | undefined) => {
    if (!file) return;
    setUploading(true);
    setMessage(undefined);
    try {
      // A file whose name (without extension) matches a dataset becomes its next version.
      const existing = datasets.find((d) => d.name === datasetNameOf(file.name));
      const r = await evalApi.upload(file, existing?.id);
      setMessage({
        text: r.reused
          ? `${file.name}: unchanged (still v${r.version.version})`
          : `${file.name}: v${r.version.version}, ${plural(r.version.rowCount, 'row')}${r.version.badRowCount ? `, ${plural(r.version.badRowCount, 'bad row')} skipped` : ''}`,
      });
      refresh();
      setSel({ kind: 'dataset', id: r.dataset.id });
    } catch (e) {
      setMessage({ text: (e as Error).message, bad: true });
    } finally {
      setUploading(false);
    }
  };

  const toggle = (id: string) => setChecked((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c.slice(-1), id]));
  const byId = (id: string) => evaluations.find((e) => e.id === id);
  const selectedDataset = sel?.kind === 'dataset' ? datasets.find((d) => d.id === sel.id) : undefined;
  const cmpA = sel?.kind === 'compare' ? byId(sel.a) : undefined;
  const cmpB = sel?.kind === 'compare' ? byId(sel.b) : undefined;

  return (
    <div className="page eval-page" data-testid="evaluation-page">
      <div className="page-head">
        <h2>Evaluations</h2>
        <span className="nav-spacer" />
        <button
          className="btn btn-primary"
          disabled={datasets.length === 0}
          onClick={() => setDialog(true)}
          data-testid="new-evaluation-button"
        >
          New evaluation
        </button>
      </div>
      <div className="eval-layout">
        <nav className="eval-side">
          <label
            className={`eval-dropzone${over ? ' over' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setOver(true);
            }}
            onDragLeave={() => setOver(false)}
            onDrop={(e) => {
              e.preventDefault();
              setOver(false);
              void upload(e.dataTransfer.files[0]);
            }}
          >
            {uploading ? 'uploading…' : 'Drop a CSV / JSONL file here or click to upload'}
            <input
              type="file"
              accept=".csv,.jsonl,.ndjson,.tsv,text/csv,application/x-ndjson"
              hidden
              onChange={(e) => void upload(e.target.files?.[0])}
              data-testid="dataset-upload"
            />
          </label>
          {message && (
            <div className={message.bad ? 'banner' : 'muted eval-small'} data-testid="upload-message">
              {message.text}
            </div>
          )}
          <h4>Datasets</h4>
          {datasets.map((d) => (
            <button
              key={d.id}
              className={`eval-item${sel?.kind === 'dataset' && sel.id === d.id ? ' active' : ''}`}
              onClick={() => setSel({ kind: 'dataset', id: d.id })}
              data-testid={`dataset-${d.name}`}
            >
              <span className="grow">{d.name}</span>
              <span className="muted eval-small">
                v{d.latestVersion?.version} · {plural(d.latestVersion?.rowCount ?? 0, 'row')}
              </span>
            </button>
          ))}
          <h4>Evaluations</h4>
          {checked.length === 2 && (
            <button
              className="btn btn-small"
              onClick={() => setSel({ kind: 'compare', a: checked[0], b: checked[1] })}
              data-testid="compare-button"
            >
              Compare the two checked
            </button>
          )}
          {evaluations.map((e) => (
            <div
              key={e.id}
              className={`eval-item${sel?.kind === 'evaluation' && sel.id === e.id ? ' active' : ''}`}
              onClick={() => setSel({ kind: 'evaluation', id: e.id })}
              data-testid={`evaluation-item-${e.id}`}
            >
              <input
                type="checkbox"
                checked={checked.includes(e.id)}
                onClick={(ev) => ev.stopPropagation()}
                onChange={() => toggle(e.id)}
                aria-label="select for comparison"
              />
              <span className="grow" title={e.name}>
                {e.name}
              </span>
              <span className={`eval-status eval-status-${e.status}`}>{e.status}</span>
            </div>
          ))}
        </nav>
        <main className="eval-main">
          {!sel && (
            <p className="muted">
              Upload a dataset, then start a new evaluation. Check two evaluations of the same dataset version to
              compare them.
            </p>
          )}
          {selectedDataset && (
            <DatasetPreview
              dataset={selectedDataset}
              evaluations={evaluations.filter((e) => e.datasetId === selectedDataset.id)}
              onChanged={refresh}
              onDeleted={() => {
                setSel(undefined);
                refresh();
              }}
            />
          )}
          {sel?.kind === 'evaluation' && (
            <EvaluationView
              key={sel.id}
              evaluationId={sel.id}
              datasets={datasets}
              onChanged={refresh}
              onDeleted={() => {
                setSel(undefined);
                setChecked((c) => c.filter((x) => x !== sel.id));
                refresh();
              }}
            />
          )}
          {cmpA && cmpB && <CompareView a={cmpA} b={cmpB} />}
        </main>
      </div>
      {dialog && (
        <NewEvaluationDialog
          datasets={datasets}
          initialDataset={sel?.kind === 'dataset' ? sel.id : undefined}
          onClose={() => setDialog(false)}
          onCreated={(e) => {
            setDialog(false);
            refresh();
            setSel({ kind: 'evaluation', id: e.id });
          }}
        />
      )}
    </div>
  );
}
