/**
 * The zod schema of a sweep file. One builder makes two variants. The plain
 * schema validates a file after every `${name}` reference has been replaced by
 * a parameter value. The variant that accepts references is the source of the
 * JSON Schema that editors use for completion (`sweep schema`).
 */
import { z } from 'zod';

/** A whole-value reference to a search-space parameter, such as `${fine_tune_lr}`. */
export const REFERENCE_PATTERN = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export const PARAMETER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Metrics a trial records that can rank a sweep, named as the trials table columns. */
export const RANKING_METRICS = [
  'test_accuracy',
  'test_loss',
  'best_val_accuracy',
  'max_train_accuracy',
  'overfitting_gap',
  'duration_seconds',
  'train_images_per_second',
  'inference_images_per_second',
  'total_params',
] as const;
export type RankingMetric = (typeof RANKING_METRICS)[number];

/** Metrics where larger is better; every other ranking metric sorts ascending by default. */
export const DESCENDING_METRICS: ReadonlySet<string> = new Set([
  'test_accuracy',
  'best_val_accuracy',
  'max_train_accuracy',
  'train_images_per_second',
  'inference_images_per_second',
]);

/** Width multipliers that Keras publishes ImageNet weights for (`keras.applications.MobileNetV2`). */
export const MOBILENET_V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4] as const;

/** Training and test images in CIFAR-10. */
export const CIFAR10_SIZES = { train: 50_000, test: 10_000 } as const;

const MONITORED_METRICS = ['val_accuracy', 'val_loss', 'accuracy', 'loss'] as const;

// One shared schema, so that the JSON Schema defines a reference once (as #/definitions/reference).
const referenceSchema = z.string().regex(REFERENCE_PATTERN).meta({ id: 'reference', description: 'A reference to a search-space parameter: ${name}' });

export interface SchemaOptions {
  /** Accept a `${name}` reference in place of any field under dataset, model and training. */
  references: boolean;
}

/** Defaults of the baseline's only phase: the reference simple CNN's training (Adam 1e-3, early stopping on val_accuracy). */
export const BASELINE_PHASE_DEFAULTS = {
  optimizer: 'adam',
  learning_rate: 1e-3,
  max_epochs: 20,
  early_stopping: { monitor: 'val_accuracy', patience: 3 },
} as const;

