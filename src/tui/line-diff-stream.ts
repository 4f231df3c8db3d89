/**
 * Wraps the terminal stream that Ink writes to so that a new frame rewrites
 * only the lines that changed. Ink's standard renderer erases every line of
 * the previous frame and writes the whole frame again; Ink 6.8's incremental
 * mode misplaces lines when a frame ends in a newline. This wrapper reads each
 * frame Ink writes, drops Ink's erase sequence, and moves the cursor to each
 * changed line (absolute positions), so unchanged rows are never touched.
 *
 * Contract: the frame starts at the top-left cell (the screen switches to the
 * alternate screen and homes the cursor first) and Ink places no cursor of
 * its own (no `useCursor`). Writes that are not frames (mode switches,
 * synchronized-update markers) pass through unchanged.
 */

// Ink's eraseLines(n): n times "erase line" with "cursor up" between, then "cursor to column 1".
const erasePrefix = /^(?:\u001b\[2K|\u001b\[1A|\u001b\[G)+/;
const privateMode = '\u001b[?';

type WriteCallback = (error?: Error | null) => void;

export interface LineDiffStream {
  /** The stream to hand to Ink. */
  stream: NodeJS.WriteStream;
  /** Stops listening for resize events on the target. */
  dispose: () => void;
}

/** Creates a stream that forwards to `target`, writing frames as line differences. */
export function createLineDiffStream(target: NodeJS.WriteStream): LineDiffStream {
  let previous: string[] | null = null;
  const onResize = (): void => {
    // The terminal may have reflowed what it showed; repaint everything.
    previous = null;
  };
  target.on('resize', onResize);

  const write = (chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean => {
    const done = typeof encoding === 'function' ? encoding : callback;
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const erased = erasePrefix.exec(text)?.[0] ?? '';
    const rest = text.slice(erased.length);

    if (rest.startsWith(privateMode) || (erased === '' && rest === '')) {
      return target.write(text, done);
    }
    if (rest === '') {
      // Ink cleared its output (the terminal got narrower): clear the screen too.
      previous = [];
      return target.write('\u001b[H\u001b[2J', done);
    }

    const lines = (rest.endsWith('\n') ? rest.slice(0, -1) : rest).split('\n');
    let output = previous === null ? '\u001b[H\u001b[2J' : '';
    const before = previous ?? [];
    const count = Math.max(lines.length, before.length);
    for (let index = 0; index < count; index += 1) {
      const line = lines[index] ?? '';
      if (previous !== null && line === before[index]) {
        continue;
      }
      output += `\u001b[${index + 1};1H${line}\u001b[0m\u001b[K`;
    }
    previous = lines;
    if (output === '') {
      done?.();
      return true;
    }
    return target.write(output, done);
  };

  const stream = new Proxy(target, {
    get(original, property) {
      if (property === 'write') {
        return write;
      }
      const value: unknown = Reflect.get(original, property, original);
      return typeof value === 'function' ? value.bind(original) : value;
    },
  });
  return { stream, dispose: () => target.off('resize', onResize) };
}
