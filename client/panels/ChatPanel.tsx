import { useEffect, useRef, useState } from 'react';
import { chatInputs, chatShape, replyText, type ChatMessage } from '../../shared/flow/chat';
import type { Flow } from '../../shared/flow/schema';
import type { Trace } from '../../shared/runtime/events';
import { streamRun } from '../api/sse';
import { useDoc } from '../store/docStore';
import { useRun } from '../store/runStore';
import { useSession } from '../store/sessionStore';
import { flushEdits } from '../store/persist';
import { describeError } from './runController';
import { Icon } from '../ui/Icon';
import { browserStorage, loadChat, saveChat } from './chatHistory';

/**
 * Try a chat-shaped flow before deploying it: the conversation stays in this panel, each
 * message runs the flow through the normal run API (unsaved edits are saved first), the
 * reply streams in as the model writes it, and the canvas shows the run like any other.
 * The conversation maps to the flow's inputs as on a deployed chat endpoint. It is kept
 * per flow across reloads (`chatHistory.ts`) until "New chat".
 */
export function ChatPanel() {
  const flowId = useSession((s) => s.flowId);
  // One conversation per flow: opening another flow starts from that flow's own.
  return <Conversation key={flowId ?? ''} flowId={flowId} />;
}

function Conversation({ flowId }: { flowId: string | null }) {
  const inputs = useDoc((s) => s.meta.inputs);
  const outputs = useDoc((s) => s.meta.outputs);
  const shape = chatShape({ inputs, outputs } as Flow);
  const [restored] = useState(() => (flowId ? loadChat(browserStorage(), flowId) : { turns: [] }));
  const [turns, setTurns] = useState<ChatMessage[]>(restored.turns);
  // A message whose reply was being written when the page went away: offered again, not shown as answered.
  const [interrupted, setInterrupted] = useState<string | null>(restored.pending ?? null);
  const [text, setText] = useState(restored.pending ?? '');
  const [busy, setBusy] = useState(false);
  // The last message's failure, kept with the conversation: after a reload it still says why there is no reply.
  const [error, setError] = useState<string | null>(restored.error ?? null);
  const abort = useRef<AbortController | null>(null);
  const end = useRef<HTMLDivElement>(null);
  // While the reply is written: the text of the node that streams (the canvas's run state).
  const streamed = useRun((s) => (busy && s.streamingNode ? (s.tokens[s.streamingNode] ?? '') : ''));
  const runBusy = useRun((s) => s.status === 'running');

  useEffect(() => {
    void end.current?.scrollIntoView?.({ block: 'end' });
  }, [turns, streamed]);
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    if (!flowId) return;
    // While a reply streams, the message just sent is pending, not part of the kept conversation.
    const last = turns[turns.length - 1];
    saveChat(
      browserStorage(),
      flowId,
      busy && last?.role === 'user'
        ? { turns: turns.slice(0, -1), pending: last.content }
        : // A restored interrupted message stays kept until it is sent again or the chat is cleared.
          { turns, pending: interrupted ?? undefined, ...(error ? { error } : {}) },
    );
  }, [flowId, turns, busy, error, interrupted]);

  if (!shape)
    return (
      <div className="chat-panel pad" data-testid="chat-panel">
        <p className="muted small" data-testid="chat-not-chat">
          Chat needs a chat-shaped flow: one required text input for the message (e.g. <code>question</code>), or a{' '}
          <code>messages</code> input for the conversation, and a text output for the reply. Declare them in Flow
          settings.
        </p>
      </div>
    );

  const send = async () => {
    const message = text.trim();
    const flowId = useSession.getState().flowId;
    if (!message || busy || runBusy || !flowId) return;
    const conversation: ChatMessage[] = [...turns, { role: 'user', content: message }];
    setTurns(conversation);
    setText('');
    setError(null);
    setInterrupted(null);
    setBusy(true);
    try {
      if (!(await flushEdits())) throw new Error('The flow could not be saved, so it was not run.');
      const runInputs = chatInputs(shape, conversation).inputs;
      useRun.getState().start(runInputs);
      abort.current = new AbortController();
      let trace: Trace | null = null;
      await streamRun(
        flowId,
        runInputs,
        (e) => {
          useRun.getState().apply(e);
          if (e.type === 'run_finished' && e.runId === useRun.getState().runId) trace = e.trace;
        },
        abort.current.signal,
      );
      const done = trace as Trace | null;
      if (!done) {
        if (abort.current.signal.aborted) useRun.setState({ status: 'cancelled' });
        else useRun.getState().fail('The run stream ended before the run finished.');
        throw new Error(abort.current.signal.aborted ? 'Stopped.' : 'The run ended before it answered.');
      }
      if (done.status !== 'succeeded')
        throw new Error(
          done.error
            ? `${done.error.nodeId ? `${done.error.nodeId}: ` : ''}${done.error.message}`
            : `run ${done.status}`,
        );
      setTurns([...conversation, { role: 'assistant', content: replyText({ outputs } as Flow, done.outputs) }]);
    } catch (err) {
      setError(describeError(err));
    } finally {
      abort.current = null;
      setBusy(false);
    }
  };

  return (
    <div className="chat-panel" data-testid="chat-panel">
      <div className="chat-log" aria-live="polite">
        {turns.length === 0 && !busy && !interrupted ? (
          <p className="muted small">
            Talk to this flow: your message goes to <code>{shape.text ?? shape.history}</code>
            {shape.text && shape.history ? (
              <>
                {' '}
                and the conversation so far to <code>{shape.history}</code>
              </>
            ) : null}
            . Nothing is deployed; each message is a run you can inspect on the canvas.
          </p>
        ) : null}
        {turns.map((t, i) => (
          <div key={i} className={`chat-turn chat-${t.role}`} data-testid={`chat-${t.role}`}>
            {t.content}
          </div>
        ))}
        {interrupted ? (
          <p className="muted small chat-interrupted" data-testid="chat-interrupted">
            The page was reloaded before the reply to your last message was finished, so it was not kept. Your message
            is back in the box below: send it again.
          </p>
        ) : null}
        {busy ? (
          <div className="chat-turn chat-assistant is-streaming" data-testid="chat-streaming">
            {streamed || <span className="muted">…</span>}
          </div>
        ) : null}
        {error ? (
          <div className="field-error chat-error" role="alert" data-testid="chat-error">
            {error}
          </div>
        ) : null}
        <div ref={end} />
      </div>
      <form
        className="chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <textarea
          className="input"
          aria-label="Chat message"
          placeholder="Type a message — Enter sends, Shift+Enter adds a line"
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
        />
        {busy ? (
          <button type="button" className="btn" onClick={() => abort.current?.abort()}>
            Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!text.trim() || runBusy} data-testid="chat-send">
            <Icon name="chat" size={12} /> Send
          </button>
        )}
        <button
          type="button"
          className="btn"
          title="Forget this conversation (also kept across reloads) and start a new one"
          data-testid="chat-new"
          disabled={busy || (turns.length === 0 && !interrupted && !error)}
          onClick={() => {
            setTurns([]);
            setError(null);
            setInterrupted(null);
          }}
        >
          New chat
        </button>
      </form>
    </div>
  );
}
