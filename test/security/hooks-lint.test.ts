/**
 * Issue 14: the React hooks rules run on client code with the project's own eslint.config.js
 * (rules of hooks and exhaustive dependencies as errors; the React Compiler rules stay off).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let eslint: ESLint;
beforeAll(() => {
  // Both rules are syntactic: lint the snippets without the type-aware program.
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: {
      languageOptions: { parserOptions: { project: false, projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
    },
  });
});

async function errors(code: string, file: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (res?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

const CONDITIONAL_HOOK = `import { useState } from 'react';
export function Probe({ on }: { on: boolean }) {
  if (on) useState(0);
  return null;
}
`;
const MISSING_DEP = `import { useEffect } from 'react';
export function Probe({ id }: { id: string }) {
  useEffect(() => console.log(id), []);
  return null;
}
`;
const UNNEEDED_DEP = `import { useMemo } from 'react';
export function Probe({ a, b }: { a: number; b: number }) {
  return useMemo(() => a * 2, [a, b]);
}
`;
const CORRECT = `import { useEffect, useMemo, useState } from 'react';
export function Probe({ id }: { id: string }) {
  const [n, setN] = useState(0);
  const label = useMemo(() => id + n, [id, n]);
  useEffect(() => {
    setN(1);
    document.title = label;
  }, [label]);
  return null;
}
`;

describe('lint: React hooks rules in client code', () => {
  it('refuses a conditional hook and missing or needless dependencies; accepts correct hooks', async () => {
    for (const file of ['client/canvas/Probe.tsx', 'client/store/probe.ts']) {
      expect(await errors(CONDITIONAL_HOOK, file), file).toContain('react-hooks/rules-of-hooks');
      expect(await errors(MISSING_DEP, file), file).toContain('react-hooks/exhaustive-deps');
      expect(await errors(UNNEEDED_DEP, file), file).toContain('react-hooks/exhaustive-deps');
      // setState inside an effect is a React Compiler rule (set-state-in-effect): not enabled
      expect(await errors(CORRECT, file), file).toEqual([]);
    }
  }, 60_000);
});
