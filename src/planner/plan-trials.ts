/**
 * The planner: a pure function of (spec, its search seed, the configs already in
 * the sweep) to trial configs. Grids are expanded lazily, one point at a time,
 * and configs that would train identically are planned once.
 */
import { canonicalize, deepFreeze, sha256Hex } from '../spec/canonical-json.ts';
import type { SweepSpec } from '../spec/sweep-spec.ts';
import type { ParameterValue, PlannedTrial, TrialConfig } from '../spec/trial-config.ts';
import { HashPrefixSet } from './hash-prefix-set.ts';
import { searchParameters, type SearchParameter } from './parameter-space.ts';
import { SeededRandom } from './seeded-random.ts';
import { TrialResolver, type Assignment } from './trial-resolver.ts';

export interface PlanOptions {
  /** Seed of a random search; absent: the spec's `search.seed`. Grids ignore it. */
  seed?: number;
  /** Config hashes already in the sweep: they are not planned again (and count toward a random search's budget). */
  existingHashes?: ReadonlySet<string>;
}

/** A point of the search space whose config equals an earlier trial's, so it was not planned. */
export interface CollapsedPoint {
  params: Record<string, ParameterValue>;
  /** The config hash of the trial it duplicates. */
  config_hash: string;
}

export interface PlanSummary {
  method: 'grid' | 'random';
  /** Points in the full grid (product of the value counts); undefined when a parameter is continuous. */
  grid_points: number | undefined;
  /** Trials planned so far (the baseline included). */
  trials: number;
  /** Search-space points skipped because their config equals an earlier trial's. */
  collapsed: number;
  /** The first collapsed points, at most {@link MAX_COLLAPSED_EXAMPLES}. */
  collapsed_examples: CollapsedPoint[];
  /** Configs skipped because they are already in the sweep. */
  existing: number;
  /** Random search only: the space ran out of distinct configs before the trial budget was reached. */
  exhausted: boolean;
  /** True once the plan has been iterated to its end. */
  complete: boolean;
}

export const MAX_COLLAPSED_EXAMPLES = 50;

// Random search over a space with a continuous parameter gives up after this many
// draws in a row that produce no new config.
const MAX_CONSECUTIVE_REPEATS = 10_000;

/**
 * The trials of a spec, in order: the baseline first (when the spec has one),
 * then the grid points (the last parameter varying fastest) or the random
 * samples. Each iteration starts over and resets `summary`.
 */
export class TrialPlan implements Iterable<PlannedTrial> {
  readonly spec: SweepSpec;
  private readonly options: PlanOptions;
  private readonly parameters: SearchParameter[];
  private current: PlanSummary;

  constructor(spec: SweepSpec, options: PlanOptions = {}) {
    this.spec = spec;
    this.options = options;
    this.parameters = searchParameters(spec);
    this.current = this.emptySummary();
  }

  /** Counts for the iteration in progress or the last one; final once `complete` is true. */
  get summary(): PlanSummary {
    return this.current;
  }

  /** Points in the full grid, or undefined when a parameter is continuous. */
  get gridPoints(): number | undefined {
    let points = 1;
    for (const parameter of this.parameters) {
      if (parameter.count === undefined) {
        return undefined;
      }
      points *= parameter.count;
    }
    return points;
  }

  *[Symbol.iterator](): Iterator<PlannedTrial> {
    const summary = this.emptySummary();
    this.current = summary;
    const resolver = new TrialResolver(this.spec, this.parameters);
    // Sized up front for every config the plan can yield (at most 2^20), so that it does not regrow midway.
    const search = this.spec.search;
    const budget = search.method === 'random' ? search.trials : Infinity;
    const seen = new HashPrefixSet(Math.min(this.gridPoints ?? Infinity, budget, 1 << 20));
    const existing = this.options.existingHashes ?? new Set<string>();

    if (this.spec.baseline !== undefined) {
      const trial = this.baselineTrial(resolver);
      seen.add(trial.config_hash);
      if (existing.has(trial.config_hash)) {
        summary.existing += 1;
      } else {
        summary.trials += 1;
        yield trial;
      }
    }

    let accepted = 0;
    const points = search.method === 'grid' ? this.gridAssignments() : this.randomAssignments(this.options.seed ?? search.seed);
    for (const assignment of points) {
      if (accepted >= budget) {
        break;
      }
      const { config, json } = resolver.resolve(assignment.point);
      const hash = sha256Hex(json);
      if (!seen.add(hash)) {
        assignment.repeated();
        summary.collapsed += 1;
        if (summary.collapsed_examples.length < MAX_COLLAPSED_EXAMPLES) {
          summary.collapsed_examples.push({ params: this.paramsOf(assignment.point), config_hash: hash });
        }
        continue;
      }
      assignment.accepted();
      accepted += 1;
      if (existing.size > 0 && existing.has(hash)) {
        summary.existing += 1;
        continue;
      }
      summary.trials += 1;
      yield { config_hash: hash, config, params: this.paramsOf(assignment.point), is_baseline: false };
    }
    summary.exhausted = search.method === 'random' && accepted < budget;
    summary.complete = true;
  }

