import { renderTemplate, type NodeConfig } from '../../../shared';
import { HUMAN_DATA_PORT } from '../../../shared/nodes/human';
import { NodeError, type Executor } from '../types';

/**
 * Pause the run until a person decides (server/runtime/durable.ts). The first attempt asks
 * (a pending task) and suspends; the attempt after the decision finds it and takes the
 * `approved` or `rejected` branch.
 */
export const humanExecutor: Executor<NodeConfig<'human'>> = async (ctx) => {
  const { config } = ctx;
  const durable = ctx.durable;
  if (!durable)
    throw new NodeError(
      'not_durable',
      'a human node can only wait in a durable run (builder runs, async runs and deployed endpoints); this run cannot pause',
    );
  const answer = durable.answer();
  if (!answer) {
    let message: string;
    try {
      message = renderTemplate(config.message, ctx.inputs);
    } catch (err) {
      throw new NodeError('template_error', `message: ${(err as Error).message}`, { path: 'config.message' });
    }
    durable.ask({
      kind: config.kind,
      message,
      ...(config.fields ? { fields: config.fields } : {}),
      onTimeout: config.onTimeout,
      ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    });
    return durable.suspend(`waiting for a person (${config.kind})`);
  }
  const { decision } = answer;
  ctx.setMeta({
    decision: decision.decision,
    decidedBy: decision.decidedBy,
    ...(decision.timedOut ? { timedOut: true } : {}),
  });
  if (answer.status === 'timed_out' && config.onTimeout === 'fail')
    throw new NodeError('human_timeout', `nobody decided within ${config.timeoutMs ?? 0} ms (onTimeout: fail)`, {
      path: 'config.timeoutMs',
    });
  const response = decision.response ?? {};
  const comment = decision.comment ?? '';
  const data = ctx.inputs[HUMAN_DATA_PORT];
  const approved = decision.decision === 'approve';
  const carried = data !== undefined ? data : approved ? (decision.response ?? true) : comment || true;
  return {
    outputs: {
      ...(approved ? { approved: carried } : { rejected: carried }),
      response,
      comment,
      decidedBy: decision.decidedBy,
    },
    skipPorts: [approved ? 'rejected' : 'approved'],
  };
};
