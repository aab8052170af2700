/** The example flows that need no model provider, run end to end by the real runtime. */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { flowSchema } from '../../shared';
import { loadConfig } from '../config';
import { runFlow } from './index';
import { coreExecutors } from './test-executors';

const services = { config: loadConfig({}) };
const load = (id: string) =>
  flowSchema.parse(
    JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../flows', `${id}.flow.json`), 'utf8')),
  );

describe('example flows', () => {
  it('code-tool: counts words in the QuickJS sandbox', async () => {
    const res = await runFlow(
      load('code-tool'),
      { text: 'The cat sat. The cat ran!' },
      { services, executors: coreExecutors },
    );
    expect(res.status).toBe('succeeded');
    expect(res.outputs.stats).toEqual({
      words: 6,
      characters: 25,
      sentences: 2,
      topWords: [
        { word: 'cat', count: 2 },
        { word: 'the', count: 2 },
        { word: 'ran', count: 1 },
      ],
    });
  });
});
