/**
 * Error classes shared by every part of sweep. Only the CLI entry point catches
 * them at the top; it maps each class to an exit code.
 */

/** Exit codes of the `sweep` command. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badInput: 2,
  interrupted: 130,
} as const;

/** Base class for errors that sweep expects and explains to the user. */
export class SweepError extends Error {
  readonly exitCode: number = ExitCode.failure;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid input from the user: a flag, a sweep file, a query. Exit code 2. */
export class InputError extends SweepError {
  override readonly exitCode: number = ExitCode.badInput;
}

/** One problem found in a file, with its 1-based position. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending field, for example `parameters.lr[1]`. */
  path: string;
  message: string;
}

/** Formats a problem as `file:line:col: path: message`. */
export function formatProblem(problem: Problem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  const path = problem.path === '' ? '' : `${problem.path}: `;
  return `${where}: ${path}${problem.message}`;
}

/** Every problem found while validating one file, reported together. */
export class ValidationError extends InputError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${count} found:\n${problems.map(formatProblem).join('\n')}`);
    this.problems = problems;
  }
}

/** A resource that sweep needs (a file, a server, a backend) is missing or unreachable. */
export class EnvironmentError extends SweepError {}

/** The user interrupted the command (Ctrl+C). */
export class InterruptedError extends SweepError {
  override readonly exitCode: number = ExitCode.interrupted;
}
