import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { InputError } from '../../errors.ts';
import { cancelSweep } from '../../scheduler/cancel-sweep.ts';
import { openDatabase } from '../../storage/database.ts';
import type { Database } from '../../storage/schema.ts';
import { cancelTrial } from '../../tui/cancel-trial.ts';
import { globalOptions } from '../global-options.ts';

type Target = { kind: 'sweep'; sweepId: string; name: string } | { kind: 'trial'; trialId: string; label: string };

/** Registers `sweep cancel SWEEP|SWEEP/N|#ID`: stop a sweep or one trial. */
export function registerCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description('Cancel a sweep (its waiting trials at once, its running trials at their next heartbeat) or one trial')
    .argument('<target>', 'a sweep name, SWEEP/N for trial N of a sweep, or #ID for a trial id')
    .action(async (target: string, _options: unknown, command: Command) => {
      const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl });
      try {
        const resolved = await resolveTarget(handle.db, target);
        if (resolved.kind === 'sweep') {
          const result = await cancelSweep(handle.db, resolved.sweepId);
          if (result.previousStatus !== 'RUNNING') {
            process.stdout.write(`sweep ${resolved.name} is ${result.previousStatus}, not running; nothing to cancel\n`);
            return;
          }
          process.stdout.write(
            `sweep ${resolved.name} cancelled: ${result.cancelled} waiting trials cancelled, ${result.requested} running trials asked to stop. ` +
              `Start it again with \`sweep start\` to resume it.\n`,
          );
          return;
        }
        const outcome = await cancelTrial(handle.db, resolved.trialId);
        const messages = {
          cancelled: `${resolved.label} cancelled`,
          requested: `${resolved.label}: cancel requested; its worker stops it at the next heartbeat or epoch`,
          'already-finished': `${resolved.label} had already ended; nothing to cancel`,
        };
        process.stdout.write(`${messages[outcome]}\n`);
      } finally {
        await handle.close();
      }
    });
}

async function resolveTarget(db: Kysely<Database>, target: string): Promise<Target> {
  const sweep = await db.selectFrom('sweeps').select(['id', 'name']).where('name', '=', target).executeTakeFirst();
  if (sweep !== undefined) {
    return { kind: 'sweep', sweepId: sweep.id, name: sweep.name };
  }

  const numbered = /^(.+)\/(\d+)$/.exec(target);
  if (numbered !== null) {
    const [, name, number] = numbered as unknown as [string, string, string];
    const trial = await db
      .selectFrom('trials')
      .innerJoin('sweeps', 'sweeps.id', 'trials.sweep_id')
      .select(['trials.id'])
      .where('sweeps.name', '=', name)
      .where('trials.number', '=', Number(number))
      .executeTakeFirst();
    if (trial === undefined) {
      throw new InputError(`no trial ${number} in sweep "${name}"; list its trials with \`sweep watch ${name}\``);
    }
    return { kind: 'trial', trialId: trial.id, label: `trial ${number} of sweep ${name}` };
  }

  const byId = /^#(\d+)$/.exec(target);
  if (byId !== null) {
    const id = byId[1] as string;
    const trial = await db.selectFrom('trials').select(['id']).where('id', '=', id).executeTakeFirst();
    if (trial === undefined) {
      throw new InputError(`no trial with id ${id}; find trial ids with \`sweep sql\` or \`sweep watch SWEEP\``);
    }
    return { kind: 'trial', trialId: trial.id, label: `trial #${id}` };
  }
  throw new InputError(`no sweep named "${target}"; give a sweep name, SWEEP/N for trial N of a sweep, or #ID for a trial id`);
}
