import type { Command } from 'commander';
import { NO_MIGRATIONS, type MigrationResultSet } from 'kysely';
import { InputError } from '../../errors.ts';
import { stateDir } from '../../paths.ts';
import { maskUrl, openDatabase } from '../../storage/database.ts';
import { embeddedServerStatus, startPinnedEmbeddedServer, stopEmbeddedServer } from '../../storage/embedded-server.ts';
import { checkResult, createMigrator } from '../../storage/migrations.ts';
import { globalOptions } from '../global-options.ts';

/**
 * Registers `sweep db`: connection details, migrations, and the start and stop
 * of the embedded PostgreSQL server.
 */
export function registerDbCommand(program: Command): void {
  const db = program
    .command('db')
    .description('Show and manage the results database (PostgreSQL): connection, migrations, embedded server');

  db.command('info')
    .description('Print the connection string (password masked) and a psql command; keeps the embedded server running for psql')
    .action(async (_options: unknown, command: Command) => {
      const url = explicitUrl(command);
      if (url !== undefined) {
        const fromFlag = globalOptions(command).databaseUrl !== undefined;
        const psql = fromFlag ? [`psql "${maskUrl(url)}"   (with the real password in place of ****)`] : ['psql "$DATABASE_URL"'];
        printInfo('external server', url, psql);
        return;
      }
      const started = await startPinnedAndMigrate();
      const status = await embeddedServerStatus(stateDir());
      printInfo('embedded server (keeps running until `sweep db stop`)', started, [`psql "$(npx sweep db url)"`], [
        `data directory: ${status.paths.dataDir}`,
        `server log:     ${status.paths.logFile}`,
        `server pid:     ${status.pid ?? 'unknown'}`,
      ]);
    });

  db.command('url')
    .description('Print the full connection string, password included, for tools such as psql; keeps the embedded server running')
    .action(async (_options: unknown, command: Command) => {
      const url = explicitUrl(command) ?? (await startPinnedAndMigrate());
      process.stdout.write(`${url}\n`);
    });

  db.command('start')
    .description('Start the embedded server and keep it running until `sweep db stop`')
    .action(async (_options: unknown, command: Command) => {
      rejectExternal(command, 'start');
      const url = await startPinnedAndMigrate();
      process.stdout.write(`The embedded PostgreSQL server is running at ${maskUrl(url)}; stop it with \`sweep db stop\`.\n`);
    });

  db.command('stop')
    .description('Stop the embedded server now (sweep commands that still use it lose their connection)')
    .action(async (_options: unknown, command: Command) => {
      rejectExternal(command, 'stop');
      const stopped = await stopEmbeddedServer(stateDir());
      process.stdout.write(stopped ? 'Stopped the embedded PostgreSQL server.\n' : 'The embedded PostgreSQL server was not running.\n');
    });

  db.command('migrate')
    .description('Apply pending migrations (sweep also does this on every start), or migrate down with --to')
    .option('--to <migration>', 'migrate up or down to this migration name; "0" undoes every migration')
    .action(async (options: { to?: string }, command: Command) => {
      const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl, migrate: false });
      try {
        const migrator = createMigrator(handle.db);
        let resultSet: MigrationResultSet;
        if (options.to === undefined) {
          resultSet = await migrator.migrateToLatest();
        } else if (options.to === '0') {
          resultSet = await migrator.migrateTo(NO_MIGRATIONS);
        } else {
          const names = (await migrator.getMigrations()).map((migration) => migration.name);
          if (!names.includes(options.to)) {
            throw new InputError(`--to: unknown migration ${JSON.stringify(options.to)}; known: ${names.join(', ')}, or 0 for none`);
          }
          resultSet = await migrator.migrateTo(options.to);
        }
        checkResult(resultSet, 'migrate');
        const results = resultSet.results ?? [];
        if (results.length === 0) {
          process.stdout.write('Nothing to migrate: the database is at the requested version.\n');
        }
        for (const result of results) {
          process.stdout.write(`${result.direction === 'Up' ? 'applied' : 'reverted'} ${result.migrationName}\n`);
        }
      } finally {
        await handle.close();
      }
    });

  db.command('status')
    .description('List the migrations with the time each was applied, and the embedded server state')
    .action(async (_options: unknown, command: Command) => {
      const url = explicitUrl(command);
      if (url === undefined) {
        const server = await embeddedServerStatus(stateDir());
        const state = server.running ? `running on port ${server.port} (pid ${server.pid}${server.pinned ? ', kept running' : ''})` : 'stopped';
        process.stdout.write(`embedded server: ${state}\n`);
      }
      const handle = await openDatabase({ databaseUrl: url, migrate: false });
      try {
        process.stdout.write(`database: ${maskUrl(handle.url)}\n`);
        const migrations = await createMigrator(handle.db).getMigrations();
        const width = Math.max(...migrations.map((migration) => migration.name.length));
        for (const migration of migrations) {
          const when = migration.executedAt === undefined ? 'pending' : `applied ${migration.executedAt.toISOString()}`;
          process.stdout.write(`  ${migration.name.padEnd(width)}  ${when}\n`);
        }
      } finally {
        await handle.close();
      }
    });
}

/** Starts and pins the embedded server, then applies pending migrations so psql users see every table. */
async function startPinnedAndMigrate(): Promise<string> {
  const url = await startPinnedEmbeddedServer(stateDir());
  const handle = await openDatabase({ stateDir: stateDir() });
  await handle.close();
  return url;
}

function explicitUrl(command: Command): string | undefined {
  const url = globalOptions(command).databaseUrl ?? process.env.DATABASE_URL;
  return url === undefined || url.trim() === '' ? undefined : url;
}

function rejectExternal(command: Command, action: string): void {
  const url = explicitUrl(command);
  if (url !== undefined) {
    throw new InputError(
      `sweep db ${action} manages only the embedded server, but a database URL is set (${maskUrl(url)}); ` +
        'unset DATABASE_URL and drop --database-url to use the embedded server',
    );
  }
}

function printInfo(kind: string, url: string, psql: string[], extra: string[] = []): void {
  const lines = [`database: ${kind}`, `url:      ${maskUrl(url)}`, ...extra, 'psql:', ...psql.map((line) => `  ${line}`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}
