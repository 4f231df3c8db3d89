import { sql, type Kysely } from 'kysely';
import type { Database, PhaseColumn, TrialState } from '../../src/storage/schema.ts';

/** One trial of a fixture sweep, in the shape the tests insert. */
export interface FixtureTrial {
  number: number;
  params: Record<string, number | string>;
  isBaseline?: boolean;
  state: TrialState;
  testAccuracy?: number;
  gap?: number;
  durationSeconds?: number;
  phase?: PhaseColumn;
  /** Per-epoch [phase, train accuracy, validation accuracy]. */
  epochs?: [PhaseColumn, number, number][];
  error?: string;
  prunedAtEpoch?: number;
  device?: string;
  /** Seconds before now that the trial started. */
  startedSecondsAgo?: number;
}

export const fixtureSweepName = 'finetune-demo';

/**
 * A small fine-tuning sweep: the simple-CNN baseline, three finished transfer
 * trials, one running, one failed, one pruned and one waiting.
 */
export const fixtureTrials: FixtureTrial[] = [
  {
    number: 1,
    params: {},
    isBaseline: true,
    state: 'COMPLETE',
    testAccuracy: 0.7312,
    gap: 0.123,
    durationSeconds: 610,
    phase: 'head',
    epochs: [['head', 0.45, 0.52], ['head', 0.6, 0.63], ['head', 0.7, 0.68], ['head', 0.8, 0.71], ['head', 0.85, 0.73]],
    device: 'cpu:0',
  },
  {
    number: 2,
    params: { unfreeze_layers: 20, dense_units: 256, fine_tune_lr: 0.00001 },
    state: 'COMPLETE',
    testAccuracy: 0.8275,
    gap: 0.06,
    durationSeconds: 1320,
    phase: 'fine_tune',
    epochs: [['head', 0.7, 0.74], ['head', 0.77, 0.78], ['fine_tune', 0.83, 0.81], ['fine_tune', 0.88, 0.82]],
    device: 'cpu:0',
  },
  {
    number: 3,
    params: { unfreeze_layers: 40, dense_units: 128, fine_tune_lr: 0.00001 },
    state: 'COMPLETE',
    testAccuracy: 0.8011,
    gap: 0.081,
    durationSeconds: 1100,
    phase: 'fine_tune',
    epochs: [['head', 0.69, 0.72], ['fine_tune', 0.8, 0.79], ['fine_tune', 0.88, 0.8]],
    device: 'cpu:1',
  },
  {
    number: 4,
    params: { unfreeze_layers: 20, dense_units: 512, fine_tune_lr: 0.0001 },
    state: 'RUNNING',
    phase: 'fine_tune',
    epochs: [['head', 0.7, 0.73], ['head', 0.76, 0.77], ['fine_tune', 0.8, 0.79], ['fine_tune', 0.82, 0.8], ['fine_tune', 0.84, 0.812]],
    device: 'cpu:0',
    startedSecondsAgo: 300,
  },
  {
    number: 5,
    params: { unfreeze_layers: 40, dense_units: 512, fine_tune_lr: 0.0001 },
    state: 'FAIL',
    phase: 'head',
    epochs: [['head', 0.3, 0.31]],
    error: 'Error: loss became NaN at epoch 2\n    at Trainer.fit (src/trainer/fit.ts:88:11)',
    device: 'cpu:1',
  },
  {
    number: 6,
    params: { unfreeze_layers: 60, dense_units: 128, fine_tune_lr: 0.00001 },
    state: 'PRUNED',
    phase: 'head',
    epochs: [['head', 0.4, 0.42], ['head', 0.44, 0.45]],
    prunedAtEpoch: 2,
    durationSeconds: 200,
    device: 'cpu:1',
  },
  {
    number: 7,
    params: { unfreeze_layers: 60, dense_units: 256, fine_tune_lr: 0.0001 },
    state: 'WAITING',
  },
];

/** Max epochs per phase in every fixture trial's config. */
export const fixtureMaxEpochs = { head: 5, fine_tune: 10 };

function trialConfig(trial: FixtureTrial): Record<string, unknown> {
  return {
    dataset: { name: 'cifar10', validation_split: 0.1 },
    model: trial.isBaseline === true ? { type: 'simple-cnn', dropout: 0.5 } : { type: 'transfer' },
    training: {
      batch_size: 128,
      seed: 1,
      head: { optimizer: 'adam', learning_rate: 0.0005, max_epochs: fixtureMaxEpochs.head },
      ...(trial.isBaseline === true
        ? {}
        : { fine_tune: { optimizer: 'adam', learning_rate: 0.00001, max_epochs: fixtureMaxEpochs.fine_tune, unfreeze_layers: 20 } }),
    },
  };
}

