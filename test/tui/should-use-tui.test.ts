import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shouldUseTui } from '../../src/tui/run-tui.tsx';

const tty = { isTTY: true };

test('screen needs a terminal on both ends', () => {
  assert.equal(shouldUseTui({ stdout: tty, stdin: tty, env: { TERM: 'xterm' } }), true);
  assert.equal(shouldUseTui({ stdout: {}, stdin: tty, env: { TERM: 'xterm' } }), false);
  assert.equal(shouldUseTui({ stdout: tty, stdin: {}, env: { TERM: 'xterm' } }), false);
});

test('screen off with --no-tui or a dumb terminal', () => {
  assert.equal(shouldUseTui({ noTui: true, stdout: tty, stdin: tty, env: {} }), false);
  assert.equal(shouldUseTui({ stdout: tty, stdin: tty, env: { TERM: 'dumb' } }), false);
});

test('screen off where Ink detects CI', () => {
  assert.equal(shouldUseTui({ stdout: tty, stdin: tty, env: { CI: 'true' } }), false);
  assert.equal(shouldUseTui({ stdout: tty, stdin: tty, env: { CI: '' } }), false);
  assert.equal(shouldUseTui({ stdout: tty, stdin: tty, env: { CONTINUOUS_INTEGRATION: '1' } }), false);
  assert.equal(shouldUseTui({ stdout: tty, stdin: tty, env: { CI: 'false' } }), true);
  assert.equal(shouldUseTui({ stdout: tty, stdin: tty, env: { CI: '0' } }), true);
});
