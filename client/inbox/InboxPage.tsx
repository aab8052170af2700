import './inbox.css';
import { useEffect, useRef, useState } from 'react';
import { useRoute } from '../app/router';
import { pollTasks, useTasks } from './taskStore';
import { TaskDetail, isTyping } from './TaskDetail';
import { ago, dueIn, KIND_LABEL, preview } from './format';
import { plural } from '../ui/plural';
import { modalOpen } from '../ui/Modal';

const REVIEWER_KEY = 'braid.reviewer';

/**
 * The Inbox: every pending task across flows (oldest first), the selected one's context and
 * decision. Keyboard: j/k or ↓/↑ move, a approves (or submits the form), r rejects,
 * c writes a comment, Esc leaves a field, Ctrl/⌘+Enter decides from inside a field.
 */
export default function InboxPage() {
  const route = useRoute();
  const wanted = route.split('/').filter(Boolean).map(decodeURIComponent)[1];
  const tasks = useTasks((s) => s.tasks);
  const error = useTasks((s) => s.error);
  const [selected, setSelected] = useState<string | null>(wanted ?? null);
  const [reviewer, setReviewer] = useState(() => localStorage.getItem(REVIEWER_KEY) ?? '');
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => pollTasks(true), []);
  useEffect(() => {
    if (wanted) setSelected(wanted);
  }, [wanted]);

  // The selection follows the list: a decided (vanished) task hands over to its neighbour.
  const lastIndex = useRef(0);
  const index = tasks ? tasks.findIndex((t) => t.id === selected) : -1;
  if (index >= 0) lastIndex.current = index;
  const current =
    tasks && tasks.length ? tasks[index >= 0 ? index : Math.min(lastIndex.current, tasks.length - 1)] : null;

  const tasksRef = useRef(tasks);
  tasksRef.current = tasks;
  const currentRef = useRef(current);
  currentRef.current = current;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      // A dialog on top (cancel the run?) has the keyboard: j/k must not move the selection under it.
      if (modalOpen()) return;
      const list = tasksRef.current ?? [];
      if (!list.length) return;
      const at = Math.max(
        0,
        list.findIndex((t) => t.id === currentRef.current?.id),
      );
      let next = -1;
      if (e.key === 'j' || e.key === 'ArrowDown') next = Math.min(list.length - 1, at + 1);
      else if (e.key === 'k' || e.key === 'ArrowUp') next = Math.max(0, at - 1);
      if (next < 0) return;
      e.preventDefault();
      setSelected(list[next].id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [current?.id]);

  return (
    <div className="page inbox-page" data-testid="inbox-page">
      <div className="page-head">
        <h2>Inbox</h2>
        <span className="muted" data-testid="inbox-count">
          {tasks ? (tasks.length ? plural(tasks.length, 'pending task') : 'nothing pending') : ''}
        </span>
        <span className="spacer" />
        <label className="small inbox-reviewer">
          Deciding as{' '}
          <input
            className="input"
            aria-label="your name"
            placeholder="your name"
            value={reviewer}
            onChange={(e) => {
              setReviewer(e.target.value);
              localStorage.setItem(REVIEWER_KEY, e.target.value);
            }}
          />
        </label>
      </div>
      <div className="inbox-hint small muted" data-testid="inbox-hint">
        <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd> move · <kbd>a</kbd> approve / submit · <kbd>r</kbd>{' '}
        reject · <kbd>c</kbd> comment · <kbd>Esc</kbd> leave a field · <kbd>Ctrl</kbd>+<kbd>Enter</kbd> decide from a
        field
      </div>
      {error ? (
        <div className="field-error" role="alert">
          Tasks unavailable: {error}
        </div>
      ) : null}
      {tasks === null && !error ? <div className="muted">Loading…</div> : null}
      {tasks && tasks.length === 0 ? (
        <div className="empty-page inbox-empty" data-testid="inbox-empty">
          <h3>Nothing to decide</h3>
          <p className="muted">
            Runs that reach a Human node, or an agent tool that needs approval, wait here until someone decides.
          </p>
        </div>
      ) : null}
      {tasks && current ? (
        <div className="inbox-body">
          <ul className="inbox-list" role="listbox" aria-label="Pending tasks" ref={listRef} data-testid="inbox-list">
            {tasks.map((t) => (
              <li
                key={t.id}
                role="option"
                aria-selected={t.id === current.id}
                className={`inbox-item ${t.id === current.id ? 'active' : ''}`}
                data-testid={`inbox-item-${t.id}`}
                onClick={() => setSelected(t.id)}
              >
                <div className="row">
                  <span className={`task-kind kind-${t.kind}`}>{KIND_LABEL[t.kind]}</span>
                  <b className="ellipsis">{t.flowName ?? t.flowId}</b>
                  <span className="spacer" />
                  <span className="muted small">{ago(t.createdAt)}</span>
                </div>
                <div className="inbox-item-msg small">
                  {preview(t.message, 140) || <i className="muted">no message</i>}
                </div>
                <div className="muted small mono">
                  {t.nodeId}
                  {t.item !== undefined ? ` · item ${t.item + 1}` : ''}
                  {t.deadline !== undefined ? (
                    <span className={t.deadline - Date.now() < 3_600_000 ? 'task-due-soon' : ''}>
                      {' '}
                      · due {dueIn(t.deadline)}
                    </span>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
          <TaskDetail
            key={current.id}
            task={current}
            reviewer={reviewer}
            onDecided={(task, verb) => {
              useTasks.getState().noteDecided(task, verb);
              useTasks.getState().remove(task.id);
              void useTasks.getState().refresh();
            }}
            onCancelled={(task) => {
              useTasks.getState().noteDecided(task, 'Run cancelled');
              // Every task of that run is withdrawn, not only this one.
              const tasks = useTasks.getState().tasks ?? [];
              for (const t of tasks) if (t.runId === task.runId) useTasks.getState().remove(t.id);
              void useTasks.getState().refresh();
            }}
          />
        </div>
      ) : null}
      <DecidedList />
    </div>
  );
}

/** What was decided in this window, each with a link to its run (to watch it resume). */
function DecidedList() {
  const decided = useTasks((s) => s.decided);
  if (!decided.length) return null;
  return (
    <section className="inbox-decided" data-testid="inbox-decided">
      <h4>Decided here</h4>
      <ul>
        {decided.map(({ task, verb, at }) => (
          <li key={task.id} className="small">
            <span className={`status-chip ${verb === 'Rejected' ? 'st-failed' : 'st-succeeded'}`}>{verb}</span>{' '}
            {task.flowName ?? task.flowId} › <span className="mono">{task.nodeId}</span> ·{' '}
            <a
              className="mono"
              href={`#/flows/${encodeURIComponent(task.flowId)}/runs/${encodeURIComponent(task.runId)}`}
              data-testid={`decided-run-${task.id}`}
            >
              open run {task.runId.slice(0, 12)}
            </a>{' '}
            <span className="muted">{ago(at)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
