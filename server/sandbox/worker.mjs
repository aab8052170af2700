// Bootstrap of a sandbox worker thread: registers tsx so the TypeScript worker body runs as
// it is (like bin/braid.js does for the main thread), then loads it.
import { URL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(new URL('./quickjs-worker.ts', import.meta.url).href);
