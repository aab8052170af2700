/**
 * Starting points of the new-flow dialog: the example flows shipped in flows/, bundled at
 * build time (this module is loaded when the dialog opens). A template that calls other
 * flows (subflow, map, loop, agent tools) brings them along: `withCalledFlows` lists the
 * closure, so a new flow from a template runs as the example does.
 */
import type { Flow } from '../../shared/flow/schema';
import { flowReferences } from '../../shared/flow/closure';

const files = import.meta.glob<Flow>('../../flows/*.flow.json', { eager: true, import: 'default' });

export interface FlowTemplate {
  flow: Flow;
  /** The description's first sentence. */
  sentence: string;
}

/** The first sentence of a description (the whole text when it has no sentence end). */
export function firstSentence(text: string): string {
  const m = /^[\s\S]*?[.!?。！？](?=\s|$)/.exec(text.trim());
  return (m ? m[0] : text).trim();
}

export const templates: FlowTemplate[] = Object.values(files)
  .filter((f) => f && Array.isArray(f.nodes))
  .map((flow) => ({ flow, sentence: firstSentence(flow.description ?? flow.name) }))
  .sort((a, b) => a.flow.nodes.length - b.flow.nodes.length || a.flow.name.localeCompare(b.flow.name));

/** The template flows a flow calls, directly or through others (not the flow itself), in discovery order. */
export function calledTemplates(flow: Flow): Flow[] {
  const byId = new Map(templates.map((t) => [t.flow.id, t.flow]));
  const seen = new Set([flow.id]);
  const out: Flow[] = [];
  const visit = (f: Flow) => {
    for (const ref of flowReferences(f)) {
      if (seen.has(ref.flow)) continue;
      seen.add(ref.flow);
      const called = byId.get(ref.flow);
      if (called) {
        out.push(called);
        visit(called);
      }
    }
  };
  visit(flow);
  return out;
}
