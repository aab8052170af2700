import { defineConfig } from 'vitest/config';

/**
 * Test files whose assertions measure time or event-loop freedom (rate limiters, heartbeats,
 * slowloris deadlines, back-off under 429 storms). They run after everything else, one file
 * at a time, so a neighbour's CPU burst cannot make them flake.
 */
const TIMING_SENSITIVE = [
  'server/evaluation/limiter.test.ts',
  'server/evaluation/service.test.ts',
  'server/http/sse.test.ts',
  'server/deployment/rate-limit-redis.test.ts',
  'server/sandbox/pool.test.ts',
  'server/sandbox/jsonata-pool.test.ts',
  'server/llm/tokens.test.ts',
  'server/runtime/security.test.ts',
  'test/http/disconnect.test.ts',
  'test/security/dos.test.ts',
  'test/security/redis-hang.test.ts',
];

/**
 * Test files that must not share a module cache with other files: they mock modules
 * (`vi.mock`) or switch process-wide tracing on through the environment.
 */
const ISOLATED = [
  'test/http/no-execution.test.ts',
  'test/security/third-party-tracing.test.ts',
  'server/telemetry/otlp.http.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/setup/no-network.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['{shared,server,client,test}/**/*.test.ts'],
          exclude: [...TIMING_SENSITIVE, ...ISOLATED],
          // Most files wait on sockets, child processes and the browser: two at a time keep
          // both cores busy (Vitest would pick one worker on a 2-core machine).
          maxWorkers: 2,
          // Files in one worker share its module cache: the server's dependency graph
          // (LangChain, LanceDB, OpenTelemetry, …) is imported once per worker instead of once
          // per file (import time summed over the suite: 174 s → 51 s). Tests build their own
          // apps, stores and temp dirs, so nothing else is shared.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ISOLATED,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timing',
          include: TIMING_SENSITIVE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
