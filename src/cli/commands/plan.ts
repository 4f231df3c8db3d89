import type { Command } from 'commander';
import { InputError } from '../../errors.ts';
import { planTrials, type PlanSummary } from '../../planner/plan-trials.ts';
import { loadSpecFile } from '../../spec/parse-spec.ts';
import type { SweepSpec } from '../../spec/sweep-spec.ts';
import type { ParameterValue, PlannedTrial } from '../../spec/trial-config.ts';

interface PlanCommandOptions {
  json?: boolean;
  limit?: string;
}

/** Registers `sweep plan FILE`: the trials a sweep file expands into, before any training. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('Show the trials a sweep file expands into (a table, or JSON with --json), with the count and the collapsed duplicates; trains nothing')
    .argument('<file>', 'sweep file (YAML)')
    .option('--json', 'print JSON: {"sweep", "trials": [...], "summary"}')
    .option('--limit <n>', 'print at most N trials (the summary still counts all of them)')
    .action(async (file: string, options: PlanCommandOptions) => {
      const limit = parseLimit(options.limit);
      const spec = await loadSpecFile(file);
      const output = new BufferedOutput();
      if (options.json === true) {
        await writeJsonPlan(spec, limit, output);
      } else {
        await writeTablePlan(spec, limit, output);
      }
      await output.flush();
    });
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) {
    return Infinity;
  }
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InputError(`--limit must be a whole number of trials, got ${JSON.stringify(text)}; for example --limit 50`);
  }
  return limit;
}

async function writeJsonPlan(spec: SweepSpec, limit: number, output: BufferedOutput): Promise<void> {
  const plan = planTrials(spec);
  await output.write(`{"sweep":${JSON.stringify(spec.name)},"trials":[`);
  let printed = 0;
  for (const trial of plan) {
    if (output.closed) {
      return;
    }
    if (printed < limit) {
      await output.write(`${printed === 0 ? '\n' : ',\n'}${JSON.stringify({ number: printed + 1, ...trial })}`);
      printed += 1;
    }
  }
  await output.write(`\n],"summary":${JSON.stringify(plan.summary)},"pruning":${JSON.stringify(spec.pruning ?? null)}}\n`);
}

async function writeTablePlan(spec: SweepSpec, limit: number, output: BufferedOutput): Promise<void> {
  const plan = planTrials(spec);
  const names = Object.keys(spec.parameters);
  // Widths come from the listed values, so that the table can stream without a first pass.
  const widths = names.map((name) => {
    const definition = spec.parameters[name];
    const samples = definition.distribution === 'choice' ? definition.values.map(formatValue) : [formatValue(definition.low), formatValue(definition.high), '0.000000000'];
    return Math.min(60, Math.max(name.length, ...samples.map((sample) => sample.length)));
  });
  const header = ['#'.padStart(6), 'config hash ', ...names.map((name, i) => name.padEnd(widths[i]))].join('  ');
  await output.write(`${header.trimEnd()}\n`);

  let printed = 0;
  for (const trial of plan) {
    if (output.closed) {
      return;
    }
    if (printed >= limit) {
      continue;
    }
    printed += 1;
    await output.write(`${formatRow(trial, printed, names, widths)}\n`);
  }
  if (printed < plan.summary.trials) {
    await output.write(`... ${(plan.summary.trials - printed).toLocaleString('en-US')} more trials (--limit ${limit})\n`);
  }
  await output.write(`\n${formatSummary(plan.summary, spec)}`);
  await output.write(`${formatPruning(spec)}\n`);
}

/** Describes the sweep's pruning settings in one line. */
export function formatPruning(spec: SweepSpec): string {
  const pruning = spec.pruning;
  if (pruning === undefined) {
    return 'Pruning: off (every trial runs until its own early stopping).';
  }
  if (pruning.method === 'median') {
    return `Pruning: median rule on ${pruning.metric}, from epoch ${pruning.min_epochs}, once ${pruning.min_trials} trials have finished.`;
  }
  const rungs = Array.from({ length: pruning.rungs }, (_, rung) => Math.round(pruning.min_epochs * pruning.reduction_factor ** rung));
  return `Pruning: ASHA on ${pruning.metric}, rungs at epochs ${rungs.join(', ')} (counted over both phases), keeping the best 1/${pruning.reduction_factor} at each rung.`;
}

function formatRow(trial: PlannedTrial, number: number, names: string[], widths: number[]): string {
  const cells = [String(number).padStart(6), trial.config_hash.slice(0, 12)];
  if (trial.is_baseline) {
    cells.push(`baseline (${trial.config.model.type})`);
  } else {
    names.forEach((name, i) => cells.push(truncate(formatValue(trial.params[name]), widths[i]).padEnd(widths[i])));
  }
  return cells.join('  ').trimEnd();
}

/** Formats the summary lines: the trial count, the grid size and each collapsed point. */
export function formatSummary(summary: PlanSummary, spec: SweepSpec): string {
  const lines: string[] = [];
  const count = summary.trials.toLocaleString('en-US');
  const baseline = spec.baseline === undefined ? '' : ' (the baseline included)';
  const space =
    summary.method === 'grid'
      ? `from a grid of ${(summary.grid_points ?? 0).toLocaleString('en-US')} points`
      : `from a random search of ${spec.search.method === 'random' ? spec.search.trials : 0} trials`;
  lines.push(`${count} trial${summary.trials === 1 ? '' : 's'}${baseline} ${space}.`);
  if (summary.existing > 0) {
    lines.push(`${summary.existing} config${summary.existing === 1 ? ' is' : 's are'} already in the sweep and not planned again.`);
  }
  if (summary.exhausted) {
    lines.push('The search space ran out of distinct configs before the trial budget was reached.');
  }
  if (summary.collapsed === 0) {
    lines.push('No duplicate configs.');
  } else {
    lines.push(`${summary.collapsed.toLocaleString('en-US')} point${summary.collapsed === 1 ? '' : 's'} collapsed into an earlier trial with the same config:`);
    for (const example of summary.collapsed_examples) {
      const params = Object.entries(example.params)
        .map(([name, value]) => `${name}=${formatValue(value)}`)
        .join(' ');
      lines.push(`  ${params}  ->  ${example.config_hash.slice(0, 12)}`);
    }
    if (summary.collapsed > summary.collapsed_examples.length) {
      lines.push(`  ... and ${(summary.collapsed - summary.collapsed_examples.length).toLocaleString('en-US')} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatValue(value: ParameterValue | undefined): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value === undefined) {
    return '';
  }
  // Compact: {horizontal_flip:true,translation:0.1} reads better in a table than quoted keys.
  return JSON.stringify(value).replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, '$1:');
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 3)}...`;
}

// Collects lines into large writes and waits for stdout to drain, so that a million-row
// plan streams in constant memory. A closed pipe (`sweep plan ... | head`) ends the output quietly.
class BufferedOutput {
  private chunks: string[] = [];
  private size = 0;
  /** True once the reader of stdout has gone away; the caller can stop producing output. */
  closed = false;

  constructor() {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        this.closed = true;
      }
    });
  }

  async write(text: string): Promise<void> {
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= 64 * 1024) {
      await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.closed || this.chunks.length === 0) {
      this.chunks = [];
      this.size = 0;
      return;
    }
    const text = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    if (!process.stdout.write(text)) {
      await new Promise<void>((resolve) => {
        process.stdout.once('drain', resolve);
        process.stdout.once('error', () => resolve());
      });
    }
    // Lets a pending EPIPE error event run, which a chain of resolved promises never does.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
