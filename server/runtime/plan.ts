/**
 * The pure part of a run: which nodes are ready, which are skipped, and what values reach
 * each input port. No I/O, no timers, no knowledge of node types beyond their ports.
 *
 * `compilePlan` resolves a flow once (ports, parsed configs, edge indexes, topological
 * order, cycles) and caches the result per flow object, so treat a flow as immutable once
 * it has been run. A `Ledger` is the per-run state over a plan.
 */
import {
  findCycles,
  flowReferences,
  getNodeType,
  nodePorts,
  parseNodeConfig,
  type Flow,
  type FlowInterface,
  type FlowNode,
  type PortContext,
  type PortSpec,
} from '../../shared';
import { streamableNodes } from '../../shared/flow/streaming';
import type { FlowResolver } from './types';

export type NodeState = 'pending' | 'ready' | 'running' | 'done' | 'failed' | 'skipped';

export interface PlanEdge {
  source: number;
  sourcePort: string;
  target: number;
  targetPort: string;
}

export interface PlanNode {
  index: number;
  node: FlowNode;
  /** Config parsed with the type's defaults (undefined when invalid or the type is unknown). */
  config: unknown;
  /** Why the node cannot run (unknown type, invalid config, unknown called flow), with a config path. */
  problem?: { code: string; message: string; path?: string };
  /** The node type's default timeout when the node sets none (0: none; undefined: the config's). */
  defaultTimeoutMs?: number;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** Incoming edge indexes, in `flow.edges` order. */
  inEdges: number[];
  outEdges: number[];
  /** Incoming edge indexes per target port, in `flow.edges` order. */
  portEdges: Map<string, number[]>;
  /** Ports that are required and connected. */
  requiredConnected: string[];
  /** Unconnected ports with a literal value in `node.values`. */
  literalPorts: string[];
}

export interface Plan {
  flow: Flow;
  nodes: PlanNode[];
  edges: PlanEdge[];
  index: Map<string, number>;
  /** Node indexes in a topological order (nodes on a cycle are left out). */
  order: number[];
  /** Node ids on a cycle, when the flow is not a DAG. */
  cycle?: string[];
}

const planCache = new WeakMap<Flow, Plan>();

/**
 * Resolve a flow into a plan (cached per flow object). `flows` gives the interfaces of the
 * flows its subflow, map and loop nodes call (their ports); the first compile wins.
 */
export function compilePlan(flow: Flow, flows?: (id: string) => FlowInterface | undefined): Plan {
  const cached = planCache.get(flow);
  if (cached) return cached;
  const plan = buildPlan(flow, flows);
  planCache.set(flow, plan);
  return plan;
}

const streamCache = new WeakMap<Plan, ReadonlySet<string>>();

/** The nodes that may stream tokens to a public caller (shared/flow/streaming.ts), once per plan. */
export function streamableOf(plan: Plan): ReadonlySet<string> {
  let set = streamCache.get(plan);
  if (!set) {
    set = streamableNodes(plan.flow);
    streamCache.set(plan, set);
  }
  return set;
}

/** `compilePlan` after reading the interfaces of the flows this flow calls from `resolver`. */
export async function preparePlan(flow: Flow, resolver?: FlowResolver): Promise<Plan> {
  const cached = planCache.get(flow);
  if (cached) return cached;
  const io = new Map<string, FlowInterface>();
  for (const ref of flowReferences(flow)) {
    if (io.has(ref.flow) || !resolver) continue;
    const called = await resolver.get(ref.flow);
    if (called) io.set(ref.flow, { inputs: called.inputs, outputs: called.outputs });
  }
  return compilePlan(flow, (id) => io.get(id));
}

