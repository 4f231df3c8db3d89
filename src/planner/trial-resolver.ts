/**
 * Turns one assignment of parameter values into a resolved, canonical trial
 * config and its canonical JSON.
 *
 * The config is resolved in units (dataset, model, and each field of training).
 * A unit depends only on the parameters referenced inside it, so its result is
 * cached by those parameters' value indices: a million-point grid resolves each
 * unit only a few hundred times and assembles the rest from cached parts.
 */
import type { z } from 'zod';
import { InputError } from '../errors.ts';
import { canonicalize, deepFreeze } from '../spec/canonical-json.ts';
import { issueToProblems, renderValue } from '../spec/issue-messages.ts';
import { isWithin, referencedParameter, substituteReferences } from '../spec/references.ts';
import { sectionSchemas } from '../spec/sweep-file-schema.ts';
import type { SweepSpec } from '../spec/sweep-spec.ts';
import type { AugmentationConfig, FineTunePhaseConfig, ParameterValue, TrialConfig } from '../spec/trial-config.ts';
import { formatPath, type FieldPath } from '../spec/yaml-source.ts';
import type { SearchParameter } from './parameter-space.ts';

/** Parameter values for one trial, by parameter position; `indices[i]` is -1 for a sampled continuous value. */
export interface Assignment {
  indices: Int32Array;
  values: ParameterValue[];
}

/** A resolved part of the config: its value (frozen) and canonical JSON; both undefined when the field is absent. */
interface ResolvedUnit {
  value: unknown;
  json: string | undefined;
}

type UnitName = keyof typeof sectionSchemas;

// Most cached results kept per unit; a unit over more value combinations is resolved per trial.
const MAX_CACHED_COMBINATIONS = 1 << 16;

// Caches results by the value indices of the parameters a part depends on. Parts that
// depend on a continuous parameter, or on too many combinations, are computed every time.
class IndexCache<T> {
  private readonly dependencies: number[];
  private readonly strides: number[] | undefined;
  private readonly entries: (T | undefined)[] | undefined;

  constructor(dependencies: number[], parameters: readonly SearchParameter[]) {
    this.dependencies = dependencies;
    let combinations = 1;
    const strides: number[] = [];
    for (const dependency of dependencies) {
      const count = parameters[dependency].count;
      if (count === undefined) {
        combinations = Infinity;
        break;
      }
      strides.push(combinations);
      combinations *= count;
    }
    if (combinations <= MAX_CACHED_COMBINATIONS) {
      this.strides = strides;
      this.entries = new Array<T | undefined>(combinations);
    }
  }

  get(assignment: Assignment, compute: (assignment: Assignment) => T): T {
    if (this.entries === undefined || this.strides === undefined) {
      return compute(assignment);
    }
    let key = 0;
    for (let i = 0; i < this.dependencies.length; i++) {
      key += assignment.indices[this.dependencies[i]] * this.strides[i];
    }
    let entry = this.entries[key];
    if (entry === undefined) {
      entry = compute(assignment);
      this.entries[key] = entry;
    }
    return entry;
  }
}

class ConfigUnit {
  readonly name: UnitName;
  readonly path: FieldPath;
  /** Positions of the parameters this unit depends on, ascending. */
  readonly dependencies: number[];
  private readonly schema: z.ZodType;
  private readonly template: SweepSpec['template'];
  private readonly parameterIndex: ReadonlyMap<string, number>;
  private readonly cache: IndexCache<ResolvedUnit>;
  private readonly computeBound: (assignment: Assignment) => ResolvedUnit;

  constructor(name: UnitName, path: FieldPath, spec: SweepSpec, parameters: readonly SearchParameter[], parameterIndex: ReadonlyMap<string, number>) {
    this.name = name;
    this.path = path;
    this.schema = sectionSchemas[name] as unknown as z.ZodType;
    this.template = spec.template;
    this.parameterIndex = parameterIndex;

    // A unit depends on references inside it and on references that replace one of its parents.
    const names = new Set(
      spec.references.filter((site) => isWithin(site.path, path) || isWithin(path, site.path)).map((site) => site.parameter),
    );
    this.dependencies = [...names].map((parameter) => parameterIndex.get(parameter) as number).sort((a, b) => a - b);
    this.cache = new IndexCache(this.dependencies, parameters);
    this.computeBound = (assignment) => this.compute(assignment);
  }

  resolve(assignment: Assignment): ResolvedUnit {
    return this.cache.get(assignment, this.computeBound);
  }

