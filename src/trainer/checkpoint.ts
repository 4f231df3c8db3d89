import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrialConfig } from '../spec/trial-config.ts';
import type { EarlyStoppingState } from './early-stopping.ts';
import { writeAtomically } from './model-io.ts';
import type { EpochMetrics, PhaseName, PhaseSummary } from './types.ts';

/** A tensor with its name, as optimizers' getWeights and setWeights exchange them. */
type NamedTensor = { name: string; tensor: tf.Tensor };

const STATE_FILE = 'state.json';
const FORMAT_VERSION = 1;

/** Progress of a trial after its last completed epoch, as stored in `state.json`. */
export interface CheckpointState {
  version: number;
  /** Hash of the trial config; a checkpoint of another config is not resumed. */
  config_hash: string;
  /** Phase the last completed epoch belongs to. */
  phase: PhaseName;
  /** Epochs completed in that phase. */
  epochs_done: number;
  /** True once the phase has ended (and its best weights were restored). */
  phase_done: boolean;
  /** Metrics of every completed epoch of the trial, all phases. */
  history: EpochMetrics[];
  /** Summaries of the phases that ended. */
  summaries: PhaseSummary[];
  early_stopping?: EarlyStoppingState;
  /** Seconds, training-only seconds and training images so far in the phase in progress. */
  phase_seconds: number;
  phase_train_seconds: number;
  phase_images: number;
  /** Subfolder holding the weight files of this checkpoint. */
  folder: string;
  has_best_weights: boolean;
}

/** A checkpoint read back from disk; tensors are decoded on request and owned by the caller. */
export interface LoadedCheckpoint {
  state: CheckpointState;
  /** Decodes the model weights in the order of `model.weights`. */
  modelWeights(model: tf.LayersModel): tf.Tensor[];
  /** Decodes the kept best weights in the order of `model.weights`, when stored. */
  bestWeights(model: tf.LayersModel): tf.Tensor[] | undefined;
  /** Decodes the optimizer state for `optimizer.setWeights`. */
  optimizerWeights(): NamedTensor[];
}

/** Returns the sha256 of a trial config in canonical JSON (object keys sorted). */
export function configHash(config: TrialConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/**
 * Writes a checkpoint: model weights, optimizer state and, when given, the best
 * weights into a new subfolder, then `state.json`, which is the commit point, and
 * finally removes older subfolders. A crash at any step leaves the previous
 * checkpoint usable.
 */
export async function saveCheckpoint(
  dir: string,
  state: Omit<CheckpointState, 'version' | 'folder' | 'has_best_weights'>,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  bestWeights: readonly tf.Tensor[] | undefined,
): Promise<void> {
  const folder = `${state.phase}-${String(state.epochs_done).padStart(4, '0')}${state.phase_done ? '-done' : ''}`;
  const path = join(dir, folder);
  mkdirSync(path, { recursive: true });

  const names = weightNames(model);
  await writeWeights(join(path, 'model'), model.getWeights().map((tensor, i) => ({ name: names[i], tensor })));
  await writeWeights(join(path, 'optimizer'), await optimizer.getWeights());
  if (bestWeights !== undefined) {
    await writeWeights(join(path, 'best'), bestWeights.map((tensor, i) => ({ name: names[i], tensor })));
  }

  const full: CheckpointState = { ...state, version: FORMAT_VERSION, folder, has_best_weights: bestWeights !== undefined };
  writeAtomically(join(dir, STATE_FILE), `${JSON.stringify(full, null, 2)}\n`);

  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== folder) {
      rmSync(join(dir, entry.name), { recursive: true, force: true });
    }
  }
}

/**
 * Reads the checkpoint in `dir`. Returns undefined, after logging why, when there is
 * none, when it belongs to another config, or when it cannot be read; the trial
 * then starts from the first epoch.
 */
export function loadCheckpoint(dir: string, hash: string, onLog?: (message: string) => void): LoadedCheckpoint | undefined {
  const statePath = join(dir, STATE_FILE);
  if (!existsSync(statePath)) {
    return undefined;
  }

  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as CheckpointState;
  } catch (error) {
    onLog?.(`checkpoint ${statePath} is unreadable (${(error as Error).message}); starting the trial from the first epoch`);
    return undefined;
  }
  if (state.version !== FORMAT_VERSION) {
    onLog?.(`checkpoint ${statePath} has format version ${state.version}, expected ${FORMAT_VERSION}; starting the trial from the first epoch`);
    return undefined;
  }
  if (state.config_hash !== hash) {
    onLog?.(`checkpoint in ${dir} belongs to another trial config; starting the trial from the first epoch`);
    return undefined;
  }
  const path = join(dir, state.folder);
  if (!existsSync(join(path, 'model.bin'))) {
    onLog?.(`checkpoint folder ${path} is missing its weights; starting the trial from the first epoch`);
    return undefined;
  }

  return {
    state,
    modelWeights: (model) => orderedLike(model, readWeights(join(path, 'model')), 'model weights'),
    bestWeights: (model) => (state.has_best_weights ? orderedLike(model, readWeights(join(path, 'best')), 'best weights') : undefined),
    optimizerWeights: () => {
      const map = readWeights(join(path, 'optimizer'));
      return map.order.map((name) => ({ name, tensor: map.tensors[name] }));
    },
  };
}

/** Deletes a checkpoint folder's contents, for a trial that finished. */
export function clearCheckpoint(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Returns a name for each of `model.weights`. Names are the variables' original
 * names (`layer/kernel`), which stay the same when the model is built again,
 * whereas positions change with what is trainable and the variables' own
 * names get `_1` suffixes when a process builds the same model twice.
 */
function weightNames(model: tf.LayersModel): string[] {
  const names = model.weights.map((weight) => weight.originalName);
  if (new Set(names).size !== names.length) {
    // Duplicate original names: fall back to positions, which hold as long as trainability matches.
    return names.map((_, i) => `#${i}`);
  }
  return names;
}

function orderedLike(model: tf.LayersModel, map: DecodedWeights, what: string): tf.Tensor[] {
  const names = weightNames(model);
  const missing = names.filter((name) => map.tensors[name] === undefined);
  if (missing.length > 0 || names.length !== map.order.length) {
    for (const tensor of Object.values(map.tensors)) {
      tensor.dispose();
    }
    throw new Error(`the checkpoint's ${what} do not fit the model: ${map.order.length} stored, ${names.length} in the model, missing ${missing.slice(0, 3).join(', ')}`);
  }
  return names.map((name) => map.tensors[name]);
}

interface DecodedWeights {
  order: string[];
  tensors: tf.NamedTensorMap;
}

async function writeWeights(base: string, named: NamedTensor[]): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(named);
  writeAtomically(`${base}.bin`, new Uint8Array(data));
  writeAtomically(`${base}.json`, JSON.stringify(specs));
}

function readWeights(base: string): DecodedWeights {
  const specs = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as tf.io.WeightsManifestEntry[];
  const bytes = readFileSync(`${base}.bin`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { order: specs.map((spec) => spec.name), tensors: tf.io.decodeWeights(buffer, specs) };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
