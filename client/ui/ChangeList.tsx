import { useEffect, useRef, useState } from 'react';
import type { FieldChange, FlowDiff, LineChange, NodeDiff, NoteDiff, SnapshotDiff } from '../../shared/flow/diff';
import { edgeKey, isEmptyDiff, isNoteLayout, wordDiff } from '../../shared/flow/diff';
import { noteLabel, previewValue } from '../../shared/flow/diff-text';
import './changes.css';

const SIGN = { added: '+', removed: '−', changed: '~', moved: '↔' } as const;

/** Unchanged lines shown around each change of a line diff; longer runs fold. */
const CONTEXT = 2;

/**
 * For each removed line replaced by a similar added line (the k-th of a run of removed
 * lines with the k-th of the added run after it, when at least 40% of the text stayed),
 * the word diff of the pair, by line index: the words that changed are marked in the lines.
 */
function wordPairs(lines: readonly LineChange[]): Map<number, LineChange[]> {
  const out = new Map<number, LineChange[]>();
  for (let i = 0; i < lines.length;) {
    if (lines[i]?.op !== 'del') {
      i++;
      continue;
    }
    let d = i;
    while (lines[d]?.op === 'del') d++;
    let a = d;
    while (lines[a]?.op === 'add') a++;
    for (let k = 0; k < Math.min(d - i, a - d, 20); k++) {
      const before = lines[i + k]?.text ?? '';
      const after = lines[d + k]?.text ?? '';
      const words = wordDiff(before, after);
      const kept = words.filter((w) => w.op === 'same').reduce((n, w) => n + w.text.length, 0);
      if (kept < 0.4 * Math.max(before.length, after.length)) continue;
      out.set(i + k, words);
      out.set(d + k, words);
    }
    i = a;
  }
  return out;
}

function LineText({ line, words }: { line: LineChange; words?: LineChange[] }) {
  if (!words) return <>{line.text || '\u00a0'}</>;
  return (
    <>
      {words
        .filter((w) => w.op === 'same' || w.op === line.op)
        .map((w, i) => (w.op === 'same' ? <span key={i}>{w.text}</span> : <mark key={i}>{w.text}</mark>))}
    </>
  );
}

/** A line diff: removed lines red, added green (changed words marked), long unchanged runs folded. */
export function LineDiffView({ lines }: { lines: readonly LineChange[] }) {
  const [open, setOpen] = useState(false);
  const pairs = wordPairs(lines);
  const near = lines.map((_, i) => lines.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((l) => l.op !== 'same'));
  const rows: Array<(LineChange & { index: number }) | { fold: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (open || near[i]) {
      rows.push({ ...(lines[i] as LineChange), index: i });
      continue;
    }
    let j = i;
    while (j < lines.length && !near[j]) j++;
    rows.push({ fold: j - i });
    i = j - 1;
  }
  return (
    <div className="line-diff" data-testid="line-diff">
      {rows.map((r, i) =>
        'fold' in r ? (
          <button key={i} className="ld-fold" onClick={() => setOpen(true)}>
            ⋯ {r.fold} unchanged line{r.fold === 1 ? '' : 's'}
          </button>
        ) : (
          <div key={i} className={`ld-${r.op}`}>
            <span className="ld-sign" aria-hidden="true">
              {r.op === 'add' ? '+' : r.op === 'del' ? '−' : ' '}
            </span>
            <span className="sr-only">{r.op === 'add' ? 'added: ' : r.op === 'del' ? 'removed: ' : ''}</span>
            <LineText line={r} words={pairs.get(r.index)} />
          </div>
        ),
      )}
    </div>
  );
}

function Value({ v }: { v: unknown }) {
  const full = v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v, null, 1);
  return (
    <code className="cl-value" title={full.length > 200 ? full : undefined}>
      {previewValue(v, 200)}
    </code>
  );
}

function FieldRow({ c }: { c: FieldChange }) {
  return (
    <li className="cl-field" data-testid="change-field" data-path={c.at}>
      <span className="cl-path">{c.at}</span>
      {c.lines ? (
        <LineDiffView lines={c.lines} />
      ) : (
        <span className="cl-values">
          {c.kind === 'added' ? (
            <>
              <span className="cl-tag cl-added">added</span> <Value v={c.after} />
            </>
          ) : c.kind === 'removed' ? (
            <>
              <span className="cl-tag cl-removed">removed</span> <Value v={c.before} />
            </>
          ) : (
            <>
              <span className="cl-before">
                <Value v={c.before} />
              </span>
              <span className="cl-arrow" aria-label="becomes">
                →
              </span>
              <span className="cl-after">
                <Value v={c.after} />
              </span>
            </>
          )}
        </span>
      )}
    </li>
  );
}

