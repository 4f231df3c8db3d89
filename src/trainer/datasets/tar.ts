import { closeSync, openSync, writeSync } from 'node:fs';

/** One entry of a tar archive, as its header describes it. */
export interface TarEntry {
  /** Path inside the archive, with the ustar prefix or a pax/GNU long name applied. */
  name: string;
  size: number;
  type: 'file' | 'directory' | 'other';
}

const BLOCK = 512;

type State =
  | { kind: 'header' }
  | { kind: 'body'; entry: TarEntry; remaining: number; padding: number; fd?: number; collect?: Buffer[]; meta?: 'pax' | 'longname' };

/**
 * Extracts a tar stream (ustar, with pax and GNU long-name headers) without
 * holding it in memory. `destinationFor` returns the path to write a regular
 * file to, or undefined to skip it. Returns the paths written. Only regular files
 * are written; the caller decides which names are safe.
 */
export async function extractTar(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, destinationFor: (entry: TarEntry) => string | undefined): Promise<string[]> {
  const written: string[] = [];
  let state: State = { kind: 'header' };
  let pending: Buffer = Buffer.alloc(0);
  let consumed = 0;
  let nextName: string | undefined;
  let ended = false;

  try {
    for await (const chunk of source) {
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      let offset = 0;

      while (!ended) {
        if (state.kind === 'header') {
          if (pending.length - offset < BLOCK) {
            break;
          }
          const header = pending.subarray(offset, offset + BLOCK);
          offset += BLOCK;
          if (header.every((byte) => byte === 0)) {
            ended = true;
            break;
          }
          const entry = parseHeader(header, consumed + offset - BLOCK);
          const typeFlag = String.fromCharCode(header[156]);
          const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
          if (typeFlag === 'x' || typeFlag === 'L') {
            state = { kind: 'body', entry, remaining: entry.size, padding, collect: [], meta: typeFlag === 'x' ? 'pax' : 'longname' };
            continue;
          }
          if (nextName !== undefined) {
            entry.name = nextName;
            nextName = undefined;
          }
          const destination = entry.type === 'file' ? destinationFor(entry) : undefined;
          const fd = destination === undefined ? undefined : openSync(destination, 'w');
          if (destination !== undefined) {
            written.push(destination);
          }
          state = { kind: 'body', entry, remaining: entry.size, padding, fd };
          continue;
        }

        const available = pending.length - offset;
        if (state.remaining > 0) {
          const take = Math.min(available, state.remaining);
          const piece = pending.subarray(offset, offset + take);
          if (state.fd !== undefined) {
            writeAll(state.fd, piece);
          }
          state.collect?.push(Buffer.from(piece));
          offset += take;
          state.remaining -= take;
          if (state.remaining > 0) {
            break;
          }
        }
        if (pending.length - offset < state.padding) {
          break;
        }
        offset += state.padding;
        if (state.fd !== undefined) {
          closeSync(state.fd);
        }
        if (state.meta === 'pax') {
          nextName = paxPath(Buffer.concat(state.collect ?? [])) ?? nextName;
        } else if (state.meta === 'longname') {
          nextName = cString(Buffer.concat(state.collect ?? []));
        }
        state = { kind: 'header' };
      }

      consumed += offset;
      pending = pending.subarray(offset);
      if (ended) {
        break;
      }
    }
  } finally {
    if (state.kind === 'body' && state.fd !== undefined) {
      closeSync(state.fd);
    }
  }

  if (state.kind === 'body') {
    throw new Error(`the tar archive ends inside "${state.entry.name}" (${state.remaining} bytes missing); it is truncated`);
  }
  return written;
}

function parseHeader(header: Buffer, position: number): TarEntry {
  const stored = parseOctal(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    // The checksum field itself counts as eight spaces.
    sum += i >= 148 && i < 156 ? 0x20 : header[i];
  }
  if (stored !== sum) {
    throw new Error(`invalid tar header at byte ${position}: checksum ${stored} does not match ${sum}; the file is not a tar archive or is corrupt`);
  }

  let name = cString(header.subarray(0, 100));
  const isUstar = header.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = isUstar ? cString(header.subarray(345, 500)) : '';
  if (prefix !== '') {
    name = `${prefix}/${name}`;
  }
  return { name, size: parseSize(header.subarray(124, 136)), type: entryType(String.fromCharCode(header[156])) };
}

function entryType(flag: string): TarEntry['type'] {
  // '0' and NUL are regular files, '7' a contiguous file (read as a regular one), '5' a directory.
  if (flag === '0' || flag === '\0' || flag === '7') {
    return 'file';
  }
  return flag === '5' ? 'directory' : 'other';
}

function parseSize(field: Buffer): number {
  // GNU tar stores sizes of 8 GiB and more in base 256, marked by the high bit.
  if ((field[0] & 0x80) !== 0) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + field[i];
    }
    return value;
  }
  return parseOctal(field);
}

function parseOctal(field: Buffer): number {
  const text = cString(field).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

/** Reads the `path` record of a pax extended header ("<length> path=<value>\n" records). */
function paxPath(body: Buffer): string | undefined {
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space === -1) {
      break;
    }
    const length = Number.parseInt(body.subarray(offset, space).toString('latin1'), 10);
    if (!Number.isFinite(length) || length <= 0) {
      break;
    }
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    if (record.startsWith('path=')) {
      return record.slice('path='.length);
    }
    offset += length;
  }
  return undefined;
}

function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) {
    written += writeSync(fd, bytes, written, bytes.length - written);
  }
}
