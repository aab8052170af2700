// The builder runs under a Content-Security-Policy without 'unsafe-eval' (server/http/static.ts).
// zod compiles fast parsers with `new Function` when it may, and probes for that when an object
// schema is built: a probe the browser reports as a CSP violation. jitless: zod's plain parsers,
// no probe. zod reads its configuration from globalThis.__zod_globalConfig.
//
// A classic script copied as it is (client/public), not a module: it runs before any module
// script, whatever chunks the bundler makes. (As a module entry it was merged into the main
// chunk, whose imports, shared schemas among them, are evaluated before its own code.)
globalThis.__zod_globalConfig = Object.assign({}, globalThis.__zod_globalConfig, { jitless: true });
