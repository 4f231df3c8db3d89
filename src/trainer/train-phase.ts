import * as tf from '@tensorflow/tfjs';
import type { AugmentationConfig, OptimizerName, PhaseConfig, TrainingConfig } from '../spec/trial-config.ts';
import { augmentImages, isAugmenting } from './augmentation.ts';
import { allPositions, batchPositions, batchShape, imageValues, labelBatch, oneHotBatch } from './batches.ts';
import { saveCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import type { Cifar10Splits } from './datasets/cifar10.ts';
import { EarlyStopping } from './early-stopping.ts';
import { evaluateSplit, throwIfAborted } from './evaluate.ts';
import type { PhaseInputs } from './feature-cache/feature-inputs.ts';
import { resetDropoutStreams } from './models/seeded-dropout.ts';
import { createRandom, deriveSeed, shuffleInPlace, type Random } from './random.ts';
import type { EpochMetrics, PhaseName, PhaseSummary, TrainRequest } from './types.ts';

/** Stream numbers that keep the seeded draws of shuffling, augmentation and dropout apart. */
const SHUFFLE_STREAM = 1;
const AUGMENT_STREAM = 2;
const DROPOUT_STREAM = 3;

export interface PhaseRun {
  phase: PhaseName;
  /** 0 for the head phase, 1 for fine-tuning; part of every derived seed. */
  phaseIndex: number;
  config: PhaseConfig;
  training: TrainingConfig;
  model: tf.LayersModel;
  data: Cifar10Splits;
  classes: number;
  request: TrainRequest;
  configHash: string;
  /** Every completed epoch of the trial; this phase appends to it. */
  history: EpochMetrics[];
  /** Summaries of the phases before this one, stored with each checkpoint. */
  summaries: PhaseSummary[];
  /** A checkpoint taken inside this phase, to continue after its last epoch. */
  resume?: LoadedCheckpoint;
  /** Cached activations of the frozen part: the phase then trains and validates `inputs.model` on them. */
  inputs?: PhaseInputs;
}

/** Creates a TensorFlow.js optimizer from a sweep file's name and learning rate. */
export function createOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(learningRate);
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    default:
      throw new Error(`optimizer must be adam, sgd or rmsprop, got "${String(name)}"`);
  }
}

/** Counts the values of the weights that the compiled model trains. */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, weight) => sum + weight.shape.reduce<number>((product, size) => product * (size ?? 0), 1), 0);
}

/**
 * Trains one phase. It compiles the model with a fresh optimizer, so that the
 * current trainable settings take effect. Each epoch trains on shuffled,
 * optionally augmented batches with `trainOnBatch`, evaluates the validation
 * split, streams the metrics, applies early stopping and writes a checkpoint.
 * The phase ends by restoring the best weights when configured. It leaves no
 * tensors behind.
 */
