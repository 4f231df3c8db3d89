import { isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.ts';
import { stateDir } from '../paths.ts';
import { assertSafeKey, normalizePrefix } from './artifact-key.ts';

/** Where artifacts go: a bucket and key prefix of an S3-compatible service, or a local folder. */
export type ArtifactLocation =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'local'; root: string };

/** The `artifacts:` value of a sweep file, with its position for error messages. */
export interface ConfiguredLocation {
  value: string;
  /** Where the value came from, for example `sweeps/finetune.yaml:12:12`. */
  where: string;
}

// S3 bucket naming rules: 3 to 63 characters, lower-case letters, digits, dots and hyphens,
// starting and ending with a letter or digit.
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `s3://bucket/prefix`, `file:///folder` or a folder path (relative
 * paths resolve against `baseDir`). `where` names the source of the value in
 * error messages. Credentials in the text (`s3://key:secret@bucket`) are
 * rejected without repeating the text.
 */
export function parseArtifactLocation(text: string, where: string, baseDir: string = process.cwd()): ArtifactLocation {
  const value = text.trim();
  if (value === '') {
    throw new InputError(`${where}: the artifact location is empty; use s3://bucket/prefix or a folder path`);
  }

  if (value.startsWith('s3://')) {
    return parseS3Location(value, where);
  }
  if (value.startsWith('file://')) {
    return { kind: 'local', root: fileURLToPath(value) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const scheme = value.slice(0, value.indexOf(':'));
    throw new InputError(`${where}: unsupported artifact location scheme "${scheme}:"; use s3://bucket/prefix or a folder path`);
  }
  return { kind: 'local', root: isAbsolute(value) ? resolve(value) : resolve(baseDir, value) };
}

function parseS3Location(value: string, where: string): ArtifactLocation {
  const rest = value.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1);

  if (bucket.includes('@') || bucket.includes(':')) {
    // The text may carry a secret key, so the message does not repeat it.
    throw new InputError(
      `${where}: the S3 location must not contain credentials or a port; write s3://bucket/prefix and give credentials through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile, and the server through SWEEP_S3_ENDPOINT`,
    );
  }
  if (!bucketName.test(bucket)) {
    throw new InputError(
      `${where}: invalid S3 bucket name ${JSON.stringify(bucket)} in ${JSON.stringify(value)}: use 3 to 63 lower-case letters, digits, dots or hyphens`,
    );
  }
  return { kind: 's3', bucket, prefix: normalizePrefix(prefix, where) };
}

/** Formats a location without credentials: `s3://bucket/prefix` or the folder's absolute path. */
export function formatArtifactLocation(location: ArtifactLocation): string {
  if (location.kind === 'local') {
    return location.root;
  }
  return location.prefix === '' ? `s3://${location.bucket}` : `s3://${location.bucket}/${location.prefix}`;
}

/** The default location: `artifacts/` in the project's state folder (`.sweep/`, or `$SWEEP_HOME`). */
export function defaultArtifactLocation(env: NodeJS.ProcessEnv = process.env): ArtifactLocation {
  return { kind: 'local', root: join(stateDir(env), 'artifacts') };
}

/**
 * Chooses the artifact location: the sweep file's `artifacts:` value when
 * there is one, then `SWEEP_ARTIFACTS`, then the local default folder.
 * Relative folder paths in a sweep file resolve against `baseDir`.
 */
export function resolveArtifactLocation(
  configured: ConfiguredLocation | undefined,
  env: NodeJS.ProcessEnv = process.env,
  baseDir: string = process.cwd(),
): ArtifactLocation {
  if (configured !== undefined) {
    return parseArtifactLocation(configured.value, configured.where, baseDir);
  }
  const fromEnv = env.SWEEP_ARTIFACTS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return parseArtifactLocation(fromEnv, 'SWEEP_ARTIFACTS', baseDir);
  }
  return defaultArtifactLocation(env);
}

/**
 * Splits a recorded URI into the store that holds it and the object's key.
 * `s3://bucket/key` opens the bucket with no prefix; `file:///path` opens the
 * file system root, so the key is the absolute path without its leading `/`.
 */
export function parseArtifactUri(uri: string): { location: ArtifactLocation; key: string } {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw new InputError(`invalid artifact URI ${JSON.stringify(uri)}: expected s3://bucket/key`);
    }
    const key = rest.slice(slash + 1);
    assertSafeKey(key);
    return { location: { kind: 's3', bucket: rest.slice(0, slash), prefix: '' }, key };
  }
  if (uri.startsWith('file://')) {
    const path = fileURLToPath(uri);
    const root = resolve(sep);
    const key = path.slice(root.length).split(sep).join('/');
    assertSafeKey(key);
    return { location: { kind: 'local', root }, key };
  }
  throw new InputError(`invalid artifact URI ${JSON.stringify(uri)}: expected s3://bucket/key or file:///path`);
}
