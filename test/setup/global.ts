/** Runs once before the whole suite. */
export default function setup(): void {
  process.env.BRAID_TEST = '1';
  // Nothing in tests may reach a real provider: no real keys leak into the suite.
  delete process.env.ANTHROPIC_API_KEY;
  process.env.LANGCHAIN_TRACING_V2 = 'false';
  process.env.LANGSMITH_TRACING = 'false';
}
