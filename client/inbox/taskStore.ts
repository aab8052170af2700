/**
 * Pending human tasks, shared by the sidebar badge and the Inbox page (the shell loads this
 * module, so it imports nothing of the editor). Polled while the window is visible (fast
 * while the Inbox is open), and at once when the window regains focus or after a decision.
 */
import { create } from 'zustand';
import { tasksApi, type HumanTask } from './api';

/** A decision made in this window (listed under the pending tasks, with a link to its run). */
export interface DecidedHere {
  task: HumanTask;
  /** "Approved", "Rejected", "Submitted". */
  verb: string;
  at: number;
}

export interface TaskListState {
  tasks: HumanTask[] | null;
  decided: DecidedHere[];
  /** Remember a decision made here (newest first, the last 10). */
  noteDecided(task: HumanTask, verb: string): void;
  error: string | null;
  loadedAt: number;
  refresh(): Promise<void>;
  /** Drop a decided task at once (the next refresh confirms). */
  remove(taskId: string): void;
}

let inflight: Promise<void> | null = null;

export const useTasks = create<TaskListState>()((set, get) => ({
  tasks: null,
  decided: [],
  noteDecided: (task, verb) => set({ decided: [{ task, verb, at: Date.now() }, ...get().decided].slice(0, 10) }),
  error: null,
  loadedAt: 0,
  refresh() {
    inflight ??= tasksApi
      .pending()
      .then(
        (tasks) => set({ tasks, error: null, loadedAt: Date.now() }),
        (err: unknown) => set({ error: (err as Error).message || String(err), loadedAt: Date.now() }),
      )
      .finally(() => {
        inflight = null;
      });
    return inflight;
  },
  remove(taskId) {
    const tasks = get().tasks;
    if (tasks) set({ tasks: tasks.filter((t) => t.id !== taskId) });
  },
}));

let pollers = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let fastPollers = 0;

function tick() {
  timer = undefined;
  if (pollers === 0) return;
  const next = () => {
    if (pollers > 0) timer = setTimeout(tick, fastPollers > 0 ? 2_000 : 10_000);
  };
  if (document.visibilityState !== 'visible') return next();
  void useTasks.getState().refresh().finally(next);
}

const onFocus = () => void useTasks.getState().refresh();

/**
 * Keep the pending list fresh while the caller is mounted; `fast` polls every 2 s (the Inbox
 * page), else every 10 s (the badge). Returns the stop function for an effect.
 */
export function pollTasks(fast = false): () => void {
  pollers++;
  if (fast) fastPollers++;
  if (pollers === 1) window.addEventListener('focus', onFocus);
  if (timer === undefined) tick();
  else if (fast) {
    clearTimeout(timer);
    tick();
  }
  return () => {
    pollers--;
    if (fast) fastPollers--;
    if (pollers === 0) {
      window.removeEventListener('focus', onFocus);
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    }
  };
}
