import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '../api/http';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { tasksApi, type HumanTask } from './api';
import { formFields, initialDrafts, readForm, type FormDrafts } from './formSchema';
import { TaskForm } from './TaskForm';
import { CancelWaitingRun } from '../panels/CancelWaitingRun';
import { ago, dueIn, KIND_LABEL, preview } from './format';
import { modalOpen } from '../ui/Modal';

/** True when a key press is typing into a field (shortcuts stay out of the way). */
export function isTyping(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/**
 * Why a decision was refused because someone decided first: "Already decided by ana
 * (approved)". The 409 names the decision when it can; else the task is read again.
 */
async function conflictText(err: ApiError, taskId: string): Promise<string> {
  const d = (err.details && typeof err.details === 'object' ? err.details : {}) as Record<string, unknown>;
  let decision = d.decision && typeof d.decision === 'object' ? (d.decision as Record<string, unknown>) : undefined;
  let status = typeof d.status === 'string' ? d.status : undefined;
  if (!decision) {
    const now = await tasksApi.get(taskId).catch(() => null);
    if (now?.decision) decision = { decidedBy: now.decision.decidedBy };
    status = now?.status ?? status;
  }
  const by = typeof decision?.decidedBy === 'string' && decision.decidedBy ? decision.decidedBy : null;
  const what = status?.replace('_', ' ');
  if (by || what)
    return `Already decided${by ? ` by ${by}` : ''}${what ? ` (${what})` : ''}: your decision was not applied.`;
  return `${err.message} Your decision was not applied.`;
}

function ContextTable({ values, testId }: { values: Record<string, unknown>; testId: string }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <p className="muted small">None.</p>;
  return (
    <dl className="task-kv" data-testid={testId}>
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt className="mono">{k}</dt>
          <dd className={typeof v === 'string' ? '' : 'mono'}>{preview(v, 600)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * The run's context for a task: the run's inputs and what the asking node received (its
 * span's inputs), read from `GET /api/runs/:id`.
 */
function useRunContext(task: HumanTask): {
  inputs?: Record<string, unknown>;
  data?: Record<string, unknown>;
  status?: string;
} {
  const [ctx, setCtx] = useState<{ inputs?: Record<string, unknown>; data?: Record<string, unknown>; status?: string }>(
    {},
  );
  useEffect(() => {
    let alive = true;
    api.getRun(task.runId).then(
      (rec) => {
        if (!alive) return;
        // A node of the run itself (not of a map item's run): its span holds what it received.
        const span = task.path === task.nodeId ? rec.trace?.spans.find((sp) => sp.nodeId === task.nodeId) : undefined;
        setCtx({ inputs: rec.inputs, ...(span ? { data: span.inputs } : {}), status: rec.status });
      },
      () => undefined, // the task's own fields still show
    );
    return () => {
      alive = false;
    };
  }, [task.runId, task.path, task.nodeId]);
  return ctx;
}

/** One task: its context, the form or the tool call, a comment, approve / reject. */
export function TaskDetail({
  task,
  reviewer,
  onDecided,
  onCancelled,
}: {
  task: HumanTask;
  reviewer: string;
  onDecided(task: HumanTask, verb: string): void;
  /** The task's run was cancelled from here: its tasks (this one and any others) are gone. */
  onCancelled(task: HumanTask): void;
}) {
  const fields = useMemo(() => (task.kind === 'input' ? formFields(task.fields) : []), [task.kind, task.fields]);
  const [drafts, setDrafts] = useState<FormDrafts>(() => initialDrafts(fields));
  const [tried, setTried] = useState(false);
  const [comment, setComment] = useState('');
  const [args, setArgs] = useState(() => (task.tool ? JSON.stringify(task.tool.arguments ?? {}, null, 2) : ''));
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const toast = useUi((s) => s.toast);

  const form = useMemo(() => readForm(fields, drafts), [fields, drafts]);
  const context = useRunContext(task);
  const argsProblem = useMemo(() => {
    if (task.kind !== 'tool') return null;
    try {
      const v: unknown = JSON.parse(args);
      return v && typeof v === 'object' && !Array.isArray(v) ? null : 'The arguments must be a JSON object.';
    } catch (e) {
      return `Not valid JSON: ${(e as Error).message}`;
    }
  }, [args, task.kind]);

  const decide = async (decision: 'approve' | 'reject') => {
    if (busy) return;
    setError(null);
    if (decision === 'approve' && task.kind === 'input' && Object.keys(form.errors).length) {
      setTried(true);
      const first = fields.find((f) => form.errors[f.name]);
      if (first) rootRef.current?.querySelector<HTMLElement>(`[name="${CSS.escape(first.name)}"]`)?.focus();
      return;
    }
    if (decision === 'approve' && argsProblem) {
      setTried(true);
      return;
    }
    setBusy(decision);
    try {
      await tasksApi.decide(task.id, {
        decision,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
        ...(reviewer.trim() ? { decidedBy: reviewer.trim() } : {}),
        ...(decision === 'approve' && task.kind === 'input' ? { response: form.values } : {}),
        // Edited arguments replace the model's (sent only when they differ).
        ...(decision === 'approve' &&
        task.kind === 'tool' &&
        JSON.stringify(JSON.parse(args)) !== JSON.stringify(task.tool?.arguments ?? {})
          ? { response: JSON.parse(args) as Record<string, unknown> }
          : {}),
      });
      const verb =
        task.kind === 'input' && decision === 'approve'
          ? 'Submitted'
          : decision === 'approve'
            ? 'Approved'
            : 'Rejected';
      toast('success', `${verb}: the run resumes.`);
      onDecided(task, verb);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setError(await conflictText(err, task.id));
        return;
      }
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };
  const decideRef = useRef(decide);
  decideRef.current = decide;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey) return;
      // A dialog on top (cancel the run?) has the keyboard: "a" there must not approve.
      if (modalOpen()) return;
      // Ctrl/⌘+Enter decides from anywhere, fields included (approve, or submit a form).
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void decideRef.current('approve');
        return;
      }
      if (isTyping(e)) {
        if (e.key === 'Escape') (e.target as HTMLElement).blur();
        return;
      }
      if (e.ctrlKey || e.metaKey) return;
      if (e.key === 'a') {
        e.preventDefault();
        void decideRef.current('approve');
      } else if (e.key === 'r') {
        e.preventDefault();
        void decideRef.current('reject');
      } else if (e.key === 'c') {
        e.preventDefault();
        commentRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const shownErrors = tried ? form.errors : {};
  const flowLabel = task.flowName ?? task.flowId;
  return (
    <div className="task-detail" ref={rootRef} data-testid="task-detail" data-task-id={task.id}>
      <div className="task-detail-head">
        <span className={`task-kind kind-${task.kind}`}>{KIND_LABEL[task.kind]}</span>
        <h3>
          {flowLabel} <span className="muted">›</span> <span className="mono">{task.nodeId}</span>
          {task.item !== undefined ? <span className="muted small"> · item {task.item + 1}</span> : null}
        </h3>
      </div>
      <div className="task-meta small muted">
        <span>
          Run{' '}
          <a
            className="mono"
            href={`#/flows/${encodeURIComponent(task.flowId)}/runs/${encodeURIComponent(task.runId)}`}
            data-testid="task-run-link"
            title="Open the flow with this run on the canvas"
          >
            {task.runId.slice(0, 12)}
          </a>
        </span>
        <span title={task.createdAt ? new Date(task.createdAt).toLocaleString() : undefined}>
          Waiting since {task.createdAt ? new Date(task.createdAt).toLocaleString() : '—'} ({ago(task.createdAt)})
        </span>
        {task.deadline !== undefined ? (
          <span
            className={task.deadline - Date.now() < 3_600_000 ? 'task-due-soon' : ''}
            title={new Date(task.deadline).toLocaleString()}
            data-testid="task-deadline"
          >
            Deadline {new Date(task.deadline).toLocaleString()} ({dueIn(task.deadline)})
            {task.onTimeout
              ? `, then ${task.onTimeout === 'fail' ? 'the run fails' : `${task.onTimeout === 'reject' ? 'rejected' : 'approved'} automatically`}`
              : ''}
          </span>
        ) : (
          <span>No deadline</span>
        )}
      </div>

      <div className="task-message" data-testid="task-message">
        {task.message || <span className="muted">(no message)</span>}
      </div>

      {task.kind === 'tool' && task.tool ? (
        <section className="task-section">
          <h4>Tool call</h4>
          <div className="small">
            The agent wants to call <b className="mono">{task.tool.name}</b> with these arguments. Edit them before
            approving if needed; a rejection and its comment go back to the model.
          </div>
          <textarea
            className={`input mono task-args ${tried && argsProblem ? 'invalid' : ''}`}
            rows={Math.min(14, Math.max(4, args.split('\n').length + 1))}
            aria-label="tool arguments (JSON)"
            aria-invalid={argsProblem ? true : undefined}
            data-testid="task-tool-args"
            value={args}
            onChange={(e) => setArgs(e.target.value)}
            spellCheck={false}
          />
          {argsProblem ? (
            <div className="field-error" role="alert" data-testid="task-args-error">
              {argsProblem}
            </div>
          ) : null}
        </section>
      ) : null}

      {task.kind === 'input' ? (
        <section className="task-section">
          <h4>Fill in</h4>
          <TaskForm
            fields={fields}
            drafts={drafts}
            errors={shownErrors}
            onChange={(name, v) => setDrafts((d) => ({ ...d, [name]: v }))}
          />
        </section>
      ) : null}

      <section className="task-section">
        <label className="field-label" htmlFor={`comment-${task.id}`}>
          Comment{' '}
          <span className="muted">(optional{task.kind === 'tool' ? '; a rejection sends it to the model' : ''})</span>
        </label>
        <textarea
          id={`comment-${task.id}`}
          ref={commentRef}
          className="input"
          rows={2}
          data-testid="task-comment"
          placeholder="Why you decided so (press c to write, Esc to leave)"
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
      </section>

      {error ? (
        <div className="field-error task-error" role="alert" data-testid="task-error">
          {error}
        </div>
      ) : null}
      <div className="row task-actions">
        <button
          className="btn btn-primary"
          onClick={() => void decide('approve')}
          disabled={busy !== null}
          data-testid="task-approve"
        >
          {busy === 'approve' ? 'Sending…' : task.kind === 'input' ? 'Submit' : 'Approve'} <kbd>a</kbd>
        </button>
        <button
          className="btn btn-danger"
          onClick={() => void decide('reject')}
          disabled={busy !== null}
          data-testid="task-reject"
        >
          {busy === 'reject' ? 'Sending…' : 'Reject'} <kbd>r</kbd>
        </button>
        {reviewer.trim() ? <span className="muted small">as {reviewer.trim()}</span> : null}
        <span className="task-actions-end">
          <CancelWaitingRun runId={task.runId} small testId="task-cancel-run" onCancelled={() => onCancelled(task)} />
        </span>
      </div>

      <section className="task-section">
        <h4>Run inputs</h4>
        {context.inputs ? (
          <ContextTable values={context.inputs} testId="task-inputs" />
        ) : (
          <p className="muted small">Loading…</p>
        )}
      </section>
      {context.data && Object.keys(context.data).length ? (
        <details className="task-section" open>
          <summary className="small">What the node received</summary>
          <ContextTable values={context.data} testId="task-data" />
        </details>
      ) : null}
    </div>
  );
}
