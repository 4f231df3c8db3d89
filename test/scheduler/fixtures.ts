import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { TrialConfig } from '../../src/spec/trial-config.ts';
import type { Database } from '../../src/storage/schema.ts';

/** Builds a simple-CNN trial config on a tiny data set; `seed` makes configs differ. */
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

/**
 * Writes a tiny CIFAR-10 data set in the official binary layout (1 label byte,
 * then 1024 red, green and blue bytes per record) into `dir`: five training
 * batches and a test batch of `perBatch` random records each.
 */
export async function writeTinyCifar(dir: string, perBatch = 20, seed = 1): Promise<string> {
  await mkdir(dir, { recursive: true });
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state;
  };
  const batch = (): Buffer => {
    const buffer = Buffer.alloc(perBatch * 3073);
    for (let record = 0; record < perBatch; record += 1) {
      const offset = record * 3073;
      const label = record % 10;
      buffer[offset] = label;
      for (let index = 1; index < 3073; index += 1) {
        // Each class gets its own brightness, so a model can learn something.
        buffer[offset + index] = (label * 25 + (next() % 40)) & 0xff;
      }
    }
    return buffer;
  };
  for (let number = 1; number <= 5; number += 1) {
    await writeFile(join(dir, `data_batch_${number}.bin`), batch());
  }
  await writeFile(join(dir, 'test_batch.bin'), batch());
  await writeFile(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
  return dir;
}
