/**
 * Which evaluations may skip the process pool and run on the calling thread: an expression
 * whose cost is bounded by its size times its input's size, over a small input. Bounded
 * means built only from literals, variables, field paths (`a.b.c`, no filters, grouping,
 * wildcards, blocks or sorting), arithmetic, comparison, boolean and `&` operators, `in`,
 * conditionals, parentheses and array / object constructors: no function call (no builtin can build a
 * huge value), no lambda or recursion, no range, no regex. With at most MAX_NODES nodes over
 * at most MAX_INPUT_BYTES of input, the worst case is a few thousand steps; everything else
 * goes to the pool (server/sandbox/jsonata-pool.ts), which can stop it.
 */
import { compileJsonata, jsonSizeUpTo } from './jsonata-engine';

export const INLINE_LIMITS = {
  /** Longest expression text considered (longer ones are not even parsed here). */
  maxChars: 400,
  /** Most AST nodes. */
  maxNodes: 40,
  /** Largest input (JSON bytes, about). */
  maxInputBytes: 4 * 1024,
};

const OPERATORS = new Set(['+', '-', '*', '/', '%', '=', '!=', '<', '<=', '>', '>=', 'and', 'or', '&', 'in']);
/** AST properties a bounded node may carry; any other (stages, group, focus, index…) disqualifies it. */
const KEYS = new Set([
  'type',
  'value',
  'position',
  'lhs',
  'rhs',
  'steps',
  'expression',
  'expressions',
  'condition',
  'then',
  'else',
  'keepArray',
  'keepSingletonArray',
  'consarray',
]);

/** An AST node as the parser builds it (its `type` includes values jsonata's typings omit, e.g. `path`). */
type Ast = Record<string, unknown> & { type?: string };

function bounded(node: Ast | undefined, budget: { left: number }): boolean {
  if (!node || typeof node !== 'object') return false;
  if (--budget.left < 0) return false;
  for (const k of Object.keys(node)) if (!KEYS.has(k)) return false;
  const kids = (xs: unknown): boolean => Array.isArray(xs) && xs.every((x) => bounded(x as Ast, budget));
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value':
    case 'variable':
      return true;
    case 'path':
      return (
        Array.isArray(node.steps) &&
        node.steps.every((s, i) => {
          const step = s as Ast;
          if (--budget.left < 0 || Object.keys(step).some((k) => !KEYS.has(k))) return false;
          return step.type === 'name' || (i === 0 && step.type === 'variable');
        })
      );
    case 'binary':
      return OPERATORS.has(String(node.value)) && bounded(node.lhs as Ast, budget) && bounded(node.rhs as Ast, budget);
    case 'unary':
      if (node.value === '-') return bounded(node.expression as Ast, budget);
      if (node.value === '[') return kids(node.expressions);
      if (node.value === '{')
        return Array.isArray(node.lhs) && node.lhs.every((pair) => Array.isArray(pair) && kids(pair));
      return false;
    case 'block': // `(…)` outside a path: its expressions, once
      return kids(node.expressions);
    case 'condition':
      return (
        bounded(node.condition as Ast, budget) &&
        bounded(node.then as Ast, budget) &&
        (node.else === undefined || bounded(node.else as Ast, budget))
      );
    default:
      return false;
  }
}

const verdicts = new Map<string, boolean>();

/** Is this expression bounded (see above)? Cached by text; a syntax error is `false` (the pool reports it). */
export function isBoundedExpression(expression: string): boolean {
  const hit = verdicts.get(expression);
  if (hit !== undefined) return hit;
  let ok = false;
  if (expression.length <= INLINE_LIMITS.maxChars) {
    try {
      ok = bounded(compileJsonata(expression).ast() as unknown as Ast, { left: INLINE_LIMITS.maxNodes });
    } catch {
      ok = false;
    }
  }
  if (verdicts.size >= 1_000) verdicts.delete(verdicts.keys().next().value!);
  verdicts.set(expression, ok);
  return ok;
}

/** May this evaluation run on the calling thread? */
export function runsInline(expression: string, input: unknown): boolean {
  return (
    isBoundedExpression(expression) && jsonSizeUpTo(input, INLINE_LIMITS.maxInputBytes) <= INLINE_LIMITS.maxInputBytes
  );
}
