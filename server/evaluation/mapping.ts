/** Check an evaluation's column → input mapping against the flow and the dataset before any row runs. */
import type { Flow } from '../../shared';
import type {
  DatasetVersionInfo,
  EvaluationConfig,
  EvaluationConfigInput,
  MetricSpec,
} from '../../shared/api/evaluation';
import { checkMetricSpecs, metricName, metricNeedsExpected } from './metrics/index';

export interface MappingProblem {
  path: string;
  message: string;
}

export class MappingError extends Error {
  readonly code = 'invalid_mapping';
  constructor(readonly problems: MappingProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    this.name = 'MappingError';
  }
}

/**
 * Fill defaults (inputs named like a column map to it; `expected` defaults to the
 * `expected` column; the scored output defaults to the flow's first output) and return
 * the completed config, or throw MappingError listing every problem.
 */
export function checkMapping(flow: Flow, version: DatasetVersionInfo, input: EvaluationConfigInput): EvaluationConfig {
  const problems: MappingProblem[] = [];
  const columns = new Set(version.columns);
  const mapping: Record<string, string> = { ...(input.mapping ?? {}) };
  const flowInputs = new Map(flow.inputs.map((i) => [i.name, i]));
  for (const i of flow.inputs) if (!Object.hasOwn(mapping, i.name) && columns.has(i.name)) mapping[i.name] = i.name;
  for (const [name, column] of Object.entries(mapping)) {
    if (!flowInputs.has(name))
      problems.push({
        path: `mapping.${name}`,
        message: `the flow has no input "${name}" (inputs: ${[...flowInputs.keys()].join(', ') || 'none'})`,
      });
    if (!columns.has(column))
      problems.push({
        path: `mapping.${name}`,
        message: `column "${column}" is not in the dataset (columns: ${version.columns.join(', ')})`,
      });
  }
  for (const i of flow.inputs) {
    if (i.required && i.default === undefined && !Object.hasOwn(mapping, i.name)) {
      problems.push({ path: `mapping.${i.name}`, message: `required input "${i.name}" is not mapped to a column` });
    }
  }
  let metrics: MetricSpec[] = [];
  if (input.metrics !== undefined && !Array.isArray(input.metrics))
    problems.push({ path: 'metrics', message: 'must be a list of metrics' });
  else {
    const checked = checkMetricSpecs(input.metrics ?? []);
    metrics = checked.specs;
    problems.push(...checked.problems);
    if ((input.metrics ?? []).length === 0) problems.push({ path: 'metrics', message: 'choose at least one metric' });
  }
  const names = metrics.map(metricName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) problems.push({ path: 'metrics', message: `two metrics are named "${dup}"; give one a name` });
  const needsExpected = metrics.filter(metricNeedsExpected);
  let expected = input.expected;
  if (expected === undefined && columns.has('expected')) expected = 'expected';
  if (expected !== undefined && !columns.has(expected)) {
    problems.push({
      path: 'expected',
      message: `reference column "${expected}" is not in the dataset (columns: ${version.columns.join(', ')})`,
    });
  } else if (expected === undefined && needsExpected.length > 0) {
    problems.push({
      path: 'expected',
      message: `${needsExpected.map(metricName).join(', ')} need a reference column: pass --expected <column> (there is no "expected" column)`,
    });
  }
  const output = input.output ?? flow.outputs[0]?.name;
  if (!output) problems.push({ path: 'output', message: 'the flow declares no outputs to score' });
  else if (!flow.outputs.some((o) => o.name === output))
    problems.push({ path: 'output', message: `the flow has no output "${output}"` });
  const sep = input.referenceSeparator;
  if (sep !== undefined && (typeof sep !== 'string' || sep === '' || sep.length > 10))
    problems.push({ path: 'referenceSeparator', message: 'must be a non-empty string of at most 10 characters' });
  const concurrency = input.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    problems.push({ path: 'concurrency', message: 'must be an integer from 1 to 256' });
  if (problems.length) throw new MappingError(problems);
  return {
    mapping,
    ...(expected ? { expected } : {}),
    output,
    metrics,
    concurrency,
    ...(input.limit ? { limit: input.limit } : {}),
    ...(sep ? { referenceSeparator: sep } : {}),
    datasetFormat: version.format,
  };
}
