import { describe, expect, it } from 'vitest';
import { acceptsConnection } from './connecting';

describe('acceptsConnection', () => {
  it('offers inputs of compatible types on other nodes when dragging from an output', () => {
    const from = { nodeId: 'retrieve', handleType: 'source' as const, portType: 'documents' as const };
    expect(acceptsConnection(from, { nodeId: 'map', side: 'in', type: 'any' })).toBe(true);
    expect(acceptsConnection(from, { nodeId: 'answer', side: 'in', type: 'documents' })).toBe(true);
    expect(acceptsConnection(from, { nodeId: 'answer', side: 'in', type: 'number' })).toBe(false);
    expect(acceptsConnection(from, { nodeId: 'answer', side: 'out', type: 'documents' })).toBe(false);
    expect(acceptsConnection(from, { nodeId: 'retrieve', side: 'in', type: 'string' })).toBe(false);
  });
  it('offers outputs that can feed the input when dragging from an input', () => {
    const from = { nodeId: 'answer', handleType: 'target' as const, portType: 'string' as const };
    expect(acceptsConnection(from, { nodeId: 'n', side: 'out', type: 'number' })).toBe(true);
    expect(acceptsConnection(from, { nodeId: 'n', side: 'out', type: 'documents' })).toBe(false);
    expect(acceptsConnection(from, { nodeId: 'n', side: 'in', type: 'string' })).toBe(false);
  });
});
