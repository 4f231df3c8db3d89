import { mkdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../errors.ts';
import { cacheDir } from '../paths.ts';
import type { PhaseConfig, TrialConfig } from '../spec/trial-config.ts';
import { selectBackend } from './backends/select-backend.ts';
import { configHash, loadCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import { classificationReport, confusionMatrix } from './classification-report.ts';
import { loadCifar10 } from './datasets/cifar10.ts';
import { monitoredField } from './early-stopping.ts';
import { evaluateSplit, throwIfAborted } from './evaluate.ts';
import { featureCacheSettings, prepareFeatureInputs, type PhaseInputs } from './feature-cache/feature-inputs.ts';
import { saveModel } from './model-io.ts';
import type { BuiltModel } from './models/model-builder.ts';
import { buildModel } from './models/registry.ts';
import { runPhase } from './train-phase.ts';
import type { EpochMetrics, PhaseName, PhaseSummary, TrainRequest, TrialResult } from './types.ts';

interface PlannedPhase {
  name: PhaseName;
  config: PhaseConfig;
  /** Base layers to unfreeze before the phase; undefined for models without a base. */
  unfreeze?: number;
}

/**
 * Trains one trial and returns its results. It selects the backend (once per
 * process), loads CIFAR-10 and builds the model. It trains the head phase (for
 * the simple CNN, the whole model) and, for transfer models with
 * `fine_tune.unfreeze_layers` above 0, the fine-tuning phase. Then it evaluates
 * the test split and saves the model as model.json + weights.bin into
 * `request.outputDir`.
 *
 * With `request.checkpoint`, each epoch ends with a checkpoint, and a later call
 * with the same folder and config continues after the last completed epoch. A
 * checkpoint of another config is ignored (and logged), and the trial restarts.
 * A resumed call streams only the epochs it runs to `onEpoch`; the result's
 * history-based figures (maximum accuracies, gap) still cover every epoch.
 * Aborting `request.signal` stops between batches and rejects with an AbortError.
 */
export async function train(request: TrainRequest): Promise<TrialResult> {
  const started = performance.now();
  const { config } = request;
  const log = request.onLog ?? (() => undefined);
  const phases = planPhases(config, log);
  checkTrainingConfig(config, phases);
  const featureCache = featureCacheSettings();

  const backend = await selectBackend();
  const kernels = backend.cpuKernels.length > 0 ? `, faster cpu kernels: ${backend.cpuKernels.join(', ')}` : '';
  log(`training on backend ${backend.name} (${backend.device}${kernels})`);
  for (const skipped of backend.skipped) {
    log(`backend ${skipped.name} is not used: ${skipped.reason}`);
  }
  throwIfAborted(request.signal);

  const data = await loadCifar10(config.dataset, config.training.seed, { onLog: log });
  log(`CIFAR-10 from ${data.dir}: ${data.train.indices.length} training, ${data.validation.indices.length} validation, ${data.test.indices.length} test images`);
  if (data.train.indices.length === 0) {
    throw new InputError('dataset: no training images are left after the validation split; raise dataset.limits.train or lower dataset.validation_split');
  }
  throwIfAborted(request.signal);

  const classes = data.classNames.length;
  const built = await buildModel(config.model, {
    classes,
    seed: config.training.seed,
    cacheDir: cacheDir(),
    weightsDir: process.env.SWEEP_WEIGHTS_DIR,
    onLog: log,
  });

  let lastInputs: PhaseInputs | undefined;
  try {
    const hash = configHash(config);
    const resumed = request.checkpoint === undefined ? undefined : loadCheckpoint(request.checkpoint.dir, hash, log);
    if (request.checkpoint !== undefined) {
      mkdirSync(request.checkpoint.dir, { recursive: true });
    }
    const history: EpochMetrics[] = resumed === undefined ? [] : [...resumed.state.history];
    const summaries: PhaseSummary[] = resumed === undefined ? [] : [...resumed.state.summaries];
    let weightsRestored = false;

    for (const [phaseIndex, phase] of phases.entries()) {
      if (summaries.some((summary) => summary.phase === phase.name)) {
        continue;
      }
      if (phase.unfreeze !== undefined) {
        setTrainable(built, phase.unfreeze);
      }
      if (resumed !== undefined && !weightsRestored) {
        restoreWeights(built.model, resumed);
        weightsRestored = true;
      }
      const resumeHere = resumed !== undefined && resumed.state.phase === phase.name && !resumed.state.phase_done ? resumed : undefined;
      // A model built over shared layers keeps those layers alive until it is disposed too.
      lastInputs?.model.dispose();
      // Phases whose frozen part is cached train on its stored activations instead of the images.
      lastInputs = await prepareFeatureInputs({
        model: built.model,
        data,
        augmentation: config.training.augmentation,
        batchSize: config.training.batch_size,
        includeTest: phaseIndex === phases.length - 1,
        settings: featureCache,
        signal: request.signal,
        onLog: log,
      });

      const summary = await runPhase({
        phase: phase.name,
        phaseIndex,
        config: phase.config,
        training: config.training,
        model: built.model,
        data,
        classes,
        request,
        configHash: hash,
        history,
        summaries,
        resume: resumeHere,
        inputs: lastInputs,
      });
      summaries.push(summary);
    }
    if (resumed !== undefined && !weightsRestored) {
      // Every phase had finished before the checkpoint: only the test evaluation was left.
      restoreWeights(built.model, resumed);
    }

    throwIfAborted(request.signal);
    const testInputs = lastInputs?.test;
    const testModel = testInputs === undefined ? built.model : (lastInputs?.model ?? built.model);
    const test = await evaluateSplit(testModel, data.test, config.training.batch_size, request.signal, testInputs);
    const report = classificationReport(confusionMatrix(test.labels, test.predictions, classes), data.classNames);

    mkdirSync(request.outputDir, { recursive: true });
    const files = await saveModel(built.model, request.outputDir);

    const maxTrainAccuracy = maxOf(history.map((entry) => entry.accuracy));
    const bestValAccuracy = maxOf(history.map((entry) => entry.val_accuracy));
    return {
      test_accuracy: test.accuracy,
      test_loss: test.loss,
      best_val_accuracy: bestValAccuracy,
      max_train_accuracy: maxTrainAccuracy,
      overfitting_gap: maxTrainAccuracy - bestValAccuracy,
      phases: summaries,
      total_params: built.model.countParams(),
      class_names: data.classNames,
      per_class: report.perClass,
      confusion: report.confusion,
      macro_avg: report.macroAvg,
      weighted_avg: report.weightedAvg,
      seconds: (performance.now() - started) / 1000,
      inference_images_per_second: test.seconds > 0 ? test.labels.length / test.seconds : 0,
      backend: backend.name,
      device: backend.device,
      files,
    };
  } finally {
    // Disposing the model disposes its layers, the base model among them.
    lastInputs?.model.dispose();
    built.model.dispose();
  }
}

/**
 * Lists the phases a config runs: always the head phase, plus fine-tuning for
 * transfer models whose `fine_tune.unfreeze_layers` is above 0.
 */
export function planPhases(config: TrialConfig, log: (message: string) => void = () => undefined): PlannedPhase[] {
  const isTransfer = config.model.type === 'transfer';
  const phases: PlannedPhase[] = [{ name: 'head', config: config.training.head, unfreeze: isTransfer ? 0 : undefined }];
  const fineTune = config.training.fine_tune;
  if (fineTune === undefined || fineTune.unfreeze_layers === 0) {
    return phases;
  }
  if (!isTransfer) {
    log('training.fine_tune is ignored: the simple CNN has no pretrained base to unfreeze');
    return phases;
  }
  phases.push({ name: 'fine_tune', config: fineTune, unfreeze: fineTune.unfreeze_layers });
  return phases;
}

function checkTrainingConfig(config: TrialConfig, phases: PlannedPhase[]): void {
  const { training, dataset } = config;
  if (dataset.name !== 'cifar10') {
    throw new InputError(`dataset.name must be cifar10, the only data set the trainer reads, got "${String(dataset.name)}"`);
  }
  if (!(Number.isInteger(training.batch_size) && training.batch_size > 0)) {
    throw new InputError(`training.batch_size must be a positive integer, got ${training.batch_size}`);
  }
  if (!Number.isInteger(training.seed)) {
    throw new InputError(`training.seed must be an integer, got ${training.seed}`);
  }
  for (const phase of phases) {
    const where = `training.${phase.name}`;
    if (!(Number.isInteger(phase.config.max_epochs) && phase.config.max_epochs > 0)) {
      throw new InputError(`${where}.max_epochs must be a positive integer, got ${phase.config.max_epochs}`);
    }
    if (!(phase.config.learning_rate > 0)) {
      throw new InputError(`${where}.learning_rate must be greater than 0, got ${phase.config.learning_rate}`);
    }
    const early = phase.config.early_stopping;
    if (early === undefined) {
      continue;
    }
    try {
      monitoredField(early.monitor);
    } catch (error) {
      throw new InputError(`${where}.${(error as Error).message}`);
    }
    if (early.monitor.startsWith('val_') && dataset.validation_split === 0) {
      throw new InputError(`${where}.early_stopping.monitor is ${early.monitor}, but dataset.validation_split is 0, so there is no validation set; set validation_split above 0 or monitor loss`);
    }
    if (!(Number.isInteger(early.patience) && early.patience >= 0)) {
      throw new InputError(`${where}.early_stopping.patience must be an integer of at least 0, got ${early.patience}`);
    }
  }
}

function setTrainable(built: BuiltModel, unfreeze: number): void {
  if (built.base === undefined) {
    return;
  }
  built.unfreezeLastLayers(unfreeze);
}

function restoreWeights(model: tf.LayersModel, checkpoint: LoadedCheckpoint): void {
  const weights = checkpoint.modelWeights(model);
  model.setWeights(weights);
  tf.dispose(weights);
}

function maxOf(values: number[]): number {
  let best = Number.NaN;
  for (const value of values) {
    if (!Number.isNaN(value) && !(value <= best)) {
      best = value;
    }
  }
  return best;
}
