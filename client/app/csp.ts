/**
 * The builder runs under a Content-Security-Policy without `unsafe-eval` (server/http/static.ts).
 * zod compiles fast parsers with `new Function` when it may, and probes for that on first
 * use — a probe the browser reports as a CSP violation. jitless: zod's plain parsers, no probe.
 * Imported first by main.tsx, before any schema parses.
 */
import { config } from 'zod';

config({ jitless: true });
