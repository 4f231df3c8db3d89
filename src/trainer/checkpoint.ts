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
  /** Decodes the optimizer state for `optimizer.setWeights`. It is stored only while the phase is in progress. */
  optimizerWeights(): NamedTensor[];
}

/** Returns the sha256 of a trial config in canonical JSON (object keys sorted). */
export function configHash(config: TrialConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/**
 * Writes a checkpoint: model weights, the optimizer state of a phase in progress
 * and, when given, the best weights into a new subfolder, then `state.json`,
 * which is the commit point, and finally removes older subfolders. A crash at
 * any step leaves the previous checkpoint usable.
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

  await writeWeights(join(path, 'model'), namedInStructuralOrder(model, model.getWeights()));
  // A finished phase is never resumed (the next phase builds its own optimizer),
  // so its optimizer state, twice the model's size under Adam, is not written.
  if (!state.phase_done) {
    const optimizerWeights = await optimizer.getWeights();
    try {
      await writeWeights(join(path, 'optimizer'), optimizerWeights);
    } finally {
      // getWeights returns the live state variables plus a new scalar holding the step count.
      tf.dispose(optimizerWeights.filter((entry) => !(entry.tensor instanceof tf.Variable)).map((entry) => entry.tensor));
    }
  }
  if (bestWeights !== undefined) {
    await writeWeights(join(path, 'best'), namedInStructuralOrder(model, bestWeights));
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
 * Reads the checkpoint in `dir`. Returns undefined, after logging the reason, when
 * there is none, when it belongs to another config, or when it cannot be read.
 * The trial then starts from the first epoch.
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

type LayerVariable = tf.LayersModel['weights'][number];

/**
 * Lists a model's weight variables layer by layer, descending into nested
 * models. `model.weights` puts trainable weights first, so its order changes when
 * layers are frozen or unfrozen. Variable names change when a process builds the
 * same model twice, because auto-generated layer names get new numbers. This
 * order depends only on the architecture.
 */
function structuralWeights(model: tf.LayersModel): LayerVariable[] {
  const seen = new Set<number>();
  const variables: LayerVariable[] = [];
  const visit = (layers: tf.layers.Layer[]): void => {
    for (const layer of layers) {
      if (layer instanceof tf.LayersModel) {
        visit(layer.layers);
        continue;
      }
      for (const variable of layer.weights) {
        if (!seen.has(variable.id)) {
          seen.add(variable.id);
          variables.push(variable);
        }
      }
    }
  };
  visit(model.layers);
  return variables;
}

/** Names weights by their structural position, `w0`, `w1`, …, with tensors taken in `model.weights` order. */
function namedInStructuralOrder(model: tf.LayersModel, tensors: readonly tf.Tensor[]): NamedTensor[] {
  const position = new Map(model.weights.map((variable, index) => [variable.id, index]));
  return structuralWeights(model).map((variable, index) => ({ name: `w${index}`, tensor: tensors[position.get(variable.id) ?? -1] }));
}

/** Puts decoded structural weights back into `model.weights` order, checking count and shapes. */
function orderedLike(model: tf.LayersModel, map: DecodedWeights, what: string): tf.Tensor[] {
  const variables = structuralWeights(model);
  const mismatch = variables.findIndex((variable, index) => {
    const tensor = map.tensors[`w${index}`];
    return tensor === undefined || tensor.shape.join('x') !== variable.shape.join('x');
  });
  if (mismatch !== -1 || variables.length !== map.order.length) {
    tf.dispose(Object.values(map.tensors));
    const where = mismatch === -1 ? '' : `, first mismatch at ${variables[mismatch].originalName}`;
    throw new Error(`the checkpoint's ${what} do not fit the model: ${map.order.length} stored, ${variables.length} in the model${where}`);
  }

  const byId = new Map(variables.map((variable, index) => [variable.id, map.tensors[`w${index}`]]));
  return model.weights.map((variable) => byId.get(variable.id) as tf.Tensor);
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
      // Keys are unique, so the comparison never needs to return 0.
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
