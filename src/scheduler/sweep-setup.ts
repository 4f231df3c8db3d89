import { sql, type Kysely, type Transaction } from 'kysely';
import { InputError } from '../errors.ts';
import { canonicalHash, canonicalJson } from '../spec/canonical-json.ts';
import type { SweepSpec } from '../spec/sweep-spec.ts';
import type { PlannedTrial } from '../spec/trial-config.ts';
import { formatPath, type FieldPath } from '../spec/yaml-source.ts';
import type { Database, SweepStatus } from '../storage/schema.ts';
import { insertPlannedTrials } from '../storage/trial-repository.ts';
import { sendNotification } from './trial-queue.ts';

/** Plans the trials of a spec, leaving out configs whose hash is already in the sweep. */
export type TrialPlanner = (spec: SweepSpec, existingHashes: ReadonlySet<string>) => Iterable<PlannedTrial> | AsyncIterable<PlannedTrial>;

/** Result of `prepareSweep`. */
export interface PreparedSweep {
  sweepId: string;
  name: string;
  /** True when the sweep did not exist before. */
  created: boolean;
  /** Trials inserted now (all of them for a new sweep, the new configs when extending). */
  added: number;
  /** CANCELLED trials that went back to WAITING because the sweep was started again. */
  resumed: number;
  /** FAIL trials that went back to WAITING, with fresh attempts, because the sweep was started again. */
  retried: number;
}

/** Attempts per trial before it is marked FAIL (a lease that expires counts as an attempt). */
export const defaultMaxAttempts = 3;

/**
 * Spec fields that may change between starts of a sweep without changing what
 * its trials mean: how the run is resourced, where files go and how runs are
 * ranked. The search space (`parameters`, `search`, `references`) may change
 * too: it extends the sweep.
 */
const freeFields = ['name', 'description', 'source_file', 'resources', 'artifacts', 'ranking'] as const;
const searchSpaceFields = ['parameters', 'search', 'references'] as const;

/**
 * Creates the sweep named in the spec with its planned trials, or resumes it
 * when it exists. A changed search space extends the sweep: new configs are
 * added after the existing trials, and finished trials are kept and never run
 * again (matched by config hash). Any other change raises an InputError that
 * lists what differs. Two starts of the same sweep at once are serialized by
 * an advisory lock.
 */