function NodeBlock({ n, focused, onNode }: { n: NodeDiff; focused: boolean; onNode?: (id: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [focused]);
  const fields = n.changes.filter((c) => c.path[0] !== 'position');
  return (
    <div
      ref={ref}
      className={`cl-node cl-${n.kind}${focused ? ' is-focused' : ''}`}
      data-testid={`change-node-${n.id}`}
    >
      <div className="cl-node-head">
        <span className={`cl-tag cl-${n.kind}`}>
          {SIGN[n.kind]} {n.kind}
        </span>
        {onNode && n.kind !== 'removed' ? (
          <button className="cl-node-link" title="Select this node" onClick={() => onNode(n.id)}>
            {n.title || n.id}
          </button>
        ) : (
          <strong>{n.title || n.id}</strong>
        )}
        {n.title && n.title !== n.id ? <span className="muted small">{n.id}</span> : null}
        <span className="muted small">{n.type}</span>
      </div>
      <FieldList fields={fields} />
    </div>
  );
}

function FieldList({ fields }: { fields: readonly FieldChange[] }) {
  if (fields.length === 0) return null;
  return (
    <ul className="cl-fields">
      {fields.map((c) => (
        <FieldRow key={c.at} c={c} />
      ))}
    </ul>
  );
}

/** A sticky note's change: its text (a line diff when edited), colour; added and removed notes show their text. */
function NoteBlock({ n }: { n: NoteDiff }) {
  const fields = n.changes.filter((c) => !isNoteLayout(c));
  return (
    <div className={`cl-node cl-note cl-${n.kind}`} data-testid={`change-note-${n.id}`}>
      <div className="cl-node-head">
        <span className={`cl-tag cl-${n.kind}`}>
          {SIGN[n.kind]} note {n.kind}
        </span>
        <strong>{noteLabel(n)}</strong>
      </div>
      {(n.kind === 'added' || n.kind === 'removed') && n.note.text ? (
        <div className="cl-note-text" data-testid="change-note-text">
          {n.note.text}
        </div>
      ) : null}
      <FieldList fields={fields} />
    </div>
  );
}

/** Every change of one flow: flow settings, nodes field by field, edges, notes. Moves are counted, not listed. */
export function FlowChanges({
  diff,
  focus,
  onNode,
}: {
  diff: FlowDiff;
  focus?: string | null;
  /** Makes node names buttons (the canvas selects the node). */
  onNode?: (id: string) => void;
}) {
  const nodes = diff.nodes.filter((n) => n.kind !== 'moved');
  const notes = diff.notes.filter((n) => n.kind !== 'moved');
  return (
    <>
      {diff.settings.length > 0 ? (
        <div className="cl-node cl-changed" data-testid="change-settings">
          <div className="cl-node-head">
            <span className="cl-tag cl-changed">~ changed</span>
            <strong>Flow settings</strong>
          </div>
          <ul className="cl-fields">
            {diff.settings.map((c) => (
              <FieldRow key={c.at} c={c} />
            ))}
          </ul>
        </div>
      ) : null}
      {nodes.map((n) => (
        <NodeBlock key={n.id} n={n} focused={focus === n.id} onNode={onNode} />
      ))}
      {diff.edges.length > 0 ? (
        <ul className="cl-edges">
          {diff.edges.map((e) => (
            <li key={`${e.kind}${edgeKey(e.edge)}`} className={`cl-${e.kind}`}>
              <span className={`cl-tag cl-${e.kind}`}>
                {SIGN[e.kind]} edge {e.kind}
              </span>{' '}
              <code>
                {e.edge.source}.{e.edge.sourcePort} → {e.edge.target}.{e.edge.targetPort}
              </code>
            </li>
          ))}
        </ul>
      ) : null}
      {notes.map((n) => (
        <NoteBlock key={n.id} n={n} />
      ))}
      {diff.summary.nodesMoved > 0 ? (
        <p className="muted small">
          {diff.summary.nodesMoved} node{diff.summary.nodesMoved === 1 ? '' : 's'} moved (layout only, not a change)
        </p>
      ) : null}
      {diff.summary.notesMoved > 0 ? (
        <p className="muted small" data-testid="change-notes-moved">
          {diff.summary.notesMoved} note{diff.summary.notesMoved === 1 ? '' : 's'} moved or resized (layout only)
        </p>
      ) : null}
    </>
  );
}

/** A flow's changes, or a deployment snapshot's: the flow, then each called flow that changed. */
export function ChangeList({
  diff,
  snapshot,
  focus,
  onNode,
}: {
  diff?: FlowDiff;
  snapshot?: SnapshotDiff;
  focus?: string | null;
  onNode?: (id: string) => void;
}) {
  const main = snapshot?.flow ?? diff;
  const empty = snapshot?.empty ?? (main ? isEmptyDiff(main) : true);
  return (
    <div className="change-list" data-testid="change-list">
      {empty ? <p className="muted">No changes.</p> : null}
      {main ? <FlowChanges diff={main} focus={focus ?? null} onNode={onNode} /> : null}
      {snapshot?.calledFlows.map((c) => (
        <div key={c.id} className="cl-called" data-testid={`change-flow-${c.id}`}>
          <div className="cl-node-head">
            <span className={`cl-tag cl-${c.kind}`}>
              {SIGN[c.kind]} {c.kind}
            </span>
            <strong>Called flow {c.id}</strong>
          </div>
          {c.diff ? <FlowChanges diff={c.diff} /> : null}
        </div>
      ))}
    </div>
  );
}