function buildPlan(flow: Flow, flows?: (id: string) => FlowInterface | undefined): Plan {
  const portCtx: PortContext = { flow: { inputs: flow.inputs ?? [], outputs: flow.outputs ?? [] }, flows };
  const index = new Map<string, number>();
  const nodes: PlanNode[] = flow.nodes.map((node, i) => {
    if (!index.has(node.id)) index.set(node.id, i);
    const parsed = parseNodeConfig(node.type, node.config);
    let problem: PlanNode['problem'];
    if (!parsed.ok) {
      if (parsed.error === null) problem = { code: 'unknown_node_type', message: `unknown node type "${node.type}"` };
      else {
        const issue = parsed.error.issues[0];
        const path = ['config', ...(issue?.path ?? [])].join('.');
        problem = {
          code: 'invalid_config',
          message: `invalid config at ${path}: ${issue?.message ?? 'invalid'}`,
          path,
        };
      }
    }
    const def = getNodeType(node.type);
    if (parsed.ok && !problem) {
      const own = def?.check?.(parsed.config, portCtx)[0];
      if (own) problem = { code: own.code, message: own.message, path: ['config', ...own.path].join('.') };
    }
    const ports = parsed.ok ? nodePorts(node.type, node.config, portCtx) : { inputs: [], outputs: [] };
    return {
      index: i,
      node,
      config: parsed.ok ? parsed.config : undefined,
      problem,
      defaultTimeoutMs: def?.defaultTimeoutMs,
      inputs: ports.inputs,
      outputs: ports.outputs,
      inEdges: [],
      outEdges: [],
      portEdges: new Map(),
      requiredConnected: [],
      literalPorts: [],
    };
  });
  const edges: PlanEdge[] = [];
  for (const e of flow.edges ?? []) {
    const source = index.get(e.source);
    const target = index.get(e.target);
    if (source === undefined || target === undefined) continue; // dangling: validation reports it
    const ei = edges.length;
    edges.push({ source, sourcePort: e.sourcePort, target, targetPort: e.targetPort });
    nodes[source].outEdges.push(ei);
    const t = nodes[target];
    t.inEdges.push(ei);
    const list = t.portEdges.get(e.targetPort);
    if (list) list.push(ei);
    else t.portEdges.set(e.targetPort, [ei]);
  }
  for (const n of nodes) {
    for (const p of n.inputs) {
      if (n.portEdges.has(p.name)) {
        if (p.required) n.requiredConnected.push(p.name);
      } else if (n.node.values && Object.prototype.hasOwnProperty.call(n.node.values, p.name)) {
        n.literalPorts.push(p.name);
      }
    }
  }
  // Kahn's algorithm; what remains is on (or behind) a cycle.
  const indeg = nodes.map((n) => n.inEdges.length);
  const queue: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (indeg[i] === 0) queue.push(i);
  const order: number[] = [];
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    order.push(i);
    for (const ei of nodes[i].outEdges) if (--indeg[edges[ei].target] === 0) queue.push(edges[ei].target);
  }
  const plan: Plan = { flow, nodes, edges, index, order };
  if (order.length < nodes.length) {
    const ids = nodes.map((n) => n.node.id);
    const planEdges = edges.map((e) => ({ source: ids[e.source], target: ids[e.target] }));
    plan.cycle = findCycles(ids, planEdges, { limit: 1 }).cycles[0];
  }
  return plan;
}

const EDGE_PENDING = 0;
const EDGE_LIVE = 1;
const EDGE_SKIPPED = 2;

/** Per-run state over a plan. */
export class Ledger {
  readonly plan: Plan;
  private readonly states: NodeState[];
  private readonly edgeStates: Uint8Array;
  private readonly resolvedIn: Int32Array;
  private readonly results: Array<Record<string, unknown> | undefined>;
  private readonly skipReasons: Array<string | undefined>;
  private readyQueue: number[] = [];
  private skippedQueue: number[] = [];
  private unsettled: number;

  constructor(plan: Plan) {
    this.plan = plan;
    const n = plan.nodes.length;
    this.states = new Array<NodeState>(n).fill('pending');
    this.edgeStates = new Uint8Array(plan.edges.length);
    this.resolvedIn = new Int32Array(n);
    this.results = new Array(n);
    this.skipReasons = new Array(n);
    this.unsettled = n;
    for (const i of plan.order) if (plan.nodes[i].inEdges.length === 0) this.markReady(i);
  }

  state(i: number): NodeState {
    return this.states[i];
  }

  /** Nodes that became ready since the last call. */
  takeReady(): number[] {
    const out = this.readyQueue;
    this.readyQueue = [];
    return out;
  }

  /** Nodes that became skipped since the last call. */
  takeSkipped(): number[] {
    const out = this.skippedQueue;
    this.skippedQueue = [];
    return out;
  }

  skipReason(i: number): string | undefined {
    return this.skipReasons[i];
  }

  outputsOf(i: number): Record<string, unknown> | undefined {
    return this.results[i];
  }

  /** Whether every node is done, skipped or failed. */
  settled(): boolean {
    return this.unsettled === 0;
  }

  start(i: number): void {
    if (this.states[i] !== 'ready')
      throw new Error(`ledger: node ${this.plan.nodes[i].node.id} is ${this.states[i]}, not ready`);
    this.states[i] = 'running';
  }

  /** A node finished: its outputs flow on, edges from `skipPorts` are skipped. */
  complete(i: number, outputs: Record<string, unknown>, skipPorts?: readonly string[]): void {
    if (this.states[i] !== 'running')
      throw new Error(`ledger: node ${this.plan.nodes[i].node.id} is ${this.states[i]}, not running`);
    this.states[i] = 'done';
    this.results[i] = outputs;
    this.unsettled--;
    const { edges, nodes } = this.plan;
    for (const ei of nodes[i].outEdges) {
      const skipped = skipPorts !== undefined && skipPorts.length > 0 && skipPorts.includes(edges[ei].sourcePort);
      this.resolveEdge(ei, skipped);
    }
  }

