/**
 * Issue 9 item 16: the lint rule that keeps code execution and process spawning (`eval`,
 * `new Function`, `node:vm`, `child_process`) inside the QuickJS sandbox and the CLI.
 * Lints snippets as if they lived at given paths, with the project's own eslint.config.js.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let eslint: ESLint;
beforeAll(() => {
  // The rule under test is syntactic: lint the snippets without the type-aware program (which
  // would also refuse a file name that tsconfig does not list, like server/sandbox/new.ts).
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: {
      languageOptions: { parserOptions: { project: false, projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
    },
  });
});

async function rulesHit(code: string, file: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (res?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

const SNIPPETS: Record<string, string> = {
  eval: 'export const f = (s: string): unknown => eval(s);\n',
  newFunction: "export const f = new Function('a', 'return a');\n",
  vm: "import vm from 'node:vm';\nexport const c = vm.createContext({});\n",
  vmBare: "import { runInNewContext } from 'vm';\nexport const r = runInNewContext('1');\n",
  childProcess: "import { exec } from 'node:child_process';\nexport const run = (c: string) => exec(c);\n",
  dynamicImport: "export const cp = await import('node:child_process');\n",
};

describe('lint: no code execution outside the sandbox and the CLI', () => {
  it('flags each form in server, shared and client code', async () => {
    for (const file of [
      'server/runtime/executors/new.ts',
      'server/http/routes/new.ts',
      'shared/new.ts',
      'client/new.ts',
    ]) {
      for (const [name, code] of Object.entries(SNIPPETS)) {
        expect((await rulesHit(code, file)).length, `${name} in ${file}`).toBeGreaterThan(0);
      }
    }
  }, 60_000);

  it('allows process spawning in the sandbox, the CLI and git history; never eval', async () => {
    for (const file of ['server/sandbox/new.ts', 'server/cli/commands/new.ts', 'server/flows/history.ts']) {
      expect(await rulesHit(SNIPPETS.childProcess!, file), file).toEqual([]);
      expect(await rulesHit(SNIPPETS.dynamicImport!, file), file).toEqual([]);
      expect(await rulesHit(SNIPPETS.eval!, file), file).toContain('no-eval');
    }
    expect(await rulesHit(SNIPPETS.childProcess!, 'test/support/new.ts')).toEqual([]);
  }, 60_000);
});
