/**
 * Whether this code runs from the production bundle (dist/server, built by
 * scripts/build.mjs) or as TypeScript sources through tsx. The bundle defines
 * `__BRAID_COMPILED__`; the sources never do.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

declare const __BRAID_COMPILED__: boolean | undefined;

export const COMPILED = typeof __BRAID_COMPILED__ !== 'undefined' && __BRAID_COMPILED__ === true;

/**
 * The file a worker thread or child process starts from: in the bundle, its compiled entry
 * (dist/server/<name>.js); from the sources, its tsx bootstrap (`dev`, next to the source).
 */
export function entryFile(dev: URL, compiledName: string): URL {
  // import.meta.dirname, unlike import.meta.url, is the bundle's own folder (the build keeps
  // import.meta.url pointing at each source file)
  return COMPILED ? pathToFileURL(path.join(import.meta.dirname, `${compiledName}.js`)) : dev;
}
