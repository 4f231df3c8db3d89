import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { SweepError } from '../errors.ts';

/** The folder of the migration files (`migrations/` at the repository root). */
export const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Loads every `NNNN_name.ts` file of the migrations folder through `import()`,
 * which works because sweep always runs with tsx's loader.
 */
export class FolderMigrationProvider implements MigrationProvider {
  readonly #folder: string;

  constructor(folder: string = migrationsDir) {
    this.#folder = folder;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    const names = (await readdir(this.#folder)).filter((name) => /^\d{4}_[\w-]+\.ts$/.test(name)).sort();
    for (const name of names) {
      const module = (await import(pathToFileURL(join(this.#folder, name)).href)) as Partial<Migration>;
      if (typeof module.up !== 'function' || typeof module.down !== 'function') {
        throw new SweepError(`migration ${name} must export both up() and down()`);
      }
      migrations[name.replace(/\.ts$/, '')] = { up: module.up, down: module.down };
    }
    return migrations;
  }
}

/** Returns a Migrator over the migrations folder. Kysely takes a PostgreSQL advisory lock around every run. */
export function createMigrator(db: Kysely<any>, folder: string = migrationsDir): Migrator {
  return new Migrator({ db, provider: new FolderMigrationProvider(folder) });
}

/** Applies every pending migration; throws a SweepError naming the failed migration. */
export async function migrateToLatest(db: Kysely<any>, folder?: string): Promise<MigrationResultSet> {
  return checkResult(await createMigrator(db, folder).migrateToLatest(), 'migrate to the latest version');
}

/** Throws when a migration run failed, naming the migration that failed. */
export function checkResult(resultSet: MigrationResultSet, action: string): MigrationResultSet {
  if (resultSet.error === undefined) {
    return resultSet;
  }
  const failed = resultSet.results?.find((result) => result.status === 'Error');
  const location = failed === undefined ? '' : ` at ${failed.migrationName} (${failed.direction.toLowerCase()})`;
  const reason = resultSet.error instanceof Error ? resultSet.error.message : String(resultSet.error);
  throw new SweepError(`failed to ${action}${location}: ${reason}`, { cause: resultSet.error });
}
