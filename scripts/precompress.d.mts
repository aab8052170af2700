// Types of scripts/precompress.mjs.
import type { Plugin } from 'vite';
export function precompress(
  dir: string,
): Promise<{ files: number; bytes: number; gzipBytes: number; brotliBytes: number }>;
export function precompressPlugin(opts: { root: string; outDir: string }): Plugin;
