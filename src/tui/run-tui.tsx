import { render } from 'ink';
import type { Kysely } from 'kysely';
import { format } from 'node:util';
import { logger } from '../log.ts';
import type { Database } from '../storage/schema.ts';
import type { TuiExitAction } from './app.tsx';
import { createLineDiffStream } from './line-diff-stream.ts';
import { LiveApp } from './live-app.tsx';
import { loadSweepInfo } from './load-snapshot.ts';
import { colorEnabled, formatBestLine, formatSummaryLine } from './plain-reporter.ts';
import type { SweepSnapshot } from './snapshot.ts';

export interface RunTuiOptions {
  db: Kysely<Database>;
  /** Connection string for LISTEN/NOTIFY; absent, the screen polls. */
  url?: string;
  sweepName: string;
  /** With `start`, `q` offers to stop the sweep or keep it running. With `watch`, `q` closes the screen at once. */
  mode: 'start' | 'watch';
  /** Called once when the screen closes, with how the user left it. */
  onQuit?: (action: TuiExitAction) => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Default: on unless NO_COLOR is set. */
  color?: boolean;
  /** Milliseconds between reloads while notifications are unavailable. Default 2000. */
  pollMs?: number;
}

export interface TuiSession {
  /** Settles when the screen has closed and the terminal is restored. */
  exited: Promise<TuiExitAction>;
  /** Closes the screen from the caller's side (the sweep ended, say); resolves `exited` with `action`. */
  close: (action?: TuiExitAction) => void;
}

/** Returns whether to draw the screen: both streams are terminals, TERM is not `dumb`, and `--no-tui` was not given. */
export function shouldUseTui(options: { noTui?: boolean; stdout?: { isTTY?: boolean }; stdin?: { isTTY?: boolean }; env?: NodeJS.ProcessEnv }): boolean {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  return options.noTui !== true && stdout.isTTY === true && stdin.isTTY === true && env.TERM !== 'dumb' && !inContinuousIntegration(env);
}

/**
 * Mirrors Ink's own CI check (the is-in-ci package): with CI or
 * CONTINUOUS_INTEGRATION set, Ink draws only the last frame, so a live screen
 * would stay blank and plain lines serve better.
 */
function inContinuousIntegration(env: NodeJS.ProcessEnv): boolean {
  const isSet = (name: string): boolean => name in env && env[name] !== '0' && env[name] !== 'false';
  return isSet('CI') || isSet('CONTINUOUS_INTEGRATION');
}

// The alternate screen keeps the shell's scrollback untouched while the
// leaderboard is up; leaving it brings the earlier terminal content back.
const enterAlternateScreen = '\u001b[?1049h\u001b[H';
const leaveAlternateScreen = '\u001b[?1049l';
const showCursor = '\u001b[?25h';

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;

/** Sends console output to the log file while the screen is up, so nothing draws over it. */
function redirectConsole(): () => void {
  const saved = consoleMethods.map((name) => [name, console[name]] as const);
  const log = logger();
  for (const name of consoleMethods) {
    const level = name === 'log' ? 'info' : name;
    console[name] = (...args: unknown[]) => log[level]({ source: 'console' }, format(...args));
  }
  return () => {
    for (const [name, method] of saved) {
      console[name] = method;
    }
  };
}

/** Prints the sweep's counts and best trial where the screen was, so they stay in the scrollback. */
function printSummary(stdout: NodeJS.WriteStream, snapshot: SweepSnapshot | null): void {
  if (snapshot === null) {
    return;
  }
  const best = formatBestLine(snapshot);
  stdout.write(`${formatSummaryLine(snapshot)}\n${best === null ? '' : `${best}\n`}`);
}

/**
 * Mounts the live leaderboard of one sweep on the terminal and returns once it
 * is up. Rejects with InputError, before touching the terminal, when the sweep
 * does not exist. Redraws at most 10 times a second; Ctrl+C, SIGTERM and SIGHUP
 * close the screen with `interrupt` and restore the terminal. After closing,
 * it prints the sweep's counts and best trial as plain lines.
 */
export async function runTui(options: RunTuiOptions): Promise<TuiSession> {
  await loadSweepInfo(options.db, options.sweepName);

  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const color = options.color ?? colorEnabled({ isTTY: true });

  let settle: (action: TuiExitAction) => void = () => undefined;
  const exited = new Promise<TuiExitAction>((resolve) => {
    settle = resolve;
  });

  let closed = false;
  let lastSnapshot: SweepSnapshot | null = null;
  const keepSnapshot = (snapshot: SweepSnapshot): void => {
    lastSnapshot = snapshot;
  };
  const restoreOnExit = (): void => {
    stdout.write(leaveAlternateScreen + showCursor);
  };
  const onSignal = (): void => close('interrupt');
  const restoreConsole = redirectConsole();
  stdout.write(enterAlternateScreen);
  process.on('exit', restoreOnExit);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const lineDiff = createLineDiffStream(stdout);
  const instance = render(
    <LiveApp db={options.db} url={options.url} sweepName={options.sweepName} mode={options.mode} onExit={(action) => close(action)} color={color} pollMs={options.pollMs} onSnapshot={keepSnapshot} />,
    {
      stdout: lineDiff.stream,
      stdin,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 10,
      // Ink 6.8's incremental mode moves the cursor one line too few when the
      // frame ends in a newline (any frame shorter than the terminal), which
      // garbled the screen in tmux. createLineDiffStream rewrites only the
      // changed lines instead, inside Ink's synchronized update.
      incrementalRendering: false,
    },
  );

  function close(action: TuiExitAction = 'detach'): void {
    if (closed) {
      return;
    }
    closed = true;
    instance.unmount();
    void instance.waitUntilExit().finally(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      process.off('exit', restoreOnExit);
      lineDiff.dispose();
      restoreOnExit();
      restoreConsole();
      printSummary(stdout, lastSnapshot);
      logger().info({ sweep: options.sweepName, action }, 'terminal UI closed');
      options.onQuit?.(action);
      settle(action);
    });
  }

  logger().info({ sweep: options.sweepName, mode: options.mode }, 'terminal UI opened');
  return { exited, close };
}
