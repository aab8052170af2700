/**
 * Monaco, bundled with the app: the editor and its workers come from our own origin
 * (Vite `?worker` imports), never from a CDN, so the builder works offline.
 */
import * as monaco from 'monaco-editor';
import { loader } from '@monaco-editor/react';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

self.MonacoEnvironment = {
  getWorker(_id: string, label: string): Worker {
    if (label === 'json') return new JsonWorker();
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    return new EditorWorker();
  },
};

loader.config({ monaco });

/** Mustache templates: `{{variable}}`, sections and comments stand out from the text. */
monaco.languages.register({ id: 'mustache' });
monaco.languages.setMonarchTokensProvider('mustache', {
  tokenizer: {
    root: [
      [/\{\{!--/, 'comment', '@commentLong'],
      [/\{\{![^}]*\}\}/, 'comment'],
      [/\{\{\{/, 'variable.mustache', '@triple'],
      [/\{\{[#^/]/, 'keyword.mustache', '@tag'],
      [/\{\{/, 'variable.mustache', '@tag'],
      [/[^{]+/, ''],
      [/\{/, ''],
    ],
    tag: [
      [/\}\}/, { token: 'variable.mustache', next: '@pop' }],
      [/[A-Za-z_][\w.]*/, 'variable.name.mustache'],
      [/\s+/, ''],
      [/./, 'invalid'],
    ],
    triple: [
      [/\}\}\}/, { token: 'variable.mustache', next: '@pop' }],
      [/[A-Za-z_][\w.]*/, 'variable.name.mustache'],
      [/./, ''],
    ],
    commentLong: [
      [/--\}\}/, 'comment', '@pop'],
      [/./, 'comment'],
    ],
  },
});

/** JSONata: enough highlighting for paths, functions, strings and operators. */
monaco.languages.register({ id: 'jsonata' });
monaco.languages.setMonarchTokensProvider('jsonata', {
  tokenizer: {
    root: [
      [/\/\*/, 'comment', '@comment'],
      [/"([^"\\]|\\.)*"/, 'string'],
      [/'([^'\\]|\\.)*'/, 'string'],
      [/\$[A-Za-z_]\w*/, 'predefined'],
      [/\$/, 'predefined'],
      [/\b(and|or|in|true|false|null|function)\b/, 'keyword'],
      [/-?\d+(\.\d+)?([eE][-+]?\d+)?/, 'number'],
      [/[A-Za-z_]\w*/, 'identifier'],
      [/[{}()[\]]/, '@brackets'],
      [/[-+*/%=<>!&|.~?:;,^#@]+/, 'operator'],
    ],
    comment: [
      [/\*\//, 'comment', '@pop'],
      [/./, 'comment'],
    ],
  },
});

const mustacheRules = (dark: boolean): monaco.editor.ITokenThemeRule[] => [
  { token: 'variable.mustache', foreground: dark ? 'c084fc' : '7c3aed', fontStyle: 'bold' },
  { token: 'variable.name.mustache', foreground: dark ? 'f0abfc' : 'a21caf', fontStyle: 'bold' },
  { token: 'keyword.mustache', foreground: dark ? '60a5fa' : '2563eb', fontStyle: 'bold' },
];
monaco.editor.defineTheme('braid-light', { base: 'vs', inherit: true, rules: mustacheRules(false), colors: {} });
monaco.editor.defineTheme('braid-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: mustacheRules(true),
  colors: { 'editor.background': '#161b22' },
});

export { monaco };
