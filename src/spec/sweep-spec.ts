/**
 * A validated sweep file: the trial template with its `${name}` references, the
 * search space, and the sweep-wide settings. `parseSpec` and `loadSpecFile`
 * produce it; the planner expands it into trials.
 */
import type { ParameterValue } from './trial-config.ts';
import type { RankingMetric, SweepFile } from './sweep-file-schema.ts';
import type { FieldPath } from './yaml-source.ts';

/** One search-space parameter. A list in the file becomes a `choice`. */
export type ParameterDefinition =
  | { distribution: 'choice'; values: ParameterValue[] }
  | { distribution: 'uniform'; low: number; high: number }
  | { distribution: 'log_uniform'; low: number; high: number }
  | { distribution: 'integer'; low: number; high: number; step: number };

/** A field of the template whose whole value is `${parameter}`. */
export interface ReferenceSite {
  /** Path from the file's top, for example `['training', 'fine_tune', 'learning_rate']`. */
  path: FieldPath;
  parameter: string;
}

/**
 * The `dataset`, `model` and `training` sections as written, with references
 * left in place and no defaults filled; the planner resolves them per trial.
 */
export interface TrialTemplate {
  dataset: unknown;
  model: unknown;
  training: unknown;
}

export type SearchConfig = { method: 'grid' } | { method: 'random'; trials: number; seed: number };

export interface RankingKey {
  metric: RankingMetric;
  order: 'asc' | 'desc';
}

/** The baseline section with its defaults filled; batch size and seed absent mean "as in training". */
export type BaselineSection = Exclude<NonNullable<SweepFile['baseline']>, boolean>;

export type ResourcesConfig = SweepFile['resources'];

export type ArtifactLocation =
  | { kind: 's3'; uri: string; bucket: string; prefix: string }
  | { kind: 'folder'; uri: string; path: string };

export type PruningConfig = NonNullable<SweepFile['pruning']>;

export interface SweepSpec {
  /** The sweep's identity, unique in the results database. */
  name: string;
  description?: string;
  /** The file the spec was read from, as given to `loadSpecFile` or `parseSpec`. */
  source_file: string;
  template: TrialTemplate;
  /** In file order; grid expansion varies the last parameter fastest. */
  parameters: Record<string, ParameterDefinition>;
  references: ReferenceSite[];
  search: SearchConfig;
  /** The simple-CNN baseline trial's settings; absent when the sweep has no baseline. */
  baseline?: BaselineSection;
  /** Primary key first, then the tie-breaks. */
  ranking: RankingKey[];
  resources: ResourcesConfig;
  artifacts?: ArtifactLocation;
  pruning?: PruningConfig;
}
