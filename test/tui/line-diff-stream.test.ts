import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createLineDiffStream } from '../../src/tui/line-diff-stream.ts';

/** A terminal stand-in that records what is written to it. */
function recordingTerminal(): NodeJS.WriteStream & { written: string[] } {
  const terminal = new EventEmitter() as NodeJS.WriteStream & { written: string[] };
  terminal.written = [];
  terminal.columns = 40;
  terminal.rows = 10;
  terminal.write = ((chunk: string) => {
    terminal.written.push(chunk);
    return true;
  }) as NodeJS.WriteStream['write'];
  return terminal;
}

// What Ink writes for a frame after one of `count` lines: eraseLines(count), then the frame.
function eraseLines(count: number): string {
  return `${'\u001b[2K\u001b[1A'.repeat(count - 1)}\u001b[2K\u001b[G`;
}

test('first frame paints every line', () => {
  const terminal = recordingTerminal();
  const { stream } = createLineDiffStream(terminal);

  stream.write('header\nrow 1\nrow 2\n');

  assert.equal(terminal.written.length, 1);
  assert.equal(terminal.written[0], '\u001b[H\u001b[2J\u001b[1;1Hheader\u001b[0m\u001b[K\u001b[2;1Hrow 1\u001b[0m\u001b[K\u001b[3;1Hrow 2\u001b[0m\u001b[K');
});

test('next frame rewrites only changed lines', () => {
  const terminal = recordingTerminal();
  const { stream } = createLineDiffStream(terminal);
  stream.write('header\nrow 1\nrow 2\n');

  stream.write(`${eraseLines(4)}header\nrow 1 changed\nrow 2\n`);

  assert.equal(terminal.written[1], '\u001b[2;1Hrow 1 changed\u001b[0m\u001b[K');
});

test('shorter frame clears the lines below', () => {
  const terminal = recordingTerminal();
  const { stream } = createLineDiffStream(terminal);
  stream.write('a\nb\nc\n');

  stream.write(`${eraseLines(4)}a\n`);

  assert.equal(terminal.written[1], '\u001b[2;1H\u001b[0m\u001b[K\u001b[3;1H\u001b[0m\u001b[K');
});

test('unchanged frame writes nothing', () => {
  const terminal = recordingTerminal();
  const { stream } = createLineDiffStream(terminal);
  stream.write('a\nb\n');

  stream.write(`${eraseLines(3)}a\nb\n`);

  assert.equal(terminal.written.length, 1);
});

test('mode switches pass through', () => {
  const terminal = recordingTerminal();
  const { stream } = createLineDiffStream(terminal);

  stream.write('\u001b[?2026h');
  stream.write('\u001b[?25l');

  assert.deepEqual(terminal.written, ['\u001b[?2026h', '\u001b[?25l']);
});

test('resize repaints the whole frame', () => {
  const terminal = recordingTerminal();
  const { stream, dispose } = createLineDiffStream(terminal);
  stream.write('a\nb\n');

  terminal.emit('resize');
  stream.write(`${eraseLines(3)}a\nb\n`);
  dispose();

  assert.equal(terminal.written[1], '\u001b[H\u001b[2J\u001b[1;1Ha\u001b[0m\u001b[K\u001b[2;1Hb\u001b[0m\u001b[K');
});

test('other properties come from the terminal', () => {
  const terminal = recordingTerminal();
  const { stream } = createLineDiffStream(terminal);

  assert.equal(stream.columns, 40);
  assert.equal(stream.rows, 10);
});
