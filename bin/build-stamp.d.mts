// Types of bin/build-stamp.mjs (plain JavaScript, so bin/braid.js can use it without tsx).
export interface BuildSpec {
  stamp: string;
  dirs: string[];
  files: string[];
}
export type BuildName = 'server' | 'client';
export const BUILDS: Record<BuildName, BuildSpec>;
export interface SourceFile {
  rel: string;
  size: number;
  mtimeMs: number;
}
export interface Stamp {
  builtAt: string;
  files: number;
  stat: string;
  content: string;
  /** server builds: the files written, kept by the next build for processes still running */
  outputs?: string[];
}
export function sourceFiles(root: string, spec: Pick<BuildSpec, 'dirs' | 'files'>): SourceFile[];
export function statKey(files: SourceFile[]): string;
export function contentKey(root: string, files: Array<Pick<SourceFile, 'rel'>>): string;
export function makeStamp(root: string, name: BuildName): Stamp;
export function writeStamp<S extends Stamp>(root: string, name: BuildName, stampFile?: string, stamp?: S): S;
export function checkBuild(
  root: string,
  name: BuildName,
  stampFile?: string,
): { fresh: boolean; reason: 'fresh' | 'missing' | 'changed' };
