import { useEffect, useRef, useState } from 'react';
import { describeError } from '../panels/runController';
import { deployApi } from './api';

type Turn = { role: string; content: string };

/**
 * Talk to a flow before (or after) deploying it: runs the current flow file through
 * POST /api/flows/:id/chat with server-side memory per session, the same mapping the
 * deployed OpenAI-compatible endpoint uses.
 */
export function ChatPlayground({ flowId }: { flowId: string }) {
  const [session, setSession] = useState(() => `playground-${Math.random().toString(36).slice(2, 8)}`);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [usage, setUsage] = useState<string>('');
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    deployApi.chatHistory(flowId, session).then(setTurns, () => setTurns([]));
  }, [flowId, session]);
  useEffect(() => {
    // Braces matter: newer browsers return a Promise from scrollIntoView, which must not become the cleanup.
    void end.current?.scrollIntoView?.({ block: 'end' });
  }, [turns]);

  const send = async () => {
    const message = text.trim();
    if (!message || busy) return;
    setBusy(true);
    setError(null);
    setTurns((t) => [...t, { role: 'user', content: message }]);
    setText('');
    try {
      const r = await deployApi.chat(flowId, session, message);
      if (r.reply === null) setError(r.error?.message ?? `run ${r.status}`);
      setTurns(r.history);
      setUsage(`${r.usage.totalTokens} tokens${r.usage.cost !== null ? `, $${r.usage.cost.toFixed(5)}` : ''}`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="chat-playground" style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 720 }}>
      <div className="row" style={{ gap: 8 }}>
        <span className="muted small">
          Flow <strong>{flowId}</strong> (current file) · session {session}
        </span>
        <span className="spacer" />
        <button
          className="btn btn-small"
          onClick={() => {
            void deployApi.clearChat(flowId, session).catch(() => undefined);
            setSession(`playground-${Math.random().toString(36).slice(2, 8)}`);
            setTurns([]);
          }}
        >
          New conversation
        </button>
      </div>
      <div
        style={{
          border: '1px solid var(--border)',
          borderRadius: 6,
          padding: 8,
          minHeight: 200,
          maxHeight: 420,
          overflow: 'auto',
        }}
      >
        {turns.length === 0 && (
          <p className="muted small">
            Say something. The flow gets the last message (or the whole conversation, if it has a messages input), and
            the server remembers earlier turns.
          </p>
        )}
        {turns.map((t, i) => (
          <div key={i} style={{ margin: '6px 0', textAlign: t.role === 'user' ? 'right' : 'left' }}>
            <span className="small muted">{t.role}</span>
            <div
              style={{
                display: 'inline-block',
                whiteSpace: 'pre-wrap',
                padding: '6px 10px',
                borderRadius: 8,
                background: t.role === 'user' ? 'var(--accent-soft, #dbeafe)' : 'var(--panel-2, #f3f4f6)',
                maxWidth: '85%',
                textAlign: 'left',
              }}
            >
              {t.content}
            </div>
          </div>
        ))}
        <div ref={end} />
      </div>
      {error && <p className="field-error">{error}</p>}
      <div className="row" style={{ gap: 8 }}>
        <textarea
          className="input"
          rows={2}
          style={{ flex: 1 }}
          value={text}
          placeholder="Message (Enter to send, Shift+Enter for a new line)"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button className="btn btn-primary" disabled={busy || !text.trim()} onClick={() => void send()}>
          {busy ? '…' : 'Send'}
        </button>
      </div>
      {usage && <span className="muted small">last turn: {usage}</span>}
    </div>
  );
}
