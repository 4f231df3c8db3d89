import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { EnvironmentError, InputError } from '../errors.ts';
import { logger } from '../log.ts';
import { stateDir as defaultStateDir } from '../paths.ts';
import { acquireEmbeddedServer, type EmbeddedServerLease } from './embedded-server.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** A `postgres://` URL of an existing server. Default: `DATABASE_URL`, else the embedded server. */
  databaseUrl?: string;
  /** State folder of the embedded server. Default: `stateDir()` (`.sweep` or `$SWEEP_HOME`). */
  stateDir?: string;
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
  /** Maximum connections in the pool. Default 10. */
  poolSize?: number;
}

/** An open connection pool to the results database. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  /** Connection string, with the password; show it through {@link maskUrl}. */
  url: string;
  /** True when the connection goes to sweep's embedded server. */
  embedded: boolean;
  /** Closes the pool and, for the embedded server, releases it (the last user stops it). */
  close(): Promise<void>;
}

/**
 * Connects to the results database and applies pending migrations. Without a
 * URL (option or `DATABASE_URL`) it starts or reuses the embedded PostgreSQL
 * server of the state folder.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const explicitUrl = options.databaseUrl ?? nonEmpty(process.env.DATABASE_URL);
  let lease: EmbeddedServerLease | undefined;
  let url: string;
  if (explicitUrl !== undefined) {
    url = checkDatabaseUrl(explicitUrl);
  } else {
    lease = await acquireEmbeddedServer(options.stateDir ?? defaultStateDir());
    url = lease.url;
  }

  const db = createKysely(url, options.poolSize);
  try {
    await checkConnection(db, url);
    if (options.migrate !== false) {
      await migrateToLatest(db);
    }
  } catch (error) {
    await db.destroy();
    await lease?.release();
    throw error;
  }

  let closed = false;
  return {
    db,
    url,
    embedded: lease !== undefined,
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      await db.destroy();
      await lease?.release();
    },
  };
}

/** Creates a Kysely instance over a pg pool for `url`, without connecting yet. */
export function createKysely(url: string, poolSize = 10): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection that the server closes (for example `sweep db stop`)
  // emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', (error) => {
    logger().warn({ err: error, url: maskUrl(url) }, 'idle PostgreSQL connection failed');
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Replaces the password of a connection string with `****`. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') {
      parsed.password = '****';
    }
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:/@]*):[^@]*@/, '://$1:****@');
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function checkDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(
      `invalid database URL ${maskUrl(url)}: expected postgres://user:password@host:port/database (from --database-url or DATABASE_URL)`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new InputError(
      `invalid database URL ${maskUrl(url)}: the scheme must be postgres:// or postgresql://, got ${parsed.protocol}//`,
    );
  }
  return url;
}

async function checkConnection(db: Kysely<Database>, url: string): Promise<void> {
  try {
    await sql`SELECT 1`.execute(db);
  } catch (error) {
    throw new EnvironmentError(
      `cannot connect to PostgreSQL at ${maskUrl(url)}: ${(error as Error).message}; ` +
        'check that the server runs and the URL is right, or unset DATABASE_URL to use the embedded server',
      { cause: error },
    );
  }
}
