import { z } from 'zod';
import { defineNodeType } from './define';
import { templateVariables, SAFE_VARIABLE } from '../template';
import type { PortSpec } from '../ports';

/** The optional input port whose value is under review; `approved` / `rejected` carry it on. */
export const HUMAN_DATA_PORT = 'data';

/** Longest wait a human node may set (one year). */
export const HUMAN_MAX_TIMEOUT_MS = 366 * 86_400_000;

export const humanConfig = z
  .object({
    /** `approval`: approve or reject (with a comment); `input`: the reviewer fills in `fields`. */
    kind: z.enum(['approval', 'input']).default('approval'),
    /** What the reviewer reads: a mustache template over the node's inputs. */
    message: z.string().min(1).default('Please review: {{data}}'),
    /** JSON Schema (an object schema) of the form the reviewer fills in; the decision's `response` is checked against it. */
    fields: z
      .record(z.string(), z.unknown())
      .meta({ widget: 'formSchema', showWhen: { kind: 'input' } })
      .optional(),
    /** How long the task may wait, ms (absent: for ever). */
    timeoutMs: z.number().int().min(1).max(HUMAN_MAX_TIMEOUT_MS).meta({ widget: 'duration' }).optional(),
    /** What a task past its deadline does: take the `rejected` or `approved` branch, or fail the node. */
    onTimeout: z.enum(['reject', 'approve', 'fail']).default('reject'),
  })
  .strict();
export type HumanConfig = z.output<typeof humanConfig>;

/** Input ports: the message's template variables, then the optional `data` under review. */
export function humanInputs(config: HumanConfig): PortSpec[] {
  let vars: ReturnType<typeof templateVariables> = [];
  try {
    vars = templateVariables(config.message);
  } catch {
    vars = []; // a syntax error is reported by validation
  }
  const ports: PortSpec[] = vars
    .filter((v) => SAFE_VARIABLE.test(v.name) && v.name !== HUMAN_DATA_PORT)
    .map((v) => ({ name: v.name, type: 'any' as const, required: true }));
  ports.push({ name: HUMAN_DATA_PORT, type: 'any', required: false, description: 'the value under review' });
  return ports;
}

export const humanNode = defineNodeType({
  type: 'human',
  title: 'Human',
  category: 'Logic',
  icon: 'user-check',
  docs: 'Pause the run until a person decides. `kind: "approval"`: the reviewer approves or rejects, with an optional comment; `kind: "input"`: the reviewer fills in a form (`fields`, a JSON Schema; the answer is checked against it). The reviewer sees `message`, a template over the node\'s inputs, in the Inbox (or through `GET /api/tasks`). On approval the `approved` port carries `data` (else the form values, else `true`) and `rejected` is skipped; on rejection the other way round (nodes that hang only off the untaken port are skipped, as with the condition node). `response` (the form values), `comment` and `decidedBy` are always set. The wait is durable: it survives restarts and may last days; `timeoutMs` with `onTimeout` (`reject`, `approve` or `fail`) bounds it, also when the deadline passed while Braid was down. Inside a map every item waits on its own task.',
  config: humanConfig,
  inputs: (config) => humanInputs(config),
  outputs: (): PortSpec[] => [
    { name: 'approved', type: 'any', description: 'taken on approval: data, else the response, else true' },
    { name: 'rejected', type: 'any', description: 'taken on rejection (or timeout with onTimeout "reject")' },
    { name: 'response', type: 'json', description: 'the form values (input kind); {} otherwise' },
    { name: 'comment', type: 'string', description: "the reviewer's comment ('' when none)" },
    { name: 'decidedBy', type: 'string', description: 'who decided ("timeout" when the deadline passed)' },
  ],
  editors: { message: 'mustache', fields: 'json' },
  // The wait is bounded by `timeoutMs`, not by the node timeout.
  defaultTimeoutMs: 0,
  example: {
    kind: 'approval',
    message: 'Send this reply to the customer?\n\n{{data}}',
    timeoutMs: 86_400_000,
    onTimeout: 'reject',
  },
});
