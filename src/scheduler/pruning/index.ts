import type { PruningConfig } from '../../spec/sweep-spec.ts';
import { AshaPruner } from './asha-pruner.ts';
import { MedianPruner } from './median-pruner.ts';
import type { Pruner } from './pruner.ts';

export { AshaPruner } from './asha-pruner.ts';
export { MedianPruner } from './median-pruner.ts';
export type { PruneDecision, Pruner, TrialCurve } from './pruner.ts';

/** Builds the pruner that a sweep file's `pruning:` section configures, or returns undefined without one. */
export function createPruner(config: PruningConfig | undefined): Pruner | undefined {
  if (config === undefined) {
    return undefined;
  }
  if (config.method === 'median') {
    return new MedianPruner(config);
  }
  return new AshaPruner(config);
}
