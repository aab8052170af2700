import { fileURLToPath } from 'node:url';
import { checkBuild } from '../../bin/build-stamp.mjs';
import { buildServer } from '../../scripts/build.mjs';

/** Runs once before the whole suite. */
export default async function setup(): Promise<void> {
  process.env.BRAID_TEST = '1';
  // Nothing in tests may reach a real provider: no real keys leak into the suite.
  delete process.env.ANTHROPIC_API_KEY;
  process.env.LANGCHAIN_TRACING_V2 = 'false';
  process.env.LANGSMITH_TRACING = 'false';
  // Tests that spawn `node bin/braid.js` start the compiled server (about half the start-up
  // time of tsx): build it when it is missing or older than the sources (~1–2.5 s, skipped
  // when fresh). bin/braid.js falls back to tsx by itself if a source changes mid-run.
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (!checkBuild(root, 'server').fresh) await buildServer({ quiet: true });
}
