import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createKysely } from '../../src/storage/database.ts';
import {
  embeddedServerPaths,
  postgresBinaries,
  startPinnedEmbeddedServer,
  stopEmbeddedServer,
} from '../../src/storage/embedded-server.ts';
import { migrateToLatest } from '../../src/storage/migrations.ts';
import type { Database } from '../../src/storage/schema.ts';

/** A database of its own for one test. */
export interface TestDatabase {
  /** Connection string of this database, with the password. */
  url: string;
  db: Kysely<Database>;
  /** Closes the pool; the database itself goes away with the server. */
  close(): Promise<void>;
}

/** Options of {@link TestPostgres.freshDatabase}. */
export interface FreshDatabaseOptions {
  /** Create the database with every migration applied (default) or empty. */
  migrated?: boolean;
  /** Maximum connections of the pool. Default 5. */
  poolSize?: number;
}

/** An embedded PostgreSQL server in a temporary state folder, for one test file. */
export interface TestPostgres {
  /** The temporary state folder; its `postgres/` folder contains the server's files. */
  stateDir: string;
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  /** Creates a new database, migrated unless `migrated: false`, and connects to it. */
  freshDatabase(options?: FreshDatabaseOptions): Promise<TestDatabase>;
  /** Stops the server and deletes the state folder. */
  stop(): Promise<void>;
}

const templateName = 'sweep_migrated_template';

/**
 * Starts an embedded PostgreSQL server in a new temporary folder. Migrations
 * are applied once to a template database, so each migrated fresh database is
 * a cheap `CREATE DATABASE … TEMPLATE` copy.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const stateDir = await mkdtemp(join(tmpdir(), 'sweep-pg-test-'));
  // mkdtemp makes the folder 0700; as root the server runs as `postgres`, which must enter it.
  await chmod(stateDir, 0o755);
  const url = await startPinnedEmbeddedServer(stateDir);
  const adminUrl = withDatabase(url, 'postgres');
  const stopOnExit = () => stopSynchronously(stateDir);
  process.once('exit', stopOnExit);

  await createDatabase(adminUrl, templateName);
  const template = createKysely(withDatabase(url, templateName), 2);
  try {
    await migrateToLatest(template);
  } finally {
    await template.destroy();
  }

  let count = 0;
  let stopped = false;
  const pools: Kysely<Database>[] = [];
  return {
    stateDir,
    adminUrl,
    freshDatabase: async (options = {}) => {
      count += 1;
      const name = `test_${process.pid}_${count}`;
      await createDatabase(adminUrl, name, options.migrated === false ? undefined : templateName);
      const databaseUrl = withDatabase(url, name);
      const db = createKysely(databaseUrl, options.poolSize ?? 5);
      pools.push(db);
      return { url: databaseUrl, db, close: () => db.destroy() };
    },
    stop: async () => {
      if (stopped) {
        return;
      }
      stopped = true;
      process.removeListener('exit', stopOnExit);
      await Promise.allSettled(pools.map((db) => db.destroy()));
      await stopEmbeddedServer(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts one server for the calling test file (in `before`) and stops it in
 * `after`. Call at the top level of the file; use the returned object's
 * `freshDatabase()` inside tests.
 */
export function usePostgres(): Pick<TestPostgres, 'freshDatabase'> & { readonly server: TestPostgres } {
  let server: TestPostgres | undefined;
  before(async () => {
    server = await startTestPostgres();
  });
  after(async () => {
    await server?.stop();
  });
  const current = (): TestPostgres => {
    if (server === undefined) {
      throw new Error('usePostgres(): the server starts in before(); use it inside a test');
    }
    return server;
  };
  return {
    get server() {
      return current();
    },
    freshDatabase: (options) => current().freshDatabase(options),
  };
}

/** Returns `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const from = template === undefined ? '' : ` TEMPLATE ${client.escapeIdentifier(template)}`;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`);
  } finally {
    await client.end();
  }
}

/**
 * Last resort when a test file exits without its `after` hook (a crash): stop
 * the server immediately so no PostgreSQL process outlives the test run. It
 * runs pg_ctl as the data directory's owner, which is `postgres` under root.
 */
function stopSynchronously(stateDir: string): void {
  const { dataDir } = embeddedServerPaths(stateDir);
  try {
    const owner = statSync(dataDir);
    const asOwner = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {};
    spawnSync(postgresBinaries().pgCtl, ['stop', '--pgdata', dataDir, '--mode=immediate', '--wait'], { stdio: 'ignore', ...asOwner });
  } catch {
    // Nothing more can be done while the process exits.
  }
  rmSync(stateDir, { recursive: true, force: true });
}
