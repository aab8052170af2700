/**
 * The builder runs under a Content-Security-Policy without `unsafe-eval` (server/http/static.ts).
 * zod compiles fast parsers with `new Function` when it may, and probes for that when an object
 * schema is built — a probe the browser reports as a CSP violation. jitless: zod's plain
 * parsers, no probe. This file is its own entry script in index.html, loaded before main.tsx and
 * importing nothing: the bundler may put shared schemas in zod's chunk, which is evaluated before
 * any code of the main chunk, so configuring zod from main.tsx would come too late. zod reads
 * its configuration from `globalThis.__zod_globalConfig`.
 */
const g = globalThis as { __zod_globalConfig?: Record<string, unknown> };
g.__zod_globalConfig = { ...g.__zod_globalConfig, jitless: true };

export {};
