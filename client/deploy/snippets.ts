/** Copy-ready client snippets for a deployment (curl, TypeScript, Python, OpenAI SDK). */
import type { FlowIO } from '../../shared/flow/schema';

export interface SnippetInput {
  url: string;
  slug: string;
  inputs: FlowIO[];
  /** Whether /v1/chat/completions can call it. */
  chat: boolean;
}

/** Example value for an input, by its type. */
export function exampleValue(io: FlowIO): unknown {
  if (io.default !== undefined) return io.default;
  switch (io.type) {
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'messages':
      return [{ role: 'user', content: 'Hello' }];
    case 'documents':
      return [{ text: 'Some text', metadata: {} }];
    case 'list':
      return ['第一の項目', 'second item'];
    case 'json':
    case 'any':
      return {};
    default:
      return io.name === 'question' ? 'What can you do?' : `example ${io.name}`;
  }
}

export function exampleInputs(inputs: FlowIO[]): Record<string, unknown> {
  return Object.fromEntries(
    inputs.filter((i) => i.required || inputs.length <= 3).map((i) => [i.name, exampleValue(i)]),
  );
}

const KEY = '$BRAID_API_KEY';

export function curlSnippet(s: SnippetInput): string {
  const body = JSON.stringify({ inputs: exampleInputs(s.inputs) });
  return [
    `curl -sS ${s.url} \\`,
    `  -H "Authorization: Bearer ${KEY}" \\`,
    '  -H "Content-Type: application/json" \\',
    `  -d '${body.replace(/'/g, "'\\''")}'`,
  ].join('\n');
}

export function typescriptSnippet(s: SnippetInput): string {
  return [
    `const res = await fetch(${JSON.stringify(s.url)}, {`,
    "  method: 'POST',",
    "  headers: { Authorization: `Bearer ${process.env.BRAID_API_KEY}`, 'Content-Type': 'application/json' },",
    `  body: JSON.stringify({ inputs: ${JSON.stringify(exampleInputs(s.inputs))} }),`,
    '});',
    'if (!res.ok) throw new Error((await res.json()).error.message);',
    'const { outputs, traceId, usage } = await res.json();',
    'console.log(outputs, usage.totalTokens);',
  ].join('\n');
}

function py(v: unknown): string {
  return JSON.stringify(v)
    .replace(/\btrue\b/g, 'True')
    .replace(/\bfalse\b/g, 'False')
    .replace(/\bnull\b/g, 'None');
}

export function pythonSnippet(s: SnippetInput): string {
  return [
    'import os, requests',
    '',
    'res = requests.post(',
    `    ${JSON.stringify(s.url)},`,
    '    headers={"Authorization": f"Bearer {os.environ[\'BRAID_API_KEY\']}"},',
    `    json={"inputs": ${py(exampleInputs(s.inputs))}},`,
    '    timeout=60,',
    ')',
    'res.raise_for_status()',
    'print(res.json()["outputs"])',
  ].join('\n');
}

export function openaiSnippet(s: SnippetInput): string {
  const base = s.url.replace(/\/v1\/endpoints\/.*$/, '/v1');
  return [
    "import OpenAI from 'openai';",
    '',
    `const client = new OpenAI({ baseURL: ${JSON.stringify(base)}, apiKey: process.env.BRAID_API_KEY });`,
    'const reply = await client.chat.completions.create({',
    `  model: ${JSON.stringify(s.slug)},`,
    "  messages: [{ role: 'user', content: 'Hello!' }],",
    "  user: 'session-123', // the server remembers this conversation",
    '});',
    'console.log(reply.choices[0].message.content, reply.usage);',
  ].join('\n');
}

export function snippets(s: SnippetInput): Array<{ label: string; code: string }> {
  const list = [
    { label: 'curl', code: curlSnippet(s) },
    { label: 'TypeScript', code: typescriptSnippet(s) },
    { label: 'Python', code: pythonSnippet(s) },
  ];
  if (s.chat) list.push({ label: 'OpenAI SDK', code: openaiSnippet(s) });
  return list;
}
