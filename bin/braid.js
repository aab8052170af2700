#!/usr/bin/env node
// The `braid` command: registers tsx so the TypeScript sources run as they are, then
// hands over to server/cli/main.ts.
import { URL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(new URL('../server/cli/main.ts', import.meta.url).href);
