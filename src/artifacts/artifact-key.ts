import { createHash } from 'node:crypto';
import { InputError } from '../errors.ts';

/**
 * Object keys of artifacts. A key is `<prefix>/<sweep>/trial-0007/<name>` for a
 * trial's files and `<prefix>/<sweep>/sweep/<name>` for the sweep's own files.
 * Sweep and file names are percent-encoded segment by segment, so no name can
 * add a `..` segment, a leading `/` or a backslash that would leave the prefix.
 */

/** Position of one artifact: its sweep, its trial (null for sweep-level files) and its file name. */
export interface ArtifactAddress {
  sweep: string;
  /** 1-based trial number; null for files of the sweep as a whole (its report). */
  trial: number | null;
  /** File name, relative to the trial's folder; `/` separates subfolders (`model/model.json`). */
  name: string;
}

/** Longest encoded segment kept as it is; longer ones are shortened and end in a hash (file systems allow 255 bytes). */
const maxSegmentLength = 200;

/** Characters kept as they are in a key segment; everything else is percent-encoded as UTF-8. */
const plainCharacter = /[A-Za-z0-9_.-]/;

/**
 * Encodes one name segment for use in a key. The result uses only
 * `[A-Za-z0-9_.%~-]`, never starts with a dot, and two different names (after
 * Unicode NFC normalization) give different segments unless they are longer
 * than 200 characters once encoded, where a sha256 suffix keeps them apart.
 */
export function encodeKeySegment(segment: string): string {
  if (segment === '') {
    throw new InputError('artifact name segment is empty; names must not contain empty path segments (`//`, a leading or trailing `/`)');
  }
  const normalized = segment.normalize('NFC');

  let encoded = '';
  for (const [index, character] of [...normalized].entries()) {
    // A leading dot is encoded too: no segment is then `.` or `..`, and none starts with the dot
    // that marks a local store's temporary files.
    if (plainCharacter.test(character) && !(index === 0 && character === '.')) {
      encoded += character;
      continue;
    }
    for (const byte of Buffer.from(character, 'utf8')) {
      encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }

  if (encoded.length <= maxSegmentLength) {
    return encoded;
  }
  const digest = createHash('sha256').update(normalized).digest('hex').slice(0, 16);
  // Cut before a `%XX` escape, never inside one, so the kept part still decodes.
  let cut = maxSegmentLength - digest.length - 1;
  const escapeStart = encoded.lastIndexOf('%', cut);
  if (escapeStart > cut - 3) {
    cut = escapeStart;
  }
  return `${encoded.slice(0, cut)}~${digest}`;
}

/** Encodes a file name that may contain `/`-separated subfolders; backslashes are encoded, not treated as separators. */
export function encodeArtifactName(name: string): string {
  if (name === '') {
    throw new InputError('artifact name is empty; give a file name such as `model.json`');
  }
  return name.split('/').map(encodeKeySegment).join('/');
}

/** Formats the trial folder's segment, `trial-0007`. Numbers above 9999 keep all their digits. */
export function trialSegment(trial: number): string {
  if (!Number.isSafeInteger(trial) || trial < 1) {
    throw new InputError(`trial number must be a positive integer, got ${String(trial)}`);
  }
  return `trial-${String(trial).padStart(4, '0')}`;
}

/** The folder of sweep-level files, beside the trial folders. */
export const sweepSegment = 'sweep';

/**
 * Checks a configured prefix (from `s3://bucket/prefix`) and returns it without
 * leading or trailing slashes. The prefix is the user's own, so it is checked
 * rather than encoded: empty, `.` and `..` segments and backslashes are rejected.
 */
export function normalizePrefix(prefix: string, where: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') {
    return '';
  }
  for (const segment of trimmed.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0')) {
      throw new InputError(
        `${where}: invalid artifact prefix ${JSON.stringify(prefix)}: segments must not be empty, \`.\` or \`..\`, or contain a backslash`,
      );
    }
  }
  return trimmed;
}

/** Builds the key of an artifact under a normalized prefix. */
export function artifactKey(prefix: string, address: ArtifactAddress): string {
  const folder = address.trial === null ? sweepSegment : trialSegment(address.trial);
  const parts = [encodeKeySegment(address.sweep), folder, encodeArtifactName(address.name)];
  if (prefix !== '') {
    parts.unshift(prefix);
  }
  return parts.join('/');
}

/**
 * Checks that a key cannot leave its store's root: not empty, no leading `/`,
 * no empty, `.` or `..` segment, no backslash or NUL. Stores call it on every
 * key they are given, including keys read back from the database.
 */
export function assertSafeKey(key: string): void {
  const problem = findKeyProblem(key);
  if (problem !== undefined) {
    throw new InputError(`invalid artifact key ${JSON.stringify(key)}: ${problem}`);
  }
}

function findKeyProblem(key: string): string | undefined {
  if (key === '') {
    return 'it is empty';
  }
  if (key.startsWith('/')) {
    return 'it starts with `/`';
  }
  if (key.includes('\\') || key.includes('\0')) {
    return 'it contains a backslash or NUL';
  }
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'it has an empty, `.` or `..` segment';
  }
  return undefined;
}

/** Orders keys by UTF-16 code unit, which equals S3's byte order for the ASCII keys built here. */
export function compareKeys(a: { key: string }, b: { key: string }): number {
  if (a.key === b.key) {
    return 0;
  }
  return a.key < b.key ? -1 : 1;
}
