#!/usr/bin/env node
// The `braid` command. Runs the compiled server (dist/server, from `npm run build`) when it
// was built from the sources as they are now; otherwise registers tsx so the TypeScript
// sources run as they are (development: an edit never runs stale code).
import { fileURLToPath, URL } from 'node:url';
import { checkBuild } from './build-stamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
if (checkBuild(root, 'server').fresh) {
  await import(new URL('../dist/server/braid.js', import.meta.url).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../server/cli/main.ts', import.meta.url).href);
}
