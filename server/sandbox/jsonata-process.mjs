// Bootstrap of a JSONata child process (server/sandbox/jsonata-pool.ts): registers tsx so the
// TypeScript body runs as it is (like bin/braid.js does for the server), then loads it.
import { URL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(new URL('./jsonata-process.ts', import.meta.url).href);
