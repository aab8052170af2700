import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { precompressPlugin } from './scripts/precompress.mjs';

const root = fileURLToPath(new URL('./client', import.meta.url));
const repoRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/client', import.meta.url));

/**
 * The builder UI. `vite build` writes dist/client (with a gzip and a brotli copy of each
 * compressible file, scripts/precompress.mjs), which the server serves at `/`.
 * `vite` (dev) proxies /api to a Braid server on BRAID_DEV_API (default http://127.0.0.1:3000).
 * Monaco and its workers are bundled (no CDN): see client/inspector/monaco-setup.ts.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react(), precompressPlugin({ root: repoRoot, outDir })],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 6000,
    sourcemap: false,
  },
  worker: { format: 'es' },
  server: {
    proxy: { '/api': { target: process.env.BRAID_DEV_API ?? 'http://127.0.0.1:3000', changeOrigin: false } },
  },
});
