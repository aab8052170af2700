/**
 * From a dataset row to a run's inputs and references, before the flow runs.
 *
 * - **Typed CSV cells.** Every CSV cell is text; a flow input declared `number`,
 *   `boolean`, `json` (or `messages` / `documents`) receives the cell converted to that
 *   type: `"3"` → 3 (full-width `"３"` too), `true`/`false`/`1`/`0`/`yes`/`no` → a boolean,
 *   JSON text → its value. A cell that cannot be converted fails its row with an error naming the column and the line, before the flow
 *   runs, so no model call is spent on it. An empty cell is a missing value (the input's
 *   default applies, or "required"). JSONL values keep their JSON types.
 * - **Several references.** The reference cell becomes a list of references when
 *   `referenceSeparator` is set (the cell is split on it), or, in a CSV dataset, when the
 *   cell holds a JSON array (`["東京", "東京都"]`). Metrics then score against the best.
 */
import type { Flow, PortType } from '../../shared';
import type { CellProblems, EvaluationConfig } from '../../shared/api/evaluation';

export type CellResult = { value: unknown; error?: undefined } | { value?: undefined; error: string };

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** Convert one CSV cell to a port type (full-width digits and signs, as typed in Japanese spreadsheets, count). */
export function convertCell(text: string, type: PortType): CellResult {
  if (type === 'string' || type === 'any') return { value: text };
  const t = text.normalize('NFKC').trim();
  if (t === '') return { value: undefined };
  switch (type) {
    case 'number': {
      const n = Number(t);
      return NUMBER.test(t) && Number.isFinite(n) ? { value: n } : { error: 'is not a number' };
    }
    case 'boolean': {
      const b = t.toLowerCase();
      if (TRUE.has(b)) return { value: true };
      if (FALSE.has(b)) return { value: false };
      return { error: 'is not a boolean (write true/false, 1/0 or yes/no)' };
    }
    default:
      try {
        return { value: JSON.parse(text) as unknown };
      } catch (e) {
        return { error: `is not JSON (${(e as Error).message})` };
      }
  }
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

/** The run's inputs of one row, or the error that fails the row (column, line, value, expected type). */
export function rowInputs(
  flow: Flow,
  config: EvaluationConfig,
  row: { idx: number; line?: number; data: Record<string, unknown> },
): { inputs: Record<string, unknown>; error?: undefined } | { inputs: Record<string, unknown>; error: string } {
  const inputs: Record<string, unknown> = {};
  const errors: string[] = [];
  const typed = config.datasetFormat === 'csv';
  const declared = new Map(flow.inputs.map((i) => [i.name, i.type ?? 'string']));
  for (const [name, column] of Object.entries(config.mapping)) {
    // Own properties only: a column named `constructor` that the row lacks is absent, not Object.
    if (!Object.hasOwn(row.data, column) || row.data[column] === undefined) continue;
    const cell = row.data[column];
    const type = declared.get(name);
    if (!typed || typeof cell !== 'string' || type === undefined) {
      inputs[name] = cell;
      continue;
    }
    const r = convertCell(cell, type);
    if (r.error !== undefined) {
      inputs[name] = cell;
      errors.push(
        `column "${column}"${row.line ? ` (line ${row.line})` : ''}: ${JSON.stringify(clip(cell))} ${r.error} (input "${name}" is ${type})`,
      );
    } else if (r.value !== undefined) inputs[name] = r.value;
  }
  return errors.length ? { inputs, error: errors.join('; ') } : { inputs };
}

/** The reference(s) of one row: a list when the cell holds several, else the value itself. */
export function referencesOf(
  value: unknown,
  config: Pick<EvaluationConfig, 'referenceSeparator' | 'datasetFormat'>,
): unknown {
  if (typeof value !== 'string') return value;
  if (config.referenceSeparator) {
    const parts = value
      .split(config.referenceSeparator)
      .map((p) => p.trim())
      .filter((p) => p !== '');
    return parts.length > 1 ? parts : (parts[0] ?? value);
  }
  if (config.datasetFormat === 'csv' && value.trimStart().startsWith('[')) {
    try {
      const list = JSON.parse(value) as unknown;
      if (Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === 'string' || typeof x === 'number'))
        return list.map(String);
    } catch {
      // not JSON: one literal reference
    }
  }
  return value;
}

/** Whether any mapped input of a CSV dataset needs its cells converted. */
export function hasTypedCells(flow: Flow, config: EvaluationConfig): boolean {
  if (config.datasetFormat !== 'csv') return false;
  const types = new Map(flow.inputs.map((i) => [i.name, i.type ?? 'string']));
  return Object.keys(config.mapping).some((n) => !['string', 'any', undefined].includes(types.get(n)));
}

/** The pre-run check: every row's cells converted once, before any row runs. */
export async function checkCells(
  flow: Flow,
  config: EvaluationConfig,
  rows: AsyncIterable<Array<{ idx: number; line?: number; data: Record<string, unknown> }>>,
  keep = 5,
): Promise<CellProblems> {
  const out: CellProblems = { rows: 0, first: [] };
  for await (const page of rows)
    for (const row of page) {
      if (config.limit !== undefined && row.idx >= config.limit) return out;
      const r = rowInputs(flow, config, row);
      if (r.error === undefined) continue;
      out.rows++;
      if (out.first.length < keep) out.first.push({ rowIdx: row.idx, message: r.error });
    }
  return out;
}
