import { EnvironmentError, SweepError } from '../errors.ts';

/** Cause underneath a store error, reduced to fields that cannot carry a credential. */
export interface ErrorSummary {
  /** Error class or S3 error code, for example `NoSuchBucket` or `ECONNREFUSED`. */
  code: string;
  /** HTTP status of the response, when there was one. */
  status?: number;
  /** The underlying message with every known secret replaced by `[redacted]`. */
  message: string;
}

/**
 * A store operation failed. The message names the operation and the URI and
 * ends with what to do next; it never contains a credential, and neither does
 * `summary`. The underlying SDK error is not kept as `cause`, because SDK
 * errors can carry request details that a logger would serialize.
 */
export class ArtifactStoreError extends EnvironmentError {
  /** True when trying again later may succeed: the store was unreachable, timed out or returned 5xx. */
  readonly transient: boolean;
  readonly summary: ErrorSummary;

  constructor(message: string, summary: ErrorSummary, transient: boolean) {
    super(message);
    this.summary = summary;
    this.transient = transient;
  }
}

/** The content read from a store does not match the recorded sha256. */
export class ChecksumMismatchError extends SweepError {
  readonly uri: string;
  readonly expected: string;
  readonly actual: string;

  constructor(uri: string, expected: string, actual: string) {
    super(
      `sha256 mismatch for ${uri}: expected ${expected}, got ${actual}. ` +
        'The stored object was changed or damaged after it was recorded; nothing was written.',
    );
    this.uri = uri;
    this.expected = expected;
    this.actual = actual;
  }
}

// Node's network error codes for a server that is down, unreachable or slow.
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

// S3 error codes that mean "try again later" (throttling and timeouts), from the AWS SDK's retry classification.
const transientS3Codes = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'InternalError',
  'ServiceUnavailable',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

function asErrorLike(error: unknown): ErrorLike {
  return typeof error === 'object' && error !== null ? (error as ErrorLike) : {};
}

function networkCode(error: unknown): string | undefined {
  const like = asErrorLike(error);
  if (typeof like.code === 'string' && networkErrorCodes.has(like.code)) {
    return like.code;
  }
  // Node 20 reports a failed connection to every address of a host as an AggregateError.
  if (Array.isArray(like.errors)) {
    for (const inner of like.errors) {
      const code = networkCode(inner);
      if (code !== undefined) {
        return code;
      }
    }
  }
  return undefined;
}

/** The HTTP status of an AWS SDK error, when the server responded. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = asErrorLike(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Tells whether an error from a store call may go away on its own: a network
 * failure, a timeout, throttling, or an HTTP 5xx or 429 response.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof ArtifactStoreError) {
    return error.transient;
  }
  if (networkCode(error) !== undefined) {
    return true;
  }
  const like = asErrorLike(error);
  if (like.$retryable !== undefined && like.$retryable !== null) {
    return true;
  }
  if (typeof like.name === 'string' && transientS3Codes.has(like.name)) {
    return true;
  }
  const status = httpStatusOf(error);
  return status !== undefined && (status >= 500 || status === 429);
}

/** Replaces every secret (at least 4 characters long) in a text with `[redacted]`. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) {
      result = result.split(secret).join('[redacted]');
    }
  }
  return result;
}

/** Reduces an error to its code, HTTP status and redacted message. */
export function summarizeError(error: unknown, secrets: Iterable<string | undefined>): ErrorSummary {
  const like = asErrorLike(error);
  const code =
    networkCode(error) ?? (typeof like.name === 'string' && like.name !== 'Error' ? like.name : undefined) ?? (typeof like.code === 'string' ? like.code : 'Error');
  const rawMessage = typeof like.message === 'string' && like.message !== '' ? like.message : String(error);
  const status = httpStatusOf(error);
  const summary: ErrorSummary = { code, message: redactSecrets(rawMessage, secrets) };
  if (status !== undefined) {
    summary.status = status;
  }
  return summary;
}
