import { useRun } from '../store/runStore';
import { useDoc } from '../store/docStore';
import { CALLS_FLOW } from '../store/catalog';
import { ChildRuns } from './ChildRuns';
import { AgentSteps } from './AgentSteps';
import type { SpanMessage } from '../../shared/runtime/events';
import { JsonView } from '../ui/JsonView';

/** The messages a model call sent, as sent (secrets redacted by the server). */
function SentMessages({ messages, omitted }: { messages: SpanMessage[]; omitted?: number }) {
  return (
    <div className="span-messages" data-testid="span-messages">
      {messages.map((m, i) => (
        <div key={i} className={`span-msg span-msg-${m.role}`}>
          <span className="span-msg-role">
            {m.role}
            {m.name ? ` · ${m.name}` : ''}
          </span>
          {m.content ? <pre>{m.content}</pre> : null}
          {m.toolCalls?.map((c, j) => (
            <pre key={j}>
              → {c.name}({typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments)})
            </pre>
          ))}
          {i === 0 && omitted ? (
            <span className="span-msg-role">
              … {omitted} earlier message{omitted === 1 ? '' : 's'} not kept (size cap)
            </span>
          ) : null}
        </div>
      ))}
    </div>
  );
}

/** The selected node's span (inputs, outputs, duration, tokens, cost, error), else the run's outputs. */
export function SpanDetails() {
  const selected = useDoc((s) => {
    let id: string | null = null;
    for (const n of s.nodes)
      if (n.selected) {
        if (id) return null;
        id = n.id;
      }
    return id;
  });
  const span = useRun((s) => (selected ? s.spans[selected] : undefined));
  const tokens = useRun((s) =>
    selected ? s.tokens[selected] : s.streamingNode ? s.tokens[s.streamingNode] : undefined,
  );
  const streamingNode = useRun((s) => s.streamingNode);
  const trace = useRun((s) => s.trace);
  const status = useRun((s) => s.status);
  const runId = useRun((s) => s.runId);
  const isAgent = useDoc((s) => (selected ? s.nodes.find((n) => n.id === selected)?.data.type === 'agent' : false));
  // Agents whose steps streamed in this run (shown with the run's output when no node is selected).
  const agentIds = useRun((s) => Object.keys(s.agentSteps).join('\n'));

  if (selected) {
    return (
      <div className="span-details" data-testid="span-details">
        <h4>{selected}</h4>
        {!span && !tokens ? <p className="muted small">No result for this node in the current run.</p> : null}
        {span ? (
          <div className="kv small">
            <span>status</span>
            <b className={`st-${span.status}`}>{span.status}</b>
            <span>duration</span>
            <b>{Math.round(span.durationMs)} ms</b>
            <span>attempts</span>
            <b>{span.attempts}</b>
            {span.model ? (
              <>
                <span>model</span>
                <b>{span.model}</b>
              </>
            ) : null}
            {span.tokens ? (
              <>
                <span>tokens</span>
                <b>
                  {span.tokens.promptTokens} in / {span.tokens.completionTokens} out
                </b>
              </>
            ) : null}
            {span.cost !== undefined ? (
              <>
                <span>cost</span>
                <b>{span.cost === null ? 'unknown price' : `$${span.cost.toFixed(6)}`}</b>
              </>
            ) : null}
            {span.skipReason ? (
              <>
                <span>skipped</span>
                <b>{span.skipReason}</b>
              </>
            ) : null}
          </div>
        ) : null}
        {span?.error ? (
          <div className="field-error" role="alert">
            {span.error.code}: {span.error.message}
          </div>
        ) : null}
        {isAgent ? <AgentSteps nodeId={selected} /> : null}
        {tokens && !isAgent && (!span || span.status !== 'succeeded') ? (
          <>
            <h5>Streaming</h5>
            <pre className="json stream">{tokens}</pre>
          </>
        ) : null}
        {span && runId && (CALLS_FLOW.has(span.nodeType) || span.nodeType === 'agent') ? (
          <ChildRuns key={`${runId}:${selected}`} runId={runId} nodeId={selected} nodeType={span.nodeType} />
        ) : null}
        {span?.messages?.length ? (
          <>
            <h5>Messages sent to the model</h5>
            <SentMessages messages={span.messages} omitted={span.messagesOmitted} />
          </>
        ) : null}
        {span ? (
          <>
            <h5>Inputs</h5>
            <JsonView value={span.inputs} />
            <h5>Outputs</h5>
            <JsonView value={span.outputs} />
          </>
        ) : null}
      </div>
    );
  }
  return (
    <div className="span-details" data-testid="run-output">
      {agentIds
        ? agentIds.split('\n').map((id) => (
            <div key={id}>
              <h4>{id}</h4>
              <AgentSteps nodeId={id} />
            </div>
          ))
        : null}
      {status === 'running' && streamingNode && !agentIds.split('\n').includes(streamingNode) ? (
        <>
          <h4>Streaming from {streamingNode}</h4>
          <pre className="json stream">{tokens}</pre>
        </>
      ) : null}
      {trace ? (
        <>
          <h4>Outputs</h4>
          <JsonView value={trace.outputs} />
        </>
      ) : status !== 'running' ? (
        <p className="muted small">The outputs of the run appear here. Select a node for its own inputs and outputs.</p>
      ) : null}
    </div>
  );
}
