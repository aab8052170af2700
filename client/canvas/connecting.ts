import { create } from 'zustand';
import { portTypesCompatible, type PortType } from '../../shared/ports';

/** The connection being dragged, if any: where it starts and the type of that port. */
export interface Connecting {
  nodeId: string;
  handleType: 'source' | 'target';
  portType: PortType;
}

/** While a connection is dragged, every port shows whether it would accept it. */
export const useConnecting = create<{ from: Connecting | null }>()(() => ({ from: null }));

/**
 * Whether a port could take the connection being dragged: the other side (an input when
 * dragging from an output, and back), another node, and a compatible type. Cycles are
 * still refused on release, with the reason.
 */
export function acceptsConnection(
  from: Connecting,
  port: { nodeId: string; side: 'in' | 'out'; type: PortType },
): boolean {
  if (port.nodeId === from.nodeId) return false;
  if (from.handleType === 'source') return port.side === 'in' && portTypesCompatible(from.portType, port.type);
  return port.side === 'out' && portTypesCompatible(port.type, from.portType);
}
