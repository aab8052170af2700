import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Flow } from '../../shared/flow/schema';
import { api, type FlowSummary } from '../api/http';
import { navigate } from '../app/router';
import { Modal } from '../ui/Modal';
import { Icon } from '../ui/Icon';
import { useUi } from '../store/uiStore';
import { describeError } from '../panels/runController';
import { freeId } from '../store/persist';
import { exportFlow, newFlow, slugify } from './flowFiles';
import { FlowNameField } from './FlowNameField';
import { NewFlowDialog, type NewFlowChoice } from './NewFlowDialog';
import { loadEditor } from './editorModule';

type Dialog = { kind: 'create' } | { kind: 'rename'; flow: FlowSummary } | { kind: 'delete'; flow: FlowSummary } | null;

/** All flows in the flows folder: search, create, open, rename, duplicate, delete, import, export. */
export function FlowListPage() {
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [dialog, setDialog] = useState<Dialog>(null);
  const [name, setName] = useState('');
  const fileRef = useRef<HTMLInputElement>(null);
  const toast = useUi((s) => s.toast);

  const reload = useCallback(() => {
    api
      .listFlows()
      .then((f) => {
        setFlows(f);
        setError(null);
      })
      .catch((e) => setError(describeError(e)));
  }, []);
  useEffect(reload, [reload]);
  useEffect(() => {
    // Most visits end in the editor: fetch its code while the user reads the list.
    const t = setTimeout(() => void loadEditor(), 300);
    return () => clearTimeout(t);
  }, []);

  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (flows ?? [])
      .filter((f) => !needle || f.name.toLowerCase().includes(needle) || f.id.includes(needle))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [flows, q]);
  const taken = () => new Set((flows ?? []).map((f) => f.id));

  const guard = (fn: () => Promise<void>) => () => {
    fn().catch((e) => toast('error', describeError(e)));
  };

  const create = (choice: NewFlowChoice) =>
    guard(async () => {
      const ids = taken();
      const id = ids.has(slugify(choice.name)) ? freeId(slugify(choice.name), ids) : slugify(choice.name);
      let created: Flow;
      if (!choice.template) created = (await api.createFlow(newFlow(id, choice.name))).flow;
      else {
        // The flows a template calls come along (a folder that has one keeps its own).
        for (const called of choice.called) if (!ids.has(called.id)) await api.createFlow(called, { draft: true });
        created = (await api.createFlow({ ...choice.template, id, name: choice.name }, { draft: true })).flow;
      }
      setDialog(null);
      navigate(`/flows/${created.id ?? id}`);
    })();
  const rename = (f: FlowSummary) =>
    guard(async () => {
      const { flow, etag } = await api.getFlow(f.id);
      await api.saveFlow({ ...flow, name: name.trim() || flow.name }, etag, { draft: true });
      setDialog(null);
      reload();
    })();
  const duplicate = (f: FlowSummary) =>
    guard(async () => {
      const { flow } = await api.getFlow(f.id);
      const copy: Flow = { ...flow, id: freeId(f.id, taken()), name: `${flow.name} (copy)` };
      await api.createFlow(copy, { draft: true });
      toast('success', `Duplicated as ${copy.id}`);
      reload();
    })();
  const remove = (f: FlowSummary) =>
    guard(async () => {
      await api.deleteFlow(f.id);
      setDialog(null);
      toast('success', `Deleted ${f.name}`);
      reload();
    })();
  const onImport = guard(async () => {
    const file = fileRef.current?.files?.[0];
    if (!file) return;
    fileRef.current!.value = '';
    let parsed: Flow;
    try {
      parsed = JSON.parse(await file.text()) as Flow;
    } catch (e) {
      throw new Error(`${file.name} is not JSON: ${(e as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.nodes))
      throw new Error(`${file.name} is not a Braid flow (no nodes list).`);
    const base = slugify(String(parsed.id ?? file.name.replace(/\.flow\.json$|\.json$/, '')));
    const id = taken().has(base) ? freeId(base, taken()) : base;
    // A half-built flow imports too (it keeps its problems); a broken file format is refused.
    const { problems } = await api.createFlow({ ...parsed, id }, { draft: true });
    const errors = problems.filter((p) => p.severity !== 'warning').length;
    toast(errors ? 'info' : 'success', `Imported ${file.name} as ${id}${errors ? ` with ${errors} problem(s)` : ''}`);
    navigate(`/flows/${id}`);
  });

  return (
    <div className="page" data-testid="flow-list">
      <header className="page-head">
        <h1>Flows</h1>
        <input
          className="input search"
          placeholder="Search flows…"
          aria-label="Search flows"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <div className="row">
          <button className="btn" onClick={() => fileRef.current?.click()}>
            <Icon name="upload" size={14} /> Import
          </button>
          <input
            ref={fileRef}
            type="file"
            accept=".json,application/json"
            hidden
            onChange={onImport}
            data-testid="import-input"
          />
          <button
            className="btn btn-primary"
            onClick={() => {
              setName('');
              setDialog({ kind: 'create' });
            }}
            data-testid="new-flow"
          >
            <Icon name="plus" size={14} /> New flow
          </button>
        </div>
      </header>
      {error ? (
        <div className="field-error pad" role="alert">
          Could not load flows: {error}
        </div>
      ) : null}
      {flows && flows.length === 0 ? (
        <div className="empty-page">
          <h2>No flows yet</h2>
          <p className="muted">
            A flow is a graph of prompts, retrieval, tools and validators, saved as one <code>.flow.json</code> file.
          </p>
          <button
            className="btn btn-primary"
            onClick={() => {
              setName('');
              setDialog({ kind: 'create' });
            }}
          >
            Create your first flow
          </button>
        </div>
      ) : null}
      {flows && flows.length > 0 && shown.length === 0 ? <p className="muted pad">No flow matches “{q}”.</p> : null}
      <div className="flow-grid">
        {shown.map((f) => (
          <div key={f.id} className="flow-card" data-testid={`flow-${f.id}`}>
            <a className="flow-card-main" href={`#/flows/${encodeURIComponent(f.id)}`}>
              <div className="flow-card-name">{f.name}</div>
              <div className="muted mono small">{f.id}.flow.json</div>
              {f.description ? <div className="small flow-card-desc">{f.description}</div> : null}
              <div className="muted small">
                {f.nodeCount !== undefined ? `${f.nodeCount} nodes` : ''}
                {f.updatedAt ? ` · updated ${new Date(f.updatedAt).toLocaleString()}` : ''}
              </div>
              {f.valid === false ? (
                <div
                  className="flow-card-problems small"
                  data-testid={`flow-problems-${f.id}`}
                  title="Saved as work in progress: it cannot run or deploy until the problems are fixed"
                >
                  <Icon name="alert" size={12} /> {f.errorCount ?? f.problemCount ?? 0} problem
                  {(f.errorCount ?? f.problemCount) === 1 ? '' : 's'}
                </div>
              ) : null}
            </a>
            <div className="flow-card-actions">
              <button
                className="btn-icon"
                title="Rename"
                aria-label={`Rename ${f.name}`}
                onClick={() => {
                  setName(f.name);
                  setDialog({ kind: 'rename', flow: f });
                }}
              >
                <Icon name="edit" size={14} />
              </button>
              <button
                className="btn-icon"
                title="Duplicate"
                aria-label={`Duplicate ${f.name}`}
                onClick={() => duplicate(f)}
              >
                <Icon name="copy" size={14} />
              </button>
              <button
                className="btn-icon"
                title="Export .flow.json"
                aria-label={`Export ${f.name}`}
                onClick={guard(() => exportFlow(f.id))}
              >
                <Icon name="download" size={14} />
              </button>
              <button
                className="btn-icon danger"
                title="Delete"
                aria-label={`Delete ${f.name}`}
                onClick={() => setDialog({ kind: 'delete', flow: f })}
              >
                <Icon name="trash" size={14} />
              </button>
            </div>
          </div>
        ))}
      </div>
      {dialog?.kind === 'create' ? <NewFlowDialog onClose={() => setDialog(null)} onCreate={create} /> : null}
      {dialog?.kind === 'rename' ? (
        <Modal
          title={`Rename ${dialog.flow.name}`}
          onClose={() => setDialog(null)}
          footer={
            <button
              className="btn btn-primary"
              disabled={!name.trim()}
              onClick={() => rename(dialog.flow)}
              data-testid="dialog-ok"
            >
              Rename
            </button>
          }
        >
          <FlowNameField value={name} onChange={setName} onEnter={() => name.trim() && rename(dialog.flow)} />
        </Modal>
      ) : null}
      {dialog?.kind === 'delete' ? (
        <Modal
          title="Delete flow?"
          onClose={() => setDialog(null)}
          testId="delete-dialog"
          footer={
            <>
              <button className="btn" onClick={() => setDialog(null)}>
                Cancel
              </button>
              <button className="btn btn-danger" onClick={() => remove(dialog.flow)} data-testid="confirm-delete">
                Delete
              </button>
            </>
          }
        >
          <p>
            <b>{dialog.flow.name}</b> (<code>{dialog.flow.id}.flow.json</code>) will be deleted from the flows folder.
            This cannot be undone here.
          </p>
        </Modal>
      ) : null}
    </div>
  );
}
