import type { Command } from 'commander';
import { InputError } from '../../errors.ts';
import { parseWorkers } from '../../scheduler/devices.ts';
import type { SweepSpec } from '../../spec/sweep-spec.ts';
import { openDatabase } from '../../storage/database.ts';
import { globalOptions } from '../global-options.ts';
import { addRunOptions, applyDirectoryFlags, parseLeaseSeconds, runSweepSession, type RunFlags } from './start.ts';

/** Registers `sweep agent SWEEP`: join a sweep from another process or host and train its trials. */
export function registerAgentCommand(program: Command): void {
  addRunOptions(
    program
      .command('agent')
      .description('Join a started sweep and train its waiting trials; run it on other hosts with the same DATABASE_URL and artifact store')
      .argument('<sweep>', 'name of the sweep'),
  ).action(async (sweepName: string, flags: RunFlags, command: Command) => {
    applyDirectoryFlags(flags);
    const leaseSeconds = parseLeaseSeconds(flags.leaseSeconds);
    const workersFlag = flags.workers === undefined ? undefined : parseWorkers(flags.workers, '--workers');

    const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl });
    try {
      const sweep = await handle.db.selectFrom('sweeps').select(['id', 'spec', 'status']).where('name', '=', sweepName).executeTakeFirst();
      if (sweep === undefined) {
        throw new InputError(`no sweep named "${sweepName}" in the database; create it with \`sweep start FILE\` first`);
      }
      const spec = sweep.spec as unknown as SweepSpec;
      const artifacts = flags.artifacts !== undefined ? { value: flags.artifacts, where: '--artifacts' } : spec.artifacts === undefined ? undefined : { value: spec.artifacts.uri, where: `sweep ${sweepName}: artifacts` };
      await runSweepSession({
        db: handle.db,
        databaseUrl: handle.url,
        sweepId: sweep.id,
        sweepName,
        workers: workersFlag ?? spec.resources?.workers ?? 'auto',
        noTui: !flags.tui,
        ...(spec.pruning === undefined ? {} : { pruning: spec.pruning }),
        ...(artifacts === undefined ? {} : { artifacts }),
        ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
      });
    } finally {
      await handle.close();
    }
  });
}