export async function prepareSweep(db: Kysely<Database>, spec: SweepSpec, plan: TrialPlanner): Promise<PreparedSweep> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`sweep:${spec.name}`}))`.execute(trx);
    const existing = await trx.selectFrom('sweeps').selectAll().where('name', '=', spec.name).executeTakeFirst();

    if (existing === undefined) {
      const row = await trx
        .insertInto('sweeps')
        .values({
          name: spec.name,
          spec: JSON.stringify(spec),
          spec_hash: specHash(spec),
          search_space_hash: searchSpaceHash(spec),
          source_file: spec.source_file,
          ranking: JSON.stringify(spec.ranking),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const added = await addPlannedTrials(trx, row.id, spec, new Set(), plan);
      await sendNotification(trx, { type: 'sweep-state', sweep: spec.name, sweep_id: row.id, state: 'RUNNING' });
      return { sweepId: row.id, name: spec.name, created: true, added, resumed: 0, retried: 0 };
    }

    const stored = existing.spec as unknown as SweepSpec;
    const differences = specDifferences(stored, spec);
    if (differences.length > 0) {
      throw new InputError(describeRejectedChange(spec, existing.source_file, differences));
    }

    const known = await trx.selectFrom('trials').select('config_hash').where('sweep_id', '=', existing.id).execute();
    const added = await addPlannedTrials(trx, existing.id, spec, new Set(known.map((trial) => trial.config_hash)), plan);

    // Starting a cancelled sweep again resumes its cancelled trials.
    const resumed = await trx
      .updateTable('trials')
      .set({ state: 'WAITING', cancel_requested: false, finished_at: null, error: null, updated_at: sql<Date>`now()` })
      .where('sweep_id', '=', existing.id)
      .where('state', '=', 'CANCELLED')
      .executeTakeFirst();
    // Starting again is also how a user retries failed trials once the cause
    // (missing data, out of memory) is fixed; COMPLETE and PRUNED trials stay as they are.
    const retried = await trx
      .updateTable('trials')
      .set({ state: 'WAITING', attempt: 0, cancel_requested: false, claimed_by: null, lease_expires_at: null, finished_at: null, error: null, updated_at: sql<Date>`now()` })
      .where('sweep_id', '=', existing.id)
      .where('state', '=', 'FAIL')
      .executeTakeFirst();
    const status: SweepStatus = 'RUNNING';
    await trx
      .updateTable('sweeps')
      .set({
        spec: JSON.stringify(spec),
        spec_hash: specHash(spec),
        search_space_hash: searchSpaceHash(spec),
        source_file: spec.source_file,
        ranking: JSON.stringify(spec.ranking),
        status,
        finished_at: null,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', existing.id)
      .execute();
    await sendNotification(trx, { type: 'sweep-state', sweep: spec.name, sweep_id: existing.id, state: status });
    return { sweepId: existing.id, name: spec.name, created: false, added, resumed: Number(resumed.numUpdatedRows), retried: Number(retried.numUpdatedRows) };
  });
}

async function addPlannedTrials(trx: Transaction<Database>, sweepId: string, spec: SweepSpec, existingHashes: ReadonlySet<string>, plan: TrialPlanner): Promise<number> {
  const planned: PlannedTrial[] = [];
  for await (const trial of plan(spec, existingHashes)) {
    planned.push(trial);
  }
  const result = await insertPlannedTrials(trx, sweepId, planned, { maxAttempts: defaultMaxAttempts });
  return result.inserted.length;
}

/** One field whose value differs between the stored spec and the new one. */
export interface SpecDifference {
  path: string;
  before: unknown;
  after: unknown;
}

/**
 * Lists the differences between two specs outside the free fields and the
 * search space. Template fields that are a parameter reference in either spec
 * belong to the search space and are not compared.
 */
export function specDifferences(before: SweepSpec, after: SweepSpec): SpecDifference[] {
  const referenced: FieldPath[] = [...(before.references ?? []), ...(after.references ?? [])].map((site) => site.path);
  const strip = (spec: SweepSpec): Record<string, unknown> => {
    const copy = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
    for (const field of [...freeFields, ...searchSpaceFields]) {
      delete copy[field];
    }
    const template = (copy.template ?? {}) as Record<string, unknown>;
    for (const path of referenced) {
      deletePath(template, path);
    }
    return copy;
  };

  const differences: SpecDifference[] = [];
  collectDifferences(strip(before), strip(after), [], differences);
  return differences;
}

function deletePath(root: Record<string, unknown>, path: FieldPath): void {
  let node: unknown = root;
  for (const part of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') {
      return;
    }
    node = (node as Record<string | number, unknown>)[part];
  }
  if (node !== null && typeof node === 'object') {
    delete (node as Record<string | number, unknown>)[path[path.length - 1] as string | number];
  }
}

function collectDifferences(before: unknown, after: unknown, path: (string | number)[], out: SpecDifference[]): void {
  const bothObjects = isPlainObject(before) && isPlainObject(after);
  if (bothObjects) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of [...keys].sort()) {
      collectDifferences(before[key], after[key], [...path, key], out);
    }
    return;
  }
  if (canonicalJson(before ?? null) !== canonicalJson(after ?? null)) {
    out.push({ path: formatPath(path), before, after });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describeRejectedChange(spec: SweepSpec, storedFile: string | null, differences: readonly SpecDifference[]): string {
  const listed = differences.slice(0, 10).map((difference) => `  ${difference.path}: was ${render(difference.before)}, now ${render(difference.after)}`);
  if (differences.length > listed.length) {
    listed.push(`  … and ${differences.length - listed.length} more`);
  }
  const origin = storedFile === null ? '' : ` (last started from ${storedFile})`;
  return (
    `sweep "${spec.name}" already exists with a different spec${origin}, and only its search space (parameters, search) may change when it is started again:\n` +
    `${listed.join('\n')}\n` +
    `To run the changed spec as a new sweep, give it a new name (\`name:\` in ${spec.source_file}); to continue the existing sweep, undo these changes.`
  );
}

function render(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}

/** Hash of the spec without its free fields, stored in `sweeps.spec_hash`. */
export function specHash(spec: SweepSpec): string {
  const copy: Record<string, unknown> = { ...spec };
  for (const field of freeFields) {
    delete copy[field];
  }
  return canonicalHash(copy);
}

/** Hash of the search space, stored in `sweeps.search_space_hash`. */
export function searchSpaceHash(spec: SweepSpec): string {
  return canonicalHash({ parameters: spec.parameters, search: spec.search, references: spec.references });
}
