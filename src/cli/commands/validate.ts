import type { Command } from 'commander';
import { InputError, ValidationError, type Problem } from '../../errors.ts';
import { planTrials } from '../../planner/plan-trials.ts';
import { loadSpecFile } from '../../spec/parse-spec.ts';
import type { SweepSpec } from '../../spec/sweep-spec.ts';

/** Registers `sweep validate FILE...`: checks sweep files and reports every problem with its position. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Check sweep files and report every problem as file:line:col (exit code 2 when a file is invalid)')
    .argument('<files...>', 'sweep files (YAML)')
    .action(async (files: string[]) => {
      const problems: Problem[] = [];
      const unreadable: InputError[] = [];
      for (const file of files) {
        try {
          const spec = await loadSpecFile(file);
          process.stdout.write(`${file}: valid: ${describeSpec(spec)}\n`);
        } catch (error) {
          if (error instanceof ValidationError) {
            problems.push(...error.problems);
          } else if (error instanceof InputError) {
            process.stderr.write(`sweep: ${error.message}\n`);
            unreadable.push(error);
          } else {
            throw error;
          }
        }
      }
      if (problems.length > 0) {
        throw new ValidationError(problems);
      }
      if (unreadable.length > 0) {
        process.exitCode = unreadable[0].exitCode;
      }
    });
}

/** Describes in one line what a spec plans, for example `sweep cifar10-finetune, 4 parameters, grid of 24 points, plus the baseline`. */
export function describeSpec(spec: SweepSpec): string {
  const parameterCount = Object.keys(spec.parameters).length;
  const points = planTrials(spec).gridPoints;
  const search =
    spec.search.method === 'grid'
      ? `grid of ${points?.toLocaleString('en-US')} point${points === 1 ? '' : 's'}`
      : `random search of ${spec.search.trials} trials (seed ${spec.search.seed})`;
  const baseline = spec.baseline === undefined ? '' : ', plus the baseline';
  return `sweep ${spec.name}, ${parameterCount} parameter${parameterCount === 1 ? '' : 's'}, ${search}${baseline}`;
}
