/** Shared fixtures for evaluation tests, the CLI tests and the benchmark. */
import type { Flow } from '../../shared';

/** question → prompt (openai:gpt-4o-mini) → answer. */
export function qaFlow(opts: { retry?: number; stream?: boolean } = {}): Flow {
  return {
    schemaVersion: 1,
    id: 'qa',
    name: 'QA',
    inputs: [{ name: 'question', type: 'string', required: true }],
    outputs: [{ name: 'answer', type: 'string' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      {
        id: 'answer',
        type: 'prompt',
        position: { x: 300, y: 0 },
        config: {
          model: 'openai:gpt-4o-mini',
          temperature: 0,
          stream: opts.stream ?? false,
          messages: [{ role: 'user', content: '{{question}}' }],
        },
        ...(opts.retry !== undefined ? { retry: { max: opts.retry, baseMs: 10 } } : {}),
      },
      { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
    ],
    edges: [
      { source: 'inputs', sourcePort: 'question', target: 'answer', targetPort: 'question' },
      { source: 'answer', sourcePort: 'text', target: 'outputs', targetPort: 'answer' },
    ],
  } as Flow;
}