  fail(i: number): void {
    if (this.states[i] === 'done' || this.states[i] === 'skipped' || this.states[i] === 'failed') return;
    this.states[i] = 'failed';
    this.unsettled--;
  }

  /**
   * Input values of node `i`: for each connected port, the value from the first edge (in
   * `flow.edges` order) whose source was not skipped; unconnected ports take `node.values`.
   * Ports whose every edge is skipped, or whose source produced nothing, are absent.
   */
  inputsFor(i: number): Record<string, unknown> {
    const pn = this.plan.nodes[i];
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const values = pn.node.values;
    for (const name of pn.literalPorts) out[name] = values![name];
    for (const [port, list] of pn.portEdges) {
      for (const ei of list) {
        if (this.edgeStates[ei] !== EDGE_LIVE) continue;
        const e = this.plan.edges[ei];
        const src = this.results[e.source];
        const v = src === undefined ? undefined : src[e.sourcePort];
        if (v !== undefined) out[port] = v;
        break;
      }
    }
    return out;
  }

  /** The node whose value reaches input `port` of node `i` (first non-skipped edge). */
  sourceOf(i: number, port: string): number | undefined {
    const list = this.plan.nodes[i].portEdges.get(port);
    if (!list) return undefined;
    for (const ei of list) if (this.edgeStates[ei] === EDGE_LIVE) return this.plan.edges[ei].source;
    return undefined;
  }

  /**
   * Run node `i` again (re-ask): it becomes ready with the same inputs, and everything
   * downstream of it goes back to pending. Returns the downstream nodes that were reset, and
   * among them those that were running (the caller aborts them and ignores late results).
   */
  rerun(i: number): { running: number[]; reset: number[] } {
    const { nodes, edges } = this.plan;
    const down = new Set<number>();
    const stack = [i];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      for (const ei of nodes[cur].outEdges) {
        this.edgeStates[ei] = EDGE_PENDING;
        const t = edges[ei].target;
        if (t !== i && !down.has(t)) {
          down.add(t);
          stack.push(t);
        }
      }
    }
    const wasRunning: number[] = [];
    const reset = (n: number): void => {
      const s = this.states[n];
      if (s === 'running') wasRunning.push(n);
      if (s === 'done' || s === 'skipped' || s === 'failed') this.unsettled++;
      this.states[n] = 'pending';
      this.results[n] = undefined;
      this.skipReasons[n] = undefined;
    };
    reset(i);
    for (const d of down) {
      reset(d);
      let resolved = 0;
      for (const ei of nodes[d].inEdges) if (this.edgeStates[ei] !== EDGE_PENDING) resolved++;
      this.resolvedIn[d] = resolved;
    }
    this.readyQueue = this.readyQueue.filter((n) => n !== i && !down.has(n));
    this.skippedQueue = this.skippedQueue.filter((n) => n !== i && !down.has(n));
    this.markReady(i);
    return { running: wasRunning, reset: [...down] };
  }

  private markReady(i: number): void {
    this.states[i] = 'ready';
    this.readyQueue.push(i);
  }

  private resolveEdge(ei: number, skipped: boolean): void {
    this.edgeStates[ei] = skipped ? EDGE_SKIPPED : EDGE_LIVE;
    const t = this.plan.edges[ei].target;
    if (++this.resolvedIn[t] === this.plan.nodes[t].inEdges.length && this.states[t] === 'pending') this.decide(t);
  }

  /** All incoming edges of `t` are resolved: it is ready or skipped. */
  private decide(t: number): void {
    const pn = this.plan.nodes[t];
    let reason: string | undefined;
    for (const port of pn.requiredConnected) {
      if (pn.portEdges.get(port)!.every((ei) => this.edgeStates[ei] === EDGE_SKIPPED)) {
        reason = `required input "${port}" has no value: ${this.describeSkip(pn.portEdges.get(port)!)}`;
        break;
      }
    }
    if (reason === undefined && pn.inEdges.every((ei) => this.edgeStates[ei] === EDGE_SKIPPED)) {
      reason = `every input was skipped: ${this.describeSkip(pn.inEdges)}`;
    }
    if (reason === undefined) this.markReady(t);
    else this.skip(t, reason);
  }

  private describeSkip(edgeIdx: number[]): string {
    const parts = edgeIdx.map((ei) => {
      const e = this.plan.edges[ei];
      const src = this.plan.nodes[e.source].node.id;
      return this.states[e.source] === 'skipped' ? `${src} was skipped` : `branch ${src}.${e.sourcePort} not taken`;
    });
    return [...new Set(parts)].join(', ');
  }

  private skip(t: number, reason: string): void {
    this.states[t] = 'skipped';
    this.skipReasons[t] = reason;
    this.unsettled--;
    this.skippedQueue.push(t);
    for (const ei of this.plan.nodes[t].outEdges) this.resolveEdge(ei, true);
  }
}
