import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { InputError } from '../errors.ts';

/** Static credentials; without them the AWS SDK's default chain is used (environment, profile files, SSO, container and instance roles). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Connection settings of the S3 store; each falls back to an environment variable. */
export interface S3ConnectionOptions {
  /** Endpoint of an S3-compatible server; default `SWEEP_S3_ENDPOINT`, then `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`. */
  endpoint?: string;
  /** Region; default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the AWS profile, then `us-east-1` when an endpoint is set. */
  region?: string;
  credentials?: S3Credentials;
  /** Path-style addressing (`http://host/bucket/key`); default true when an endpoint is set, as MinIO and similar servers need. */
  forcePathStyle?: boolean;
  /** Milliseconds to wait for a TCP connection, default 5000. */
  connectionTimeoutMs?: number;
  /** Milliseconds a request may stay idle on its socket, default 60000. */
  requestTimeoutMs?: number;
}

/** The resolved client settings, plus the strings that must never appear in a message. */
export interface ResolvedS3Config {
  clientConfig: S3ClientConfig;
  /** Endpoint origin for messages (`http://127.0.0.1:9000`), or `AWS S3` without an override. */
  endpointLabel: string;
  /** Secret values known up front, to redact from error messages. */
  secrets: string[];
}

function firstSet(...values: (string | undefined)[]): { value: string; index: number } | undefined {
  for (const [index, value] of values.entries()) {
    if (value !== undefined && value.trim() !== '') {
      return { value: value.trim(), index };
    }
  }
  return undefined;
}

const endpointSources = ['options.endpoint', 'SWEEP_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'];

function parseEndpoint(text: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`${source}: invalid S3 endpoint ${JSON.stringify(text)}; expected a URL such as http://127.0.0.1:9000`);
  }
  if (url.username !== '' || url.password !== '') {
    // The value carries credentials, so the message does not repeat it.
    throw new InputError(
      `${source}: the S3 endpoint must not contain credentials; give them through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${source}: the S3 endpoint ${JSON.stringify(text)} must start with http:// or https://`);
  }
  return url;
}

function parseBoolean(text: string, source: string): boolean {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === '1') {
    return true;
  }
  if (lower === 'false' || lower === '0') {
    return false;
  }
  throw new InputError(`${source}: expected true or false, got ${JSON.stringify(text)}`);
}

function checkTimeout(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
    throw new TypeError(`options.${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
}

/** Resolves the S3 client settings from options and environment variables. */
export function resolveS3Config(options: S3ConnectionOptions, env: NodeJS.ProcessEnv): ResolvedS3Config {
  checkTimeout(options.connectionTimeoutMs, 'connectionTimeoutMs');
  checkTimeout(options.requestTimeoutMs, 'requestTimeoutMs');

  const endpointSetting = firstSet(options.endpoint, env.SWEEP_S3_ENDPOINT, env.AWS_ENDPOINT_URL_S3, env.AWS_ENDPOINT_URL);
  const endpoint = endpointSetting === undefined ? undefined : parseEndpoint(endpointSetting.value, endpointSources[endpointSetting.index]);

  const pathStyleText = env.SWEEP_S3_FORCE_PATH_STYLE;
  const forcePathStyle =
    options.forcePathStyle ??
    (pathStyleText !== undefined && pathStyleText !== '' ? parseBoolean(pathStyleText, 'SWEEP_S3_FORCE_PATH_STYLE') : endpoint !== undefined);

  // The SDK reads AWS_REGION and the profile itself but not AWS_DEFAULT_REGION, which the AWS CLI also honours.
  const region = firstSet(options.region, env.AWS_REGION, env.AWS_DEFAULT_REGION)?.value ?? (endpoint !== undefined ? 'us-east-1' : undefined);

  const clientConfig: S3ClientConfig = {
    forcePathStyle,
    // Retries are done by withRetry around whole operations, so each try and its delay are logged.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
    },
  };
  if (endpoint !== undefined) {
    clientConfig.endpoint = endpoint.href;
  }
  if (region !== undefined) {
    clientConfig.region = region;
  }
  if (options.credentials !== undefined) {
    clientConfig.credentials = { ...options.credentials };
  }

  const secrets = [options.credentials?.secretAccessKey, options.credentials?.sessionToken, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter(
    (value): value is string => value !== undefined && value !== '',
  );
  return { clientConfig, endpointLabel: endpoint === undefined ? 'AWS S3' : endpoint.origin, secrets };
}
