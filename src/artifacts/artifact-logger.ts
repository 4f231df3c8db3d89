import type { Logger } from 'pino';

/** The part of a pino logger that the artifact code uses; tests pass their own pino instance. */
export type ArtifactLogger = Pick<Logger, 'info' | 'warn'>;
