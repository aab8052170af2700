/**
 * Per-node overhead of the runtime: a 200-node DAG of template transforms (each node
 * renders one small mustache template), run N times after a warm-up. Prints runs/s and
 * µs per node as a markdown table row.
 *
 *   npx tsx bench/runtime/nodes.ts [runs=1000] [--events]
 */
import type { Flow, FlowEdge, FlowNode, RunEvent } from '../../shared';
import { loadConfig } from '../../server/config';
import { runFlow } from '../../server/runtime';
import { coreExecutors } from '../../server/runtime/test-executors';

const NODES = 200;

/** input → 200 transforms (each fed by a tree parent and, when present, its predecessor) → output. */
export function benchFlow(n = NODES): Flow {
  const nodes: FlowNode[] = [{ id: 'in', type: 'input', position: { x: 0, y: 0 } }];
  const edges: FlowEdge[] = [];
  for (let i = 0; i < n; i++) {
    const id = `t${i}`;
    const parent = i === 0 ? null : `t${Math.floor((i - 1) / 2)}`;
    const prev = i >= 2 ? `t${i - 1}` : null;
    const template = prev ? 'n{{a}}{{#b}}.{{/b}}' : 'n{{a}}';
    nodes.push({ id, type: 'transform', position: { x: i * 10, y: 0 }, config: { mode: 'template', template } });
    edges.push(
      parent
        ? { source: parent, sourcePort: 'result', target: id, targetPort: 'a' }
        : { source: 'in', sourcePort: 'q', target: id, targetPort: 'a' },
    );
    if (prev) edges.push({ source: prev, sourcePort: 'result', target: id, targetPort: 'b' });
  }
  nodes.push({ id: 'out', type: 'output', position: { x: 0, y: 100 } });
  edges.push({ source: `t${n - 1}`, sourcePort: 'result', target: 'out', targetPort: 'answer' });
  return {
    schemaVersion: 1,
    id: 'bench-nodes',
    name: 'Bench: 200 transforms',
    inputs: [{ name: 'q', type: 'string', required: true }],
    outputs: [{ name: 'answer', type: 'string' }],
    nodes,
    edges,
  };
}

async function main(): Promise<void> {
  const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);
  const withEvents = process.argv.includes('--events');
  const flow = benchFlow();
  const services = { config: loadConfig({}) };
  let events = 0;
  const onEvent = withEvents ? (_e: RunEvent) => void events++ : undefined;
  const once = async (): Promise<void> => {
    const res = await runFlow(flow, { q: 'x' }, { services, executors: coreExecutors, onEvent });
    if (res.status !== 'succeeded') throw new Error(`bench run ${res.status}: ${JSON.stringify(res.trace.error)}`);
  };
  for (let i = 0; i < Math.min(300, runs); i++) await once();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await once();
  const ns = Number(process.hrtime.bigint() - t0);
  const nodeCount = flow.nodes.length;
  const runsPerSec = runs / (ns / 1e9);
  const usPerNode = ns / 1e3 / runs / nodeCount;
  console.log(
    `| runtime/nodes${withEvents ? ' (events)' : ''} | ${nodeCount} nodes (${NODES} template transforms), ${runs} runs | ${runsPerSec.toFixed(1)} runs/s | ${usPerNode.toFixed(1)} µs/node | ${new Date().toISOString().slice(0, 10)} |`,
  );
  if (withEvents) console.log(`events per run: ${events / (runs + Math.min(300, runs))}`);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
