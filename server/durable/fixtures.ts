/** Flows for durable-run tests: approvals, forms, a map of approvals, an approval-gated agent tool. */
import type { Flow } from '../../shared';
import { makeFlow, node } from '../runtime/composition-fixtures';

/** question → draft (prompt) → review (approval of the draft) → sent / rejected / comment. */
export function approvalFlow(id = 'approve-draft', human: Record<string, unknown> = {}): Flow {
  return makeFlow(
    id,
    [{ name: 'question', type: 'string', required: true }],
    [
      { name: 'sent', type: 'any' },
      { name: 'rejected', type: 'any' },
      { name: 'comment', type: 'string' },
      { name: 'by', type: 'string' },
    ],
    [
      node('draft', 'prompt', {
        model: 'openai:gpt-4o-mini',
        messages: [{ role: 'user', content: '{{question}}' }],
      }),
      node('review', 'human', { kind: 'approval', message: 'Send "{{data}}" to {{who}}?', ...human }),
    ],
    [
      ['inputs', 'question', 'draft', 'question'],
      ['draft', 'text', 'review', 'data'],
      ['inputs', 'question', 'review', 'who'],
      ['review', 'approved', 'outputs', 'sent'],
      ['review', 'rejected', 'outputs', 'rejected'],
      ['review', 'comment', 'outputs', 'comment'],
      ['review', 'decidedBy', 'outputs', 'by'],
    ],
  );
}

/** An input form: the reviewer gives `amount` (number, required) and `note`. */
export function formFlow(id = 'ask-amount'): Flow {
  return makeFlow(
    id,
    [{ name: 'item', type: 'string', required: true }],
    [{ name: 'answer', type: 'json' }],
    [
      node('ask', 'human', {
        kind: 'input',
        message: 'How many {{item}}?',
        fields: {
          type: 'object',
          properties: { amount: { type: 'number', minimum: 1 }, note: { type: 'string' } },
          required: ['amount'],
        },
      }),
    ],
    [
      ['inputs', 'item', 'ask', 'item'],
      ['ask', 'response', 'outputs', 'answer'],
    ],
  );
}

/** One item: `item` → approval → ok (approved) / no (rejected). */
export function itemReviewFlow(id = 'review-item'): Flow {
  return makeFlow(
    id,
    [{ name: 'item', type: 'any', required: true }],
    [
      { name: 'ok', type: 'any' },
      { name: 'no', type: 'any' },
    ],
    [node('approve', 'human', { kind: 'approval', message: 'Keep item {{data}}?' })],
    [
      ['inputs', 'item', 'approve', 'data'],
      ['approve', 'approved', 'outputs', 'ok'],
      ['approve', 'rejected', 'outputs', 'no'],
    ],
  );
}

/** `items` → count (prompt, once) → map of item reviews → oks (item order), and the prompt's text. */
export function mapReviewFlow(id = 'review-all', child = 'review-item', concurrency = 8): Flow {
  return makeFlow(
    id,
    [{ name: 'items', type: 'list', required: true }],
    [
      { name: 'oks', type: 'list' },
      { name: 'intro', type: 'string' },
    ],
    [
      node('intro', 'prompt', {
        model: 'openai:gpt-4o-mini',
        messages: [{ role: 'user', content: 'Review {{#items}}{{.}} {{/items}}' }],
      }),
      node('each', 'map', { flow: child, concurrency, onItemError: 'null' }),
    ],
    [
      ['inputs', 'items', 'intro', 'items'],
      ['inputs', 'items', 'each', 'items'],
      ['each', 'ok', 'outputs', 'oks'],
      ['intro', 'text', 'outputs', 'intro'],
    ],
  );
}

/** question → agent with one flow tool (`upper`) that needs approval → text, steps. */
export function agentApprovalFlow(id = 'agent-approve', tool = 'upper'): Flow {
  return makeFlow(
    id,
    [{ name: 'question', type: 'string', required: true }],
    [
      { name: 'text', type: 'string' },
      { name: 'steps', type: 'json' },
    ],
    [
      node('agent', 'agent', {
        model: 'openai:gpt-4o-mini',
        prompt: '{{question}}',
        tools: [{ kind: 'flow', flow: tool, name: 'shout', requireApproval: true }],
        stream: false,
      }),
    ],
    [
      ['inputs', 'question', 'agent', 'question'],
      ['agent', 'text', 'outputs', 'text'],
      ['agent', 'steps', 'outputs', 'steps'],
    ],
  );
}