/** Builds the sweep-file schema; see {@link SchemaOptions}. */
export function buildSweepFileSchema(options: SchemaOptions) {
  // Wraps a template field so that the JSON Schema also accepts a reference there.
  // The declared return type stays T: only the plain variant is ever parsed with, and
  // the variant with references only feeds z.toJSONSchema.
  function field<T extends z.ZodType>(schema: T, description?: string): T {
    if (!options.references) {
      return description === undefined ? schema : schema.meta({ description });
    }
    const wrapped = z.union([schema, referenceSchema]);
    return (description === undefined ? wrapped : wrapped.meta({ description })) as unknown as T;
  }

  const fraction = () => z.number().min(0).lt(1);
  const positiveInt = () => z.int().positive();

  const dataset = z.strictObject({
    name: field(z.literal('cifar10'), 'Data set; only cifar10 is supported.'),
    path: field(
      z.string().min(1),
      'Folder with the official binary files; absent: $SWEEP_DATA_DIR, then the download cache.',
    ).optional(),
    limits: field(
      z.strictObject({
        train: field(positiveInt().max(CIFAR10_SIZES.train), 'Use only the first N training images.').optional(),
        test: field(positiveInt().max(CIFAR10_SIZES.test), 'Use only the first N test images.').optional(),
      }),
      'Per-split image limits for quick runs.',
    ).optional(),
    validation_split: field(
      z.number().gt(0).lt(1),
      'Fraction of the training images held out for validation.',
    ).default(0.1),
  });

  const simpleCnn = z.strictObject({
    type: z.literal('simple-cnn'),
    dropout: field(fraction(), 'Dropout rate before the output layer.').default(0.5),
  });

  const base = z.strictObject({
    name: field(z.literal('mobilenet_v2'), 'Pretrained base model.').default('mobilenet_v2'),
    alpha: field(z.literal([...MOBILENET_V2_ALPHAS]), 'MobileNetV2 width multiplier.').default(1.0),
    input_size: field(
      z.int().min(32).max(512),
      'Side of the square input in pixels; images are resized to it.',
    ).default(96),
    weights: field(
      z.string().min(1),
      '`imagenet` ($SWEEP_WEIGHTS_DIR, the cache, then a download), `none`, or a path to weights.',
    ).default('imagenet'),
  });

  const head = z.strictObject({
    dense_units: field(positiveInt().max(65_536), 'Units of the dense layer after global average pooling.').default(256),
    dropout: field(fraction(), 'Dropout rate before the output layer.').default(0.5),
  });

  const transfer = z.strictObject({
    type: z.literal('transfer'),
    base: field(base, 'The pretrained base model.').prefault({}),
    head: field(head, 'The classification head.').prefault({}),
  });

  const model = z.discriminatedUnion('type', [simpleCnn, transfer]);

  const augmentation = z.union([
    z.literal('none'),
    z.strictObject({
      horizontal_flip: field(z.boolean(), 'Flip images left-right at random.').default(false),
      translation: field(fraction(), 'Maximum shift as a fraction of height and width.').default(0),
      zoom: field(fraction(), 'Maximum zoom as a fraction of the size.').default(0),
      rotation: field(z.number().min(0).max(0.5), 'Maximum rotation as a fraction of a full turn.').default(0),
    }),
  ]);

  const earlyStopping = z.strictObject({
    monitor: field(z.enum(MONITORED_METRICS), 'Metric watched for improvement.').default('val_accuracy'),
    patience: field(z.int().min(0), 'Epochs without improvement before the phase stops.'),
    min_delta: field(z.number().min(0), 'Smallest change that counts as an improvement.').default(0),
    restore_best_weights: field(z.boolean(), 'Restore the best epoch’s weights at the end.').default(true),
  });

  const phaseShape = {
    optimizer: field(z.enum(['adam', 'sgd', 'rmsprop']), 'Optimizer.').default('adam'),
    learning_rate: field(z.number().positive(), 'Learning rate, greater than 0.'),
    max_epochs: field(positiveInt(), 'Maximum epochs of the phase.'),
    early_stopping: field(earlyStopping, 'Stop the phase when the monitored metric stops improving.').optional(),
  };
  const phase = z.strictObject(phaseShape);
  const fineTune = z.strictObject({
    ...phaseShape,
    unfreeze_layers: field(z.int().min(0), 'How many of the base model’s last layers are unfrozen; 0 skips the phase.'),
  });

  const training = z.strictObject({
    batch_size: field(positiveInt(), 'Images per batch.').default(128),
    seed: field(z.int().min(0), 'Seed of weight initialization, shuffling, the validation split and augmentation.').default(0),
    augmentation: field(augmentation, '`none` or random flips, shifts, zooms and rotations.').optional(),
    head: field(phase, 'Phase 1: train the head (the whole model for simple-cnn).'),
    fine_tune: field(fineTune, 'Phase 2, transfer models only: train the last base layers too.').optional(),
  });

  const parameterValue = z.json();
  const distribution = z.discriminatedUnion('distribution', [
    z.strictObject({ distribution: z.literal('uniform'), low: z.number(), high: z.number() }),
    z.strictObject({ distribution: z.literal('log_uniform'), low: z.number().positive(), high: z.number().positive() }),
    z.strictObject({
      distribution: z.literal('integer'),
      low: z.int(),
      high: z.int(),
      step: positiveInt().default(1),
    }),
    z.strictObject({ distribution: z.literal('choice'), values: z.array(parameterValue).min(1) }),
  ]);
  const parameter = z.union([
    z.array(parameterValue).min(1).meta({ description: 'Values to try (a grid axis, or a uniform choice in random search).' }),
    distribution,
  ]);

  const search = z.discriminatedUnion('method', [
    z.strictObject({ method: z.literal('grid') }),
    z.strictObject({
      method: z.literal('random'),
      trials: positiveInt().meta({ description: 'Number of distinct configs to sample.' }),
      seed: z.int().min(0).default(0),
    }),
  ]);

  const baselinePhase = z.strictObject({
    optimizer: phaseShape.optimizer,
    learning_rate: z.number().positive().default(BASELINE_PHASE_DEFAULTS.learning_rate),
    max_epochs: positiveInt().default(BASELINE_PHASE_DEFAULTS.max_epochs),
    early_stopping: earlyStopping.default({ ...BASELINE_PHASE_DEFAULTS.early_stopping, min_delta: 0, restore_best_weights: true }),
  });
  const baseline = z.union([
    z.boolean(),
    z.strictObject({
      model: model.prefault({ type: 'simple-cnn' }),
      training: z
        .strictObject({
          batch_size: positiveInt().optional().meta({ description: 'Absent: training.batch_size.' }),
          seed: z.int().min(0).optional().meta({ description: 'Absent: training.seed.' }),
          augmentation: augmentation.optional(),
          head: baselinePhase.prefault({}),
        })
        .prefault({}),
    }),
  ]);

  const rankingKey = z.strictObject({
    metric: z.enum(RANKING_METRICS),
    order: z.enum(['asc', 'desc']).optional().meta({ description: 'Absent: desc for accuracies and speeds, asc otherwise.' }),
  });
  const ranking = z.strictObject({
    metric: z.enum(RANKING_METRICS).default('test_accuracy'),
    order: z.enum(['asc', 'desc']).optional(),
    tie_breaks: z.array(rankingKey).default([{ metric: 'overfitting_gap', order: 'asc' }]),
  });

  const deviceList = z.array(z.int().min(0)).min(1).meta({ description: 'GPU indices.' });
  const resources = z.strictObject({
    workers: z.union([z.literal('auto'), positiveInt()]).default('auto'),
    devices: z.union([z.enum(['auto', 'cpu', 'gpu']), deviceList]).default('auto'),
  });

  const pruningCommon = {
    metric: z.enum(MONITORED_METRICS).default('val_accuracy'),
    min_epochs: positiveInt().default(1).meta({ description: 'Epochs a trial always runs before it can be pruned.' }),
  };
  const pruning = z.discriminatedUnion('method', [
    z.strictObject({
      method: z.literal('median'),
      ...pruningCommon,
      min_trials: positiveInt().default(5).meta({ description: 'Trials that must report an epoch before pruning starts.' }),
    }),
    z.strictObject({
      method: z.literal('asha'),
      ...pruningCommon,
      reduction_factor: z.number().gt(1).default(3),
      rungs: positiveInt().default(3),
    }),
  ]);

  return z.strictObject({
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
      .max(100)
      .meta({ description: 'The sweep’s identity: letters, digits, dot, dash and underscore.' }),
    description: z.string().optional(),
    dataset: field(dataset, 'The data set and its splits.'),
    model: field(model, 'The model: simple-cnn or transfer.'),
    training: field(training, 'Batch size, seed, augmentation and the training phases.'),
    parameters: z.record(z.string().regex(PARAMETER_NAME_PATTERN), parameter).default({}),
    search: search.prefault({ method: 'grid' }),
    baseline: baseline.optional(),
    ranking: ranking.prefault({}),
    resources: resources.prefault({}),
    artifacts: z.string().min(1).optional().meta({ description: 's3://bucket/prefix or a folder.' }),
    pruning: pruning.optional(),
  });
}

/** The plain schema: validates a file whose references are already replaced. */
export const sweepFileSchema = buildSweepFileSchema({ references: false });

export type SweepFileInput = z.input<typeof sweepFileSchema>;
export type SweepFile = z.output<typeof sweepFileSchema>;

/** Section schemas the planner resolves one by one (see the planner's unit cache). */
export const sectionSchemas = (() => {
  const shape = sweepFileSchema.shape;
  const training = shape.training.shape;
  return {
    dataset: shape.dataset,
    model: shape.model,
    batch_size: training.batch_size,
    seed: training.seed,
    augmentation: training.augmentation,
    head: training.head,
    fine_tune: training.fine_tune,
  };
})();
