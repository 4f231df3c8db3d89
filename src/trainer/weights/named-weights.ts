/** One weight tensor read from a weights file, float32, row-major. */
export interface NamedWeight {
  /** `<layer name>/<weight name>`, for example `Conv1/kernel` or `bn_Conv1/moving_mean`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Weights read from one file, by `<layer name>/<weight name>`. */
export type NamedWeights = Map<string, NamedWeight>;

/**
 * Returns the `<layer>/<weight>` key of a weight name as files store it: the
 * last two path segments without the `:0` suffix that TensorFlow adds, so
 * `Conv1/kernel:0` and `model1/Conv1/kernel` both become `Conv1/kernel`.
 */
export function weightKey(storedName: string): string {
  const segments = storedName.replace(/:\d+$/, '').split('/');
  return segments.slice(-2).join('/');
}
