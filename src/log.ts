import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { destination as pinoDestination, pino, type Logger } from 'pino';
import { logDir } from './paths.ts';

let fileLogger: Logger | undefined;

/**
 * Returns the process-wide logger. It writes JSON lines to `.sweep/logs/sweep.log`,
 * never to the terminal, so it cannot draw over the Ink screen. `SWEEP_LOG_LEVEL`
 * sets the level (default `info`).
 */
export function logger(): Logger {
  if (fileLogger !== undefined) {
    return fileLogger;
  }
  const dir = logDir();
  mkdirSync(dir, { recursive: true });
  const destination = pinoDestination({ dest: join(dir, 'sweep.log'), sync: true, mkdir: true });
  fileLogger = pino(
    {
      level: process.env.SWEEP_LOG_LEVEL ?? 'info',
      // Credentials must never reach the log: these keys are replaced wherever they appear.
      redact: {
        paths: ['password', '*.password', 'secretAccessKey', '*.secretAccessKey', 'sessionToken', '*.sessionToken', 'databaseUrl', '*.databaseUrl'],
        censor: '[redacted]',
      },
    },
    destination,
  );
  return fileLogger;
}

/** The path of the log file, for messages that point the user to it. */
export function logFilePath(): string {
  return join(logDir(), 'sweep.log');
}
