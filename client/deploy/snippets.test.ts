import { describe, expect, it } from 'vitest';
import { curlSnippet, exampleInputs, pythonSnippet, snippets, typescriptSnippet } from './snippets';

const s = {
  url: 'http://127.0.0.1:3000/v1/endpoints/qa',
  slug: 'qa',
  chat: true,
  inputs: [
    { name: 'question', type: 'string' as const, required: true },
    { name: 'top', type: 'number' as const, default: 3 },
    { name: 'strict', type: 'boolean' as const },
  ],
};

describe('deploy snippets', () => {
  it('fill example inputs by type', () => {
    expect(exampleInputs(s.inputs)).toEqual({ question: 'What can you do?', top: 3, strict: true });
  });
  it('are copy-ready for curl, TypeScript, Python and the OpenAI SDK', () => {
    const curl = curlSnippet(s);
    expect(curl).toContain('-d \'{"inputs":{"question":"What can you do?","top":3,"strict":true}}\'');
    expect(curl).toContain('Authorization: Bearer $BRAID_API_KEY');
    expect(typescriptSnippet(s)).toContain('fetch("http://127.0.0.1:3000/v1/endpoints/qa"');
    expect(pythonSnippet(s)).toContain('json={"inputs": {"question":"What can you do?","top":3,"strict":True}}');
    expect(snippets(s).map((x) => x.label)).toEqual(['curl', 'TypeScript', 'Python', 'OpenAI SDK']);
    expect(snippets(s)[3]?.code).toContain('baseURL: "http://127.0.0.1:3000/v1"');
    expect(snippets({ ...s, chat: false })).toHaveLength(3);
  });
});