export async function runPhase(run: PhaseRun): Promise<PhaseSummary> {
  const { model, config, training, data, request } = run;
  const optimizer = createOptimizer(config.optimizer, config.learning_rate);
  // The trainable part shares its weights with `model`, so `model` is what checkpoints and early stopping keep.
  const trainedModel = run.inputs?.model ?? model;
  trainedModel.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const trainableParams = countTrainableParams(model);
  const earlyStopping = config.early_stopping === undefined ? undefined : new EarlyStopping(config.early_stopping);
  const log = request.onLog ?? (() => undefined);

  let firstEpoch = 1;
  let seconds = 0;
  let trainSeconds = 0;
  let images = 0;
  try {
    if (run.resume !== undefined) {
      const { state } = run.resume;
      const optimizerWeights = run.resume.optimizerWeights();
      await optimizer.setWeights(optimizerWeights);
      tf.dispose(optimizerWeights.map((entry) => entry.tensor));
      if (earlyStopping !== undefined && state.early_stopping !== undefined) {
        earlyStopping.resume(state.early_stopping, run.resume.bestWeights(model));
      }
      firstEpoch = state.epochs_done + 1;
      seconds = state.phase_seconds;
      trainSeconds = state.phase_train_seconds;
      images = state.phase_images;
      log(`resuming phase ${run.phase} at epoch ${firstEpoch} from the checkpoint in ${request.checkpoint?.dir}`);
    }

    let lastEpoch = firstEpoch - 1;
    let stoppedEarly = false;
    for (let epoch = firstEpoch; epoch <= config.max_epochs; epoch++) {
      const epochStart = performance.now();
      const trained = await trainEpoch(run, epoch);
      const validation = await evaluateSplit(trainedModel, data.validation, training.batch_size, request.signal, run.inputs?.validation);
      const epochSeconds = (performance.now() - epochStart) / 1000;
      seconds += epochSeconds;
      trainSeconds += trained.seconds;
      images += trained.images;
      lastEpoch = epoch;

      const metrics: EpochMetrics = {
        phase: run.phase,
        epoch,
        loss: trained.loss,
        accuracy: trained.accuracy,
        val_loss: validation.loss,
        val_accuracy: validation.accuracy,
        learning_rate: config.learning_rate,
        seconds: epochSeconds,
        images_per_second: trained.images / trained.seconds,
      };
      run.history.push(metrics);
      await request.onEpoch?.(metrics);

      stoppedEarly = earlyStopping?.update(metrics, model) ?? false;
      const phaseDone = stoppedEarly || epoch === config.max_epochs;
      const keptEpoch = phaseDone && earlyStopping !== undefined ? earlyStopping.restoreBest(model, epoch) : epoch;
      if (phaseDone && keptEpoch !== epoch) {
        log(`phase ${run.phase}: restored the weights of epoch ${keptEpoch} (best ${earlyStopping?.config.monitor})`);
      }
      const summary = summarize(run.phase, epoch, phaseDone ? keptEpoch : epoch, stoppedEarly, trainableParams, seconds, images, trainSeconds);

      if (request.checkpoint !== undefined) {
        await saveCheckpoint(
          request.checkpoint.dir,
          {
            config_hash: run.configHash,
            phase: run.phase,
            epochs_done: epoch,
            phase_done: phaseDone,
            history: run.history,
            summaries: phaseDone ? [...run.summaries, summary] : run.summaries,
            early_stopping: earlyStopping?.current,
            phase_seconds: seconds,
            phase_train_seconds: trainSeconds,
            phase_images: images,
          },
          model,
          optimizer,
          phaseDone ? undefined : earlyStopping?.savedWeights,
        );
      }
      if (phaseDone) {
        if (stoppedEarly) {
          log(`phase ${run.phase}: early stopping after epoch ${epoch}, ${earlyStopping?.config.monitor} did not improve for ${earlyStopping?.config.patience} epochs`);
        }
        return summary;
      }
    }

    // Reached only when a resumed checkpoint had already run every epoch of the phase.
    const keptEpoch = earlyStopping?.restoreBest(model, lastEpoch) ?? lastEpoch;
    return summarize(run.phase, lastEpoch, keptEpoch, stoppedEarly, trainableParams, seconds, images, trainSeconds);
  } finally {
    earlyStopping?.dispose();
    optimizer.dispose();
  }
}

function summarize(
  phase: PhaseName,
  epochs: number,
  bestEpoch: number,
  stoppedEarly: boolean,
  trainableParams: number,
  seconds: number,
  images: number,
  trainSeconds: number,
): PhaseSummary {
  return {
    phase,
    epochs,
    best_epoch: bestEpoch,
    stopped_early: stoppedEarly,
    trainable_params: trainableParams,
    seconds,
    images_per_second: trainSeconds > 0 ? images / trainSeconds : 0,
  };
}

interface EpochTraining {
  /** Means over the epoch's images, of values measured per batch in training mode (Keras' epoch logs). */
  loss: number;
  accuracy: number;
  images: number;
  seconds: number;
}

async function trainEpoch(run: PhaseRun, epoch: number): Promise<EpochTraining> {
  const { model, training, data, request } = run;
  const seed = training.seed;
  const order = shuffleInPlace(allPositions(data.train.indices.length), createRandom(deriveSeed(seed, SHUFFLE_STREAM, run.phaseIndex, epoch)));
  const augmentRandom = createRandom(deriveSeed(seed, AUGMENT_STREAM, run.phaseIndex, epoch));
  const augmentation = isAugmenting(training.augmentation) ? training.augmentation : undefined;
  resetDropoutStreams(model, deriveSeed(seed, DROPOUT_STREAM, run.phaseIndex, epoch));

  let lossSum = 0;
  let accuracySum = 0;
  let images = 0;
  const start = performance.now();
  for (const positions of batchPositions(order, training.batch_size)) {
    throwIfAborted(request.signal);
    const inputs = run.inputs === undefined ? [imageInputs(run, positions, augmentation, augmentRandom)] : run.inputs.train(positions);
    const targets = oneHotBatch(labelBatch(data.train, positions), run.classes);
    let result: number | number[];
    try {
      result = await (run.inputs?.model ?? model).trainOnBatch(inputs.length === 1 ? inputs[0] : inputs, targets);
    } finally {
      tf.dispose(inputs);
      targets.dispose();
    }
    const [loss, accuracy] = Array.isArray(result) ? result : [result, Number.NaN];
    lossSum += loss * positions.length;
    accuracySum += accuracy * positions.length;
    images += positions.length;
  }
  const seconds = (performance.now() - start) / 1000;
  return { loss: lossSum / images, accuracy: accuracySum / images, images, seconds };
}

function imageInputs(run: PhaseRun, positions: Uint32Array, augmentation: AugmentationConfig | undefined, augmentRandom: Random): tf.Tensor4D {
  const shape = batchShape(positions.length);
  const values = imageValues(run.data.train, positions);
  return tf.tensor4d(augmentation === undefined ? values : augmentImages(values, shape, augmentation, augmentRandom), shape);
}
