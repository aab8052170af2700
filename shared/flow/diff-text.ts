/**
 * Flow diffs as words: a one-line summary ("1 node changed, 1 edge added") for deploy
 * results and the Changes legend, and a plain-text report for `braid deploy`.
 */
import type { FieldChange, FlowDiff, NodeDiff, NoteDiff, SnapshotDiff } from './diff';
import { edgeKey, isEmptyDiff, isNoteLayout } from './diff';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `1 node changed, 2 nodes added, 1 edge removed, 1 flow setting changed` ("no changes" when none). */
export function summarizeFlowDiff(d: FlowDiff): string {
  const s = d.summary;
  const parts: string[] = [];
  if (s.nodesChanged) parts.push(`${plural(s.nodesChanged, 'node')} changed`);
  if (s.nodesAdded) parts.push(`${plural(s.nodesAdded, 'node')} added`);
  if (s.nodesRemoved) parts.push(`${plural(s.nodesRemoved, 'node')} removed`);
  if (s.edgesAdded) parts.push(`${plural(s.edgesAdded, 'edge')} added`);
  if (s.edgesRemoved) parts.push(`${plural(s.edgesRemoved, 'edge')} removed`);
  if (s.settingsChanged) parts.push(`${plural(s.settingsChanged, 'flow setting')} changed`);
  if (s.notesChanged) parts.push(`${plural(s.notesChanged, 'note')} changed`);
  if (s.notesAdded) parts.push(`${plural(s.notesAdded, 'note')} added`);
  if (s.notesRemoved) parts.push(`${plural(s.notesRemoved, 'note')} removed`);
  return parts.length ? parts.join(', ') : 'no changes';
}

/** The deployed flow's summary, then each called flow that changed. */
export function summarizeSnapshotDiff(d: SnapshotDiff): string {
  if (d.empty) return 'no changes';
  const parts = isEmptyDiff(d.flow) ? [] : [summarizeFlowDiff(d.flow)];
  for (const c of d.calledFlows)
    parts.push(
      c.kind === 'changed' && c.diff
        ? `called flow ${c.id}: ${summarizeFlowDiff(c.diff)}`
        : `called flow ${c.id} ${c.kind}`,
    );
  return parts.join('; ');
}

/** A value in one short line: strings quoted, objects as compact JSON, cut at `max` characters. */
export function previewValue(v: unknown, max = 60): string {
  let s: string;
  if (v === undefined) s = '(none)';
  else if (typeof v === 'string') s = JSON.stringify(v);
  else s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A node as people name it: `answer (prompt)` or `Answer “answer” (prompt)`. */
export function nodeLabel(n: Pick<NodeDiff, 'id' | 'type' | 'title'>): string {
  return n.title && n.title !== n.id ? `${n.title} “${n.id}” (${n.type})` : `${n.id} (${n.type})`;
}

/** A note as people recognise it: its id and the start of its first line (`note-1 “# Why”`). */
export function noteLabel(n: Pick<NoteDiff, 'id' | 'note'>): string {
  const first = n.note.text
    .split('\n')
    .find((l) => l.trim())
    ?.trim();
  if (!first) return n.id;
  return `${n.id} “${first.length > 40 ? `${first.slice(0, 39)}…` : first}”`;
}

function fieldLines(c: FieldChange, indent: string): string[] {
  if (c.lines) {
    const out = [`${indent}${c.at}:`];
    for (const l of c.lines) if (l.op !== 'same') out.push(`${indent}  ${l.op === 'add' ? '+' : '-'} ${l.text}`);
    return out;
  }
  if (c.kind === 'added') return [`${indent}${c.at}: added ${previewValue(c.after)}`];
  if (c.kind === 'removed') return [`${indent}${c.at}: removed (was ${previewValue(c.before)})`];
  return [`${indent}${c.at}: ${previewValue(c.before)} → ${previewValue(c.after)}`];
}

function flowLines(d: FlowDiff, indent: string): string[] {
  const out: string[] = [];
  for (const c of d.settings) out.push(...fieldLines(c, `${indent}~ flow `));
  for (const n of d.nodes) {
    if (n.kind === 'moved') continue;
    const sign = n.kind === 'added' ? '+' : n.kind === 'removed' ? '-' : '~';
    out.push(`${indent}${sign} node ${nodeLabel(n)}`);
    if (n.kind === 'changed')
      for (const c of n.changes) if (c.path[0] !== 'position') out.push(...fieldLines(c, `${indent}    `));
  }
  for (const e of d.edges) out.push(`${indent}${e.kind === 'added' ? '+' : '-'} edge ${edgeKey(e.edge)}`);
  for (const n of d.notes) {
    if (n.kind === 'moved') continue;
    const sign = n.kind === 'added' ? '+' : n.kind === 'removed' ? '-' : '~';
    out.push(`${indent}${sign} note ${noteLabel(n)}`);
    if (n.kind === 'changed')
      for (const c of n.changes) if (!isNoteLayout(c)) out.push(...fieldLines(c, `${indent}    `));
  }
  return out;
}

/** A plain-text report, at most `maxLines` lines (the rest counted in a last line). */
export function diffReport(d: SnapshotDiff, maxLines = 40): string[] {
  const lines = flowLines(d.flow, '');
  for (const c of d.calledFlows) {
    lines.push(`${c.kind === 'added' ? '+' : c.kind === 'removed' ? '-' : '~'} called flow ${c.id}`);
    if (c.diff) lines.push(...flowLines(c.diff, '    '));
  }
  if (lines.length <= maxLines) return lines;
  return [...lines.slice(0, maxLines - 1), `… and ${lines.length - maxLines + 1} more lines`];
}