  private emptySummary(): PlanSummary {
    return {
      method: this.spec.search.method,
      grid_points: this.gridPoints,
      trials: 0,
      collapsed: 0,
      collapsed_examples: [],
      existing: 0,
      exhausted: false,
      complete: false,
    };
  }

  private paramsOf(assignment: Assignment): Record<string, ParameterValue> {
    const params: Record<string, ParameterValue> = {};
    for (let i = 0; i < this.parameters.length; i++) {
      params[this.parameters[i].name] = assignment.values[i];
    }
    return params;
  }

  // Every grid point, as an odometer over the value indices; one assignment object is reused.
  private *gridAssignments(): Generator<AssignmentStep> {
    const counts = this.parameters.map((parameter) => parameter.count as number);
    if (counts.some((count) => count === 0)) {
      return;
    }
    const indices = new Int32Array(this.parameters.length);
    const values = this.parameters.map((parameter) => parameter.valueAt(0));
    const step: AssignmentStep = { point: { indices, values }, accepted: noop, repeated: noop };
    while (true) {
      yield step;
      let position = this.parameters.length - 1;
      while (position >= 0) {
        indices[position] += 1;
        if (indices[position] < counts[position]) {
          values[position] = this.parameters[position].valueAt(indices[position]);
          break;
        }
        indices[position] = 0;
        values[position] = this.parameters[position].valueAt(0);
        position -= 1;
      }
      if (position < 0) {
        return;
      }
    }
  }

  private *randomAssignments(seed: number): Generator<AssignmentStep> {
    const random = new SeededRandom(seed);
    const points = this.gridPoints;
    if (points !== undefined && points <= Number.MAX_SAFE_INTEGER) {
      yield* this.shuffledGrid(random, points);
      return;
    }

    // A continuous parameter makes repeats rare; stop when new configs stop coming.
    let repeats = 0;
    const step: AssignmentStep = {
      point: { indices: new Int32Array(this.parameters.length), values: [] },
      accepted: () => {
        repeats = 0;
      },
      repeated: () => {
        repeats += 1;
      },
    };
    while (repeats < MAX_CONSECUTIVE_REPEATS) {
      step.point.values = this.parameters.map((parameter, index) => {
        const sample = parameter.sample(random);
        step.point.indices[index] = sample.index;
        return sample.value;
      });
      yield step;
    }
  }

  // A discrete space in random order without repeats: a Fisher-Yates shuffle of the
  // point numbers, done lazily with a sparse map so that huge grids cost nothing up front.
  private *shuffledGrid(random: SeededRandom, points: number): Generator<AssignmentStep> {
    const swapped = new Map<number, number>();
    const indices = new Int32Array(this.parameters.length);
    const step: AssignmentStep = { point: { indices, values: [] }, accepted: noop, repeated: noop };
    for (let k = 0; k < points; k++) {
      const j = k + random.below(points - k);
      const chosen = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(k) ?? k);
      swapped.delete(k);

      let rest = chosen;
      for (let position = this.parameters.length - 1; position >= 0; position--) {
        const count = this.parameters[position].count as number;
        indices[position] = rest % count;
        rest = Math.floor(rest / count);
      }
      step.point.values = this.parameters.map((parameter, position) => parameter.valueAt(indices[position]));
      yield step;
    }
  }

  private baselineTrial(resolver: TrialResolver): PlannedTrial {
    const baseline = this.spec.baseline;
    if (baseline === undefined) {
      throw new Error('baselineTrial called for a spec without a baseline');
    }
    // The sweep's own settings for the fields the baseline inherits: dataset, batch size, seed.
    // Validation guarantees that none of them references a parameter unless the baseline sets it.
    const first: Assignment = {
      indices: new Int32Array(this.parameters.length),
      values: this.parameters.map((parameter) => parameter.first),
    };
    const inherited = resolver.resolve(first).config;

    const training = baseline.training;
    const config: TrialConfig = {
      dataset: inherited.dataset,
      model: baseline.model,
      training: {
        batch_size: training.batch_size ?? inherited.training.batch_size,
        seed: training.seed ?? inherited.training.seed,
        head: training.head,
      },
    };

    const augmentation = training.augmentation;
    if (augmentation !== undefined && augmentation !== 'none') {
      const isIdentity = !augmentation.horizontal_flip && augmentation.translation === 0 && augmentation.zoom === 0 && augmentation.rotation === 0;
      if (!isIdentity) {
        config.training.augmentation = augmentation;
      }
    }

    const canonical = deepFreeze(canonicalize(config));
    return { config_hash: sha256Hex(JSON.stringify(canonical)), config: canonical, params: {}, is_baseline: true };
  }
}

interface AssignmentStep {
  point: Assignment;
  /** Called when the point gave a new config. */
  accepted(): void;
  /** Called when the point's config was planned before. */
  repeated(): void;
}

function noop(): void {}

/**
 * Plans the trials of a spec; see {@link TrialPlan}. Iterate the result to get
 * the trials, then read `summary` for the counts and the collapsed points.
 */
export function planTrials(spec: SweepSpec, options: PlanOptions = {}): TrialPlan {
  return new TrialPlan(spec, options);
}
