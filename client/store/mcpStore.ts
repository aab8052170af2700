import { create } from 'zustand';
import type { McpServerListing } from '../../shared/api/mcp';
import { api } from '../api/http';

/**
 * The operator's MCP servers and their tools (GET /api/mcp/servers), for the agent node:
 * its canvas body (tool counts) and its inspector (server and tool pickers). Loaded once on
 * first use; `load(true)` re-lists the tools.
 */
export interface McpState {
  servers: McpServerListing[];
  /** False when BRAID_MCP_CONFIG is not set. */
  configured: boolean;
  status: 'idle' | 'loading' | 'loaded' | 'failed';
  error: string | null;
  load(refresh?: boolean): Promise<void>;
}

export const useMcp = create<McpState>()((set, get) => ({
  servers: [],
  configured: false,
  status: 'idle',
  error: null,
  async load(refresh = false) {
    if (!refresh && get().status !== 'idle') return;
    set({ status: 'loading' });
    try {
      const r = await api.mcpServers(refresh);
      set({ servers: r.servers, configured: r.configured, status: 'loaded', error: null });
    } catch (err) {
      set({ status: 'failed', error: (err as Error).message });
    }
  },
}));