  private compute(assignment: Assignment): ResolvedUnit {
    const valueOf = (parameter: string): unknown => {
      const index = this.parameterIndex.get(parameter);
      return index === undefined ? undefined : assignment.values[index];
    };
    let raw: unknown = this.template;
    for (const part of this.path) {
      const parameter = referencedParameter(raw);
      if (parameter !== undefined) {
        raw = valueOf(parameter);
      }
      raw = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[part] : undefined;
    }
    raw = substituteReferences(raw, valueOf);

    const parsed = this.schema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      // Validation checks each parameter value with the others at their first values, so a
      // problem that only a combination of values causes surfaces here, during planning.
      const details = parsed.error.issues
        .flatMap((issue) => issueToProblems(issue, this.schema, raw, (_path, value) => renderValue(value)))
        .map((problem) => `${formatPath([...this.path, ...problem.path])}: ${problem.message}`);
      const params = Object.fromEntries([...this.parameterIndex].map(([name, index]) => [name, assignment.values[index]]));
      throw new InputError(`invalid trial config for parameters ${renderValue(params)}: ${details.join('; ')}`);
    }
    const value = normalizeUnit(this.name, canonicalize(parsed.data));
    return { value: deepFreeze(value), json: value === undefined ? undefined : JSON.stringify(value) };
  }
}

// Settings that train identically are written one way, so that their configs hash alike.
function normalizeUnit(name: UnitName, value: unknown): unknown {
  if (name === 'augmentation') {
    if (value === 'none') {
      return undefined;
    }
    const augmentation = value as AugmentationConfig | undefined;
    if (augmentation !== undefined && !augmentation.horizontal_flip && augmentation.translation === 0 && augmentation.zoom === 0 && augmentation.rotation === 0) {
      return undefined;
    }
  }
  if (name === 'fine_tune' && (value as FineTunePhaseConfig | undefined)?.unfreeze_layers === 0) {
    return undefined;
  }
  return value;
}

/** Resolves assignments of a spec's parameters into canonical trial configs. */
export class TrialResolver {
  private readonly dataset: ConfigUnit;
  private readonly model: ConfigUnit;
  private readonly training: ConfigUnit[];
  private readonly trainingCache: IndexCache<ResolvedUnit & { hasFineTune: boolean }>;
  private readonly resolveTrainingBound: (assignment: Assignment) => ResolvedUnit & { hasFineTune: boolean };

  constructor(spec: SweepSpec, parameters: readonly SearchParameter[]) {
    const parameterIndex = new Map(parameters.map((parameter, index) => [parameter.name, index]));
    const unit = (name: UnitName, path: FieldPath) => new ConfigUnit(name, path, spec, parameters, parameterIndex);
    this.dataset = unit('dataset', ['dataset']);
    this.model = unit('model', ['model']);
    // Sorted by key, as canonical JSON orders them.
    this.training = [
      unit('augmentation', ['training', 'augmentation']),
      unit('batch_size', ['training', 'batch_size']),
      unit('fine_tune', ['training', 'fine_tune']),
      unit('head', ['training', 'head']),
      unit('seed', ['training', 'seed']),
    ];
    // The assembled training section is cached too, by the union of its units' parameters.
    const trainingDependencies = [...new Set(this.training.flatMap((part) => part.dependencies))].sort((a, b) => a - b);
    this.trainingCache = new IndexCache(trainingDependencies, parameters);
    this.resolveTrainingBound = (assignment) => this.resolveTraining(assignment);
  }

  /** Returns the config of one assignment (frozen, sharing parts with other configs) and its canonical JSON. */
  resolve(assignment: Assignment): { config: TrialConfig; json: string } {
    const dataset = this.dataset.resolve(assignment);
    const model = this.model.resolve(assignment);
    let training = this.trainingCache.get(assignment, this.resolveTrainingBound);
    // The simple CNN has no pretrained base, so a fine-tune phase cannot apply to it.
    if (training.hasFineTune && (model.value as { type: string }).type === 'simple-cnn') {
      training = this.resolveTraining(assignment, { withoutFineTune: true });
    }
    const config = Object.freeze({ dataset: dataset.value, model: model.value, training: training.value }) as unknown as TrialConfig;
    const json = `{"dataset":${dataset.json},"model":${model.json},"training":${training.json}}`;
    return { config, json };
  }

  private resolveTraining(assignment: Assignment, options: { withoutFineTune?: boolean } = {}): ResolvedUnit & { hasFineTune: boolean } {
    const training: Record<string, unknown> = {};
    const parts: string[] = [];
    for (const unit of this.training) {
      if (unit.name === 'fine_tune' && options.withoutFineTune === true) {
        continue;
      }
      const resolved = unit.resolve(assignment);
      if (resolved.json === undefined) {
        continue;
      }
      training[unit.name] = resolved.value;
      parts.push(`"${unit.name}":${resolved.json}`);
    }
    return { value: Object.freeze(training), json: `{${parts.join(',')}}`, hasFineTune: 'fine_tune' in training };
  }
}
