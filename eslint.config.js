import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * Code execution and process spawning stay in the places built for them: the QuickJS
 * sandbox (server/sandbox/), the CLI (server/cli/), and git's read-only history
 * (server/flows/history.ts: execFile with a fixed argv, no shell). Tests, benchmarks and
 * scripts spawn servers freely. Everywhere else `eval`, `new Function`, `node:vm` and
 * `child_process` are errors (docs/security.md).
 */
const EXEC_MODULES = ['child_process', 'node:child_process', 'vm', 'node:vm'];
const EXEC_MESSAGE =
  'no code execution or process spawning outside server/sandbox/ and server/cli/ (see docs/security.md)';
const EXEC_ALLOWED = ['server/sandbox/**', 'server/cli/**', 'server/flows/history.ts'];
const SCRIPTS = ['test/**', 'bench/**', 'scripts/**', 'bin/**', '**/*.test.ts'];
const execImports = EXEC_MODULES.map((name) => ({ name, message: EXEC_MESSAGE }));
const execDynamicImport = {
  selector: 'ImportExpression[source.value=/^(node:)?(child_process|vm)$/]',
  message: EXEC_MESSAGE,
};
const envOutsideConfig = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'read environment variables only in server/config.ts',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.braid/**', 'test-artifacts/**', 'shared/flow.schema.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-restricted-syntax': ['error', envOutsideConfig, execDynamicImport],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-imports': ['error', { paths: execImports }],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits or handles loses its error (an unhandled
    // rejection kills the process); a promise passed where a void callback is expected
    // (an event handler) does the same.
    // Product code only (tests, benchmarks and scripts are left out to keep `npx eslint .` fast).
    files: ['server/**/*.ts', 'client/**/*.ts', 'client/**/*.tsx', 'shared/**/*.ts'],
    ignores: ['**/*.test.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    // The rules of hooks (hooks called unconditionally, in the same order) and complete effect /
    // memo dependencies: a missing dependency is a stale value on screen, an extra one wasted
    // work. The React Compiler rules (purity, refs, set-state-in-effect, …) are not enabled.
    files: ['client/**/*.ts', 'client/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['server/config.ts', 'vite.config.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': ['error', execDynamicImport] },
  },
  {
    files: EXEC_ALLOWED,
    rules: { 'no-restricted-syntax': ['error', envOutsideConfig], 'no-restricted-imports': 'off' },
  },
  {
    files: SCRIPTS,
    rules: { 'no-restricted-syntax': 'off', 'no-restricted-imports': 'off', 'no-new-func': 'off' },
  },
  {
    files: ['client/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: execImports,
          patterns: [{ group: ['**/server/**', '../server/*'], message: 'client must not import server code' }],
        },
      ],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: execImports,
          patterns: [
            {
              group: ['**/server/**', '**/client/**', 'node:*'],
              message: 'shared/ has no Node, server or client imports',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'bin/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', performance: 'readonly' },
    },
  },
);
