// The `braid` command as it started before the production build (issue 14): tsx registered,
// the TypeScript sources loaded as they are. bench/startup/run.ts compares it with bin/braid.js
// running dist/server.
import { URL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(new URL('../../server/cli/main.ts', import.meta.url).href);
