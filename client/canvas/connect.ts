import type { Connection } from '@xyflow/react';
import { portTypesCompatible } from '../../shared/ports';
import { wouldCreateCycle } from '../../shared/flow/graph';
import { useDoc } from '../store/docStore';
import { portsOf } from '../store/catalog';

/** Why a connection is refused, or null when it is allowed. Uses the shared port rules. */
export function connectionProblem(
  c: Pick<Connection, 'source' | 'target' | 'sourceHandle' | 'targetHandle'>,
): string | null {
  const { nodes, edges, meta } = useDoc.getState();
  if (!c.source || !c.target) return 'Connect an output port to an input port.';
  if (c.source === c.target) return 'A node cannot be connected to itself.';
  const src = nodes.find((n) => n.id === c.source);
  const tgt = nodes.find((n) => n.id === c.target);
  if (!src || !tgt) return 'Unknown node.';
  const out = portsOf(src.data, meta).outputs.find((p) => p.name === c.sourceHandle);
  const inp = portsOf(tgt.data, meta).inputs.find((p) => p.name === c.targetHandle);
  if (!out || !inp) return 'Connect an output port (right side) to an input port (left side).';
  if (!portTypesCompatible(out.type, inp.type)) {
    return `Incompatible types: ${src.id}.${out.name} is ${out.type}, but ${tgt.id}.${inp.name} expects ${inp.type}.`;
  }
  if (
    edges.some(
      (e) =>
        e.source === c.source &&
        e.target === c.target &&
        e.sourceHandle === c.sourceHandle &&
        e.targetHandle === c.targetHandle,
    )
  ) {
    return 'These ports are already connected.';
  }
  if (wouldCreateCycle(edges, { source: c.source, target: c.target })) {
    return `That would create a cycle: ${tgt.id} already feeds into ${src.id}. Flows must be acyclic.`;
  }
  return null;
}
