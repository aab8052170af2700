import { useEffect, useState } from 'react';
import { api, type FlowHistory } from '../api/http';
import { useSession } from '../store/sessionStore';
import { useUi } from '../store/uiStore';
import { flowForDiff } from '../store/diff';
import { describeError } from '../panels/runController';

const historyCache = new Map<string, Promise<FlowHistory>>();

function shortDate(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
}

/**
 * What the Changes view compares with: the last saved version, or any commit from the flow
 * file's git history (when the flows folder is a git repository).
 */
export function DiffPicker() {
  const flowId = useSession((s) => s.flowId);
  const etag = useSession((s) => s.etag);
  const base = useUi((s) => s.diffBase);
  const [history, setHistory] = useState<FlowHistory | null>(null);
  const [loading, setLoading] = useState<string | null>(null);
  useEffect(() => {
    if (!flowId) return;
    let alive = true;
    // Re-read after each save (a commit may have happened meanwhile); cached per file version.
    const key = `${flowId}\u0000${etag ?? ''}`;
    let p = historyCache.get(key);
    if (!p) {
      p = api.flowHistory(flowId);
      historyCache.set(key, p);
      p.catch(() => historyCache.delete(key));
    }
    p.then((h) => alive && setHistory(h)).catch(
      (e) => alive && setHistory({ available: false, reason: describeError(e), commits: [] }),
    );
    return () => {
      alive = false;
    };
  }, [flowId, etag]);

  const choose = async (commit: string) => {
    if (!flowId) return;
    if (!commit) return useUi.getState().setDiffBase(null);
    const c = history?.commits.find((x) => x.commit === commit);
    setLoading(commit);
    try {
      const v = await api.flowVersion(flowId, commit);
      const label = c ? `${c.shortCommit} “${c.subject}”` : commit.slice(0, 7);
      useUi.getState().setDiffBase({ commit: v.commit, label, flow: flowForDiff(v.flow, flowId) });
    } catch (e) {
      useUi.getState().toast('error', `Could not load that version: ${describeError(e)}`);
    } finally {
      setLoading(null);
    }
  };

  const commits = history?.commits ?? [];
  return (
    <label className="diff-picker">
      <span className="muted">Compare with</span>
      <select
        className="input input-small"
        aria-label="Compare with"
        data-testid="diff-base"
        value={loading ?? base?.commit ?? ''}
        disabled={loading !== null}
        onChange={(e) => void choose(e.target.value)}
      >
        <option value="">Last saved version</option>
        {commits.map((c) => (
          <option key={c.commit} value={c.commit}>
            {c.shortCommit} · {c.subject.length > 48 ? `${c.subject.slice(0, 47)}…` : c.subject} · {shortDate(c.date)}
          </option>
        ))}
      </select>
      {history && !history.available ? (
        <span className="muted small" title={history.reason} data-testid="diff-no-history">
          no git history
        </span>
      ) : null}
    </label>
  );
}
