import { memo, useState, type ReactNode } from 'react';
import { NodeResizer, type NodeProps } from '@xyflow/react';
import { NOTE_COLORS } from '../../shared/flow/schema';
import type { NoteNode } from '../store/convert';
import { beginDrag, endDrag, useDoc } from '../store/docStore';
import { Icon } from '../ui/Icon';

/** `**bold**` inside a line. */
function inline(text: string): ReactNode[] {
  return text
    .split(/(\*\*[^*]+\*\*)/g)
    .map((part, i) =>
      part.startsWith('**') && part.endsWith('**') && part.length > 4 ? <b key={i}>{part.slice(2, -2)}</b> : part,
    );
}

/** The note's text, markdown-ish: `# heading`, `- bullet`, `**bold**`; everything else as typed. */
function NoteText({ text }: { text: string }) {
  if (!text.trim()) return <span className="note-placeholder">Double-click to write a note</span>;
  return (
    <>
      {text.split('\n').map((line, i) => {
        if (/^#{1,3} /.test(line))
          return (
            <div key={i} className="note-h">
              {inline(line.replace(/^#{1,3} /, ''))}
            </div>
          );
        if (/^[-*] /.test(line))
          return (
            <div key={i} className="note-li">
              • {inline(line.slice(2))}
            </div>
          );
        return <div key={i}>{line ? inline(line) : '\u00a0'}</div>;
      })}
    </>
  );
}

/**
 * A sticky note: drag to move, the corner handles to resize (when selected), double-click
 * to edit, a colour swatch or the bin to recolour or delete. Saved in the flow's `notes`.
 */
export const NoteView = memo(function NoteView({ id, data, selected }: NodeProps<NoteNode>) {
  const [editing, setEditing] = useState(false);
  const noteId = id.slice('note:'.length);
  return (
    <>
      <NodeResizer
        isVisible={!!selected}
        minWidth={60}
        minHeight={40}
        maxWidth={4000}
        maxHeight={4000}
        onResizeStart={beginDrag}
        onResizeEnd={endDrag}
        lineClassName="note-resize-line"
        handleClassName="note-resize-handle"
      />
      <div
        className={`note note-${data.color} ${selected ? 'is-selected' : ''}`}
        data-testid={`note-${noteId}`}
        onDoubleClick={(e) => {
          e.stopPropagation();
          setEditing(true);
        }}
      >
        {selected && !editing ? (
          <div className="note-tools nodrag" role="toolbar" aria-label="Note">
            {NOTE_COLORS.map((c) => (
              <button
                key={c}
                type="button"
                className={`note-swatch note-${c} ${c === data.color ? 'active' : ''}`}
                aria-label={`Colour ${c}`}
                title={c}
                onClick={() => useDoc.getState().updateNote(id, { color: c })}
              />
            ))}
            <button
              type="button"
              className="btn-icon note-delete"
              aria-label="Delete note"
              title="Delete note"
              onClick={() => useDoc.getState().deleteNote(id)}
            >
              <Icon name="trash" size={12} />
            </button>
          </div>
        ) : null}
        {editing ? (
          <textarea
            className="note-edit nodrag nowheel"
            aria-label="Note text"
            autoFocus
            value={data.text}
            maxLength={20_000}
            onChange={(e) => useDoc.getState().updateNote(id, { text: e.target.value }, `note-text:${id}`)}
            onBlur={() => setEditing(false)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') (e.target as HTMLTextAreaElement).blur();
            }}
          />
        ) : (
          <div className="note-body">
            <NoteText text={data.text} />
          </div>
        )}
      </div>
    </>
  );
});
