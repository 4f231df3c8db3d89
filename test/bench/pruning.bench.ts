// Pruning benchmark: a 27-trial grid whose trials train for up to 9 epochs,
// run by 2 simulated workers, without pruning, with the median rule and with
// ASHA. It reports the epochs trained (the compute) and whether the trial with
// the best final validation accuracy still finishes. The curves are synthetic
// (saturating learning curves with seeded noise), so the figures measure the
// pruners' decisions, not training speed.
import { AshaPruner, MedianPruner, type Pruner, type TrialCurve } from '../../src/scheduler/pruning/index.ts';
import { createRandom } from '../../src/trainer/random.ts';

const TRIALS = 27;
const MAX_EPOCHS = 9;
const WORKERS = 2;

/** Full validation-accuracy curves: each trial rises to its own ceiling at its own pace. */
function makeCurves(seed: number): number[][] {
  const random = createRandom(seed);
  return Array.from({ length: TRIALS }, () => {
    const ceiling = 0.35 + 0.5 * random();
    const pace = 1 + 3 * random();
    return Array.from({ length: MAX_EPOCHS }, (_, epoch) => ceiling * (1 - Math.exp(-(epoch + 1) / pace)) + 0.01 * (random() - 0.5));
  });
}

interface Outcome {
  epochs: number;
  bestFinished: boolean;
}

/** Runs the grid on WORKERS workers, one epoch per time step, asking the pruner after each epoch. */
function simulate(curves: number[][], pruner: Pruner | undefined): Outcome {
  const states: TrialCurve['state'][] = curves.map(() => 'WAITING');
  const progress = curves.map(() => 0);
  let next = 0;
  const running: number[] = [];
  let epochs = 0;

  while (next < curves.length || running.length > 0) {
    while (running.length < WORKERS && next < curves.length) {
      states[next] = 'RUNNING';
      running.push(next);
      next += 1;
    }
    for (const trial of [...running]) {
      progress[trial] += 1;
      epochs += 1;
      const view = (index: number): TrialCurve => ({ trialId: String(index), state: states[index], values: curves[index].slice(0, progress[index]) });
      const decision = pruner?.decide(view(trial), curves.map((_, index) => view(index)).filter((_, index) => index !== trial));
      const done = progress[trial] >= MAX_EPOCHS;
      if (decision?.prune === true || done) {
        states[trial] = done && decision?.prune !== true ? 'COMPLETE' : 'PRUNED';
        running.splice(running.indexOf(trial), 1);
      }
    }
  }

  const finals = curves.map((curve) => curve[MAX_EPOCHS - 1]);
  const best = finals.indexOf(Math.max(...finals));
  return { epochs, bestFinished: states[best] === 'COMPLETE' };
}

const pruners: [string, () => Pruner | undefined][] = [
  ['none', () => undefined],
  ['median (min_epochs 2, min_trials 3)', () => new MedianPruner({ metric: 'val_accuracy', min_epochs: 2, min_trials: 3 })],
  ['asha (min_epochs 1, η 3, 3 rungs)', () => new AshaPruner({ metric: 'val_accuracy', min_epochs: 1, reduction_factor: 3, rungs: 3 })],
];

const SEEDS = 20;
console.log(`pruning: ${TRIALS} trials x up to ${MAX_EPOCHS} epochs, ${WORKERS} workers, ${SEEDS} seeded grids`);
console.log('pruner | mean epochs trained | compute saved | best trial finished');
for (const [name, create] of pruners) {
  let epochs = 0;
  let found = 0;
  for (let seed = 1; seed <= SEEDS; seed += 1) {
    const outcome = simulate(makeCurves(seed), create());
    epochs += outcome.epochs;
    found += outcome.bestFinished ? 1 : 0;
  }
  const mean = epochs / SEEDS;
  const saved = 1 - mean / (TRIALS * MAX_EPOCHS);
  console.log(`${name} | ${mean.toFixed(1)} | ${(saved * 100).toFixed(1)}% | ${found}/${SEEDS}`);
}
