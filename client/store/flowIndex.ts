import { create } from 'zustand';
import type { FlowInterface } from '../../shared/nodes/define';
import { api, type FlowSummary } from '../api/http';

/**
 * The other flows of the flows folder, as the canvas needs them: names for the flow
 * pickers of subflow, map and loop nodes, and declared inputs/outputs for their ports and
 * for validation. Loaded from the flow list each time a flow is opened.
 */
export interface FlowIndexState {
  flows: FlowSummary[];
  byId: Record<string, FlowInterface>;
  loaded: boolean;
  load(): Promise<void>;
}

export const useFlowIndex = create<FlowIndexState>()((set) => ({
  flows: [],
  byId: {},
  loaded: false,
  async load() {
    let flows: FlowSummary[];
    try {
      flows = await api.listFlows();
    } catch {
      return; // the canvas still works; subflow ports stay unknown until the next load
    }
    set({
      flows,
      byId: Object.fromEntries(flows.map((f) => [f.id, { inputs: f.inputs ?? [], outputs: f.outputs ?? [] }])),
      loaded: true,
    });
  },
}));

/** The resolver handed to port functions and validation (reads the current index). */
export function flowResolver(): (id: string) => FlowInterface | undefined {
  const byId = useFlowIndex.getState().byId;
  return (id) => (Object.prototype.hasOwnProperty.call(byId, id) ? byId[id] : undefined);
}
