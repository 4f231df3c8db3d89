import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.ts';
import type { TrialResult } from '../trainer/types.ts';

/**
 * Writes a trial's result into `trials`, `class_metrics` and `confusion_cells`
 * inside the caller's transaction. Rows of an earlier attempt are replaced.
 */
// TODO: replace with the storage results repository once it exists, so the
// mapping from TrialResult to columns lives in one place.
export async function recordTrialResult(trx: Transaction<Database>, trialId: string, result: TrialResult): Promise<void> {
  const head = result.phases.find((phase) => phase.phase === 'head');
  const fineTune = result.phases.find((phase) => phase.phase === 'fine_tune');
  const trainSeconds = result.phases.reduce((sum, phase) => sum + phase.seconds, 0);
  const trainImages = result.phases.reduce((sum, phase) => sum + phase.images_per_second * phase.seconds, 0);

  await trx
    .updateTable('trials')
    .set({
      test_accuracy: result.test_accuracy,
      test_loss: result.test_loss,
      best_val_accuracy: result.best_val_accuracy,
      max_train_accuracy: result.max_train_accuracy,
      overfitting_gap: result.overfitting_gap,
      head_epochs: head?.epochs ?? null,
      fine_tune_epochs: fineTune?.epochs ?? null,
      total_params: result.total_params,
      trainable_params_head: head?.trainable_params ?? null,
      trainable_params_fine_tune: fineTune?.trainable_params ?? null,
      duration_seconds: result.seconds,
      train_images_per_second: trainSeconds > 0 ? trainImages / trainSeconds : null,
      inference_images_per_second: result.inference_images_per_second,
      backend: result.backend,
      device: result.device,
    })
    .where('id', '=', trialId)
    .execute();

  await trx.deleteFrom('class_metrics').where('trial_id', '=', trialId).execute();
  if (result.per_class.length > 0) {
    await trx
      .insertInto('class_metrics')
      .values(result.per_class.map((row) => ({ trial_id: trialId, class_index: row.class_index, class_name: row.class_name, precision: row.precision, recall: row.recall, f1: row.f1, support: row.support })))
      .execute();
  }

  await trx.deleteFrom('confusion_cells').where('trial_id', '=', trialId).execute();
  const cells = result.confusion.flatMap((row, trueClass) => row.map((count, predictedClass) => ({ trial_id: trialId, true_class: trueClass, predicted_class: predictedClass, count })));
  if (cells.length > 0) {
    await trx.insertInto('confusion_cells').values(cells).execute();
  }
}
