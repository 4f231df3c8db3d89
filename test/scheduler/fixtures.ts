import type { Kysely } from 'kysely';
import type { TrialConfig } from '../../src/spec/trial-config.ts';
import type { Database } from '../../src/storage/schema.ts';

/** A trial config for a simple CNN on a tiny data set; `seed` makes configs differ. */
export function tinyConfig(datasetPath: string, seed: number, epochs = 1): TrialConfig {
  return {
    dataset: { name: 'cifar10', path: datasetPath, limits: { train: 40, test: 20 }, validation_split: 0.25 },
    model: { type: 'simple-cnn', dropout: 0.5 },
    training: {
      batch_size: 16,
      seed,
      head: { optimizer: 'adam', learning_rate: 1e-3, max_epochs: epochs },
    },
  };
}

/** Inserts a RUNNING sweep with `count` WAITING trials and returns the sweep's id. */
export async function insertSweep(
  db: Kysely<Database>,
  name: string,
  count: number,
  options: { datasetPath?: string; maxAttempts?: number; epochs?: number } = {},
): Promise<string> {
  const sweep = await db
    .insertInto('sweeps')
    .values({ name, spec: JSON.stringify({ name }), spec_hash: 'spec', search_space_hash: 'space' })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let number = 1; number <= count; number += 1) {
    await db
      .insertInto('trials')
      .values({
        sweep_id: sweep.id,
        number,
        config: JSON.stringify(tinyConfig(options.datasetPath ?? '/nonexistent', number, options.epochs)),
        config_hash: `hash-${number}`,
        params: JSON.stringify({ seed: number }),
        max_attempts: options.maxAttempts ?? 3,
      })
      .execute();
  }
  return sweep.id;
}