/** Inserts a sweep and its trials, epochs and (for finished trials) class metrics and confusion cells. Returns trial ids by number. */
export async function insertFixtureSweep(
  db: Kysely<Database>,
  options: { name?: string; trials?: FixtureTrial[]; status?: string } = {},
): Promise<{ sweepId: string; trialIds: Map<number, string> }> {
  const name = options.name ?? fixtureSweepName;
  const trials = options.trials ?? fixtureTrials;
  const sweep = await sql<{ id: string }>`
    INSERT INTO sweeps (name, spec, spec_hash, search_space_hash, status, created_at)
    VALUES (${name}, '{}'::jsonb, 'spec', 'space', ${options.status ?? 'RUNNING'}, now() - interval '40 minutes')
    RETURNING id
  `.execute(db);
  const sweepId = String(sweep.rows[0].id);
  const trialIds = new Map<number, string>();

  for (const trial of trials) {
    const started = trial.state === 'WAITING' ? null : new Date(Date.now() - (trial.startedSecondsAgo ?? 1800) * 1000);
    const finished = trial.state === 'WAITING' || trial.state === 'RUNNING' ? null : new Date();
    const inserted = await sql<{ id: string }>`
      INSERT INTO trials (sweep_id, number, config, config_hash, params, is_baseline, state, device, backend, error,
                          current_phase, test_accuracy, overfitting_gap, duration_seconds, pruned_at_epoch,
                          best_val_accuracy, started_at, finished_at)
      VALUES (${sweepId}, ${trial.number}, ${JSON.stringify(trialConfig(trial))}::jsonb, ${`hash-${trial.number}`},
              ${JSON.stringify(trial.params)}::jsonb, ${trial.isBaseline ?? false}, ${trial.state}, ${trial.device ?? null},
              ${trial.state === 'WAITING' ? null : 'cpu'}, ${trial.error ?? null}, ${trial.phase ?? null},
              ${trial.testAccuracy ?? null}, ${trial.gap ?? null}, ${trial.durationSeconds ?? null}, ${trial.prunedAtEpoch ?? null},
              ${trial.epochs === undefined ? null : Math.max(...trial.epochs.map((epoch) => epoch[2]))}, ${started}, ${finished})
      RETURNING id
    `.execute(db);
    const trialId = String(inserted.rows[0].id);
    trialIds.set(trial.number, trialId);

    const counters: Record<PhaseColumn, number> = { head: 0, fine_tune: 0 };
    for (const [phase, accuracy, valAccuracy] of trial.epochs ?? []) {
      counters[phase] += 1;
      await sql`
        INSERT INTO epoch_metrics (trial_id, phase, epoch, loss, accuracy, val_loss, val_accuracy, learning_rate, seconds)
        VALUES (${trialId}, ${phase}, ${counters[phase]}, ${1 - accuracy}, ${accuracy}, ${1.1 - valAccuracy}, ${valAccuracy}, 0.0005, 60)
      `.execute(db);
    }
    if (trial.state === 'COMPLETE') {
      await insertClassResults(db, trialId, trial.testAccuracy ?? 0.5);
    }
  }
  return { sweepId, trialIds };
}

const classNames = ['airplane', 'automobile', 'bird'];

async function insertClassResults(db: Kysely<Database>, trialId: string, accuracy: number): Promise<void> {
  for (const [index, className] of classNames.entries()) {
    await sql`
      INSERT INTO class_metrics (trial_id, class_index, class_name, precision, recall, f1, support)
      VALUES (${trialId}, ${index}, ${className}, ${accuracy}, ${accuracy - 0.01 * index}, ${accuracy - 0.005 * index}, 100)
    `.execute(db);
    for (let predicted = 0; predicted < classNames.length; predicted += 1) {
      const count = predicted === index ? Math.round(accuracy * 100) : 5 + index + predicted;
      await sql`
        INSERT INTO confusion_cells (trial_id, true_class, predicted_class, count)
        VALUES (${trialId}, ${index}, ${predicted}, ${count})
      `.execute(db);
    }
  }
}
