// Types of scripts/build.mjs.
export function buildServer(opts?: { outDir?: string; quiet?: boolean }): Promise<{ ms: number; bytes: number }>;
export function buildClient(): Promise<void>;
