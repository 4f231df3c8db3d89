// Importing this module registers every custom layer of the trainer with
// tf.serialization, which a saved model that uses them needs before it loads.
export { InferenceBatchNormalization } from './inference-batch-normalization.ts';
export { ResizeBilinear } from './resize-bilinear.ts';
