import type { Command } from 'commander';
import pg from 'pg';
import { InputError } from '../../errors.ts';
import { openDatabase } from '../../storage/database.ts';
import { globalOptions } from '../global-options.ts';

/** Output format of query results. */
export type RowFormat = 'table' | 'csv' | 'json';

/** Column names and rows of one result, rows keyed by column name. */
export interface ResultTable {
  columns: string[];
  rows: Record<string, unknown>[];
}

interface SqlOptions {
  write?: boolean;
  csv?: boolean;
  json?: boolean;
}

/** SQLSTATE of "cannot execute … in a read-only transaction". */
const readOnlyViolation = '25006';

/**
 * Registers `sweep sql "QUERY"`: runs SQL against the results database in a
 * read-only transaction (unless --write) and prints the rows.
 */
export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('Run SQL on the results database (read-only unless --write) and print the rows; see the README section "SQL schema"')
    .argument('<query>', 'SQL text; several statements separated by ; print the last result')
    .option('--write', 'allow changes: run in a read-write transaction that is committed')
    .option('--csv', 'print CSV (RFC 4180, header row, NULL as an empty field)')
    .option('--json', 'print a JSON array of row objects (NaN and ±Infinity as strings)')
    .action(async (query: string, options: SqlOptions, command: Command) => {
      const format = chooseFormat(options);
      if (query.trim() === '') {
        throw new InputError('the query is empty; pass SQL text, for example: sweep sql "SELECT * FROM sweep_summary"');
      }
      const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl, poolSize: 1 });
      try {
        const output = await runQuery(handle.url, query, { write: options.write === true });
        process.stdout.write(output.table === undefined ? `${output.status}\n` : formatRows(output.table, format));
      } finally {
        await handle.close();
      }
    });
}

/** Chooses the format from --csv / --json; both at once are rejected. */
export function chooseFormat(options: { csv?: boolean; json?: boolean }): RowFormat {
  if (options.csv === true && options.json === true) {
    throw new InputError('choose one output format: --csv or --json, not both');
  }
  if (options.csv === true) {
    return 'csv';
  }
  return options.json === true ? 'json' : 'table';
}

/** The outcome of {@link runQuery}: the last result's rows, or its command status (`UPDATE 3`). */
export interface QueryOutput {
  table?: ResultTable;
  status: string;
}

/**
 * Runs `query` in one transaction: READ ONLY and rolled back unless `write`.
 * A PostgreSQL error becomes an InputError that shows the query with a caret
 * under the error position.
 */
export async function runQuery(url: string, query: string, options: { write: boolean }): Promise<QueryOutput> {
  // Read-only as the session default too, so a COMMIT inside the query cannot
  // end the read-only transaction and let later statements write.
  const client = new pg.Client({ connectionString: url, ...(options.write ? {} : { options: '-c default_transaction_read_only=on' }) });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(options.write ? 'BEGIN' : 'BEGIN READ ONLY');
    let results: pg.QueryResult | pg.QueryResult[];
    try {
      // No parameters: pg uses the simple query protocol, which accepts several statements.
      results = (await client.query(query)) as pg.QueryResult | pg.QueryResult[];
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw describeQueryError(error, query, options.write);
    }
    await client.query(options.write ? 'COMMIT' : 'ROLLBACK');

    const last = Array.isArray(results) ? results[results.length - 1] : results;
    const status = last.command === null ? '' : `${last.command}${last.rowCount === null ? '' : ` ${last.rowCount}`}`;
    if (last.fields.length === 0) {
      return { status };
    }
    return { table: { columns: last.fields.map((field) => field.name), rows: last.rows }, status };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Turns a PostgreSQL error into an InputError in psql's style: message, LINE n with a caret, detail and hint. */
export function describeQueryError(error: unknown, query: string, write: boolean): Error {
  if (!(error instanceof pg.DatabaseError)) {
    return error as Error;
  }
  const lines = [`ERROR: ${error.message} (SQLSTATE ${error.code})`];
  const position = Number.parseInt(error.position ?? '', 10);
  if (Number.isInteger(position) && position > 0) {
    lines.push(...pointAt(query, position));
  }
  if (error.detail !== undefined) {
    lines.push(`DETAIL: ${error.detail}`);
  }
  if (error.hint !== undefined) {
    lines.push(`HINT: ${error.hint}`);
  }
  if (error.code === readOnlyViolation && !write) {
    lines.push('sweep sql runs queries read-only; add --write to allow changes.');
  }
  return new InputError(lines.join('\n'), { cause: error });
}

/**
 * Returns the query line holding the 1-based character `position` (as
 * PostgreSQL counts it: characters, not bytes) and a caret line under it.
 */
export function pointAt(query: string, position: number): string[] {
  const characters = Array.from(query);
  const index = Math.min(position - 1, characters.length);
  let lineStart = index;
  while (lineStart > 0 && characters[lineStart - 1] !== '\n') {
    lineStart--;
  }
  let lineEnd = index;
  while (lineEnd < characters.length && characters[lineEnd] !== '\n') {
    lineEnd++;
  }
  const lineNumber = characters.slice(0, lineStart).filter((character) => character === '\n').length + 1;
  const prefix = `LINE ${lineNumber}: `;
  const text = characters.slice(lineStart, lineEnd).join('').replace(/\t/g, ' ');
  return [`${prefix}${text}`, `${' '.repeat(prefix.length + index - lineStart)}^`];
}

/** Formats a result as an aligned table, CSV or JSON, ending with a newline. */
export function formatRows(table: ResultTable, format: RowFormat): string {
  if (format === 'csv') {
    return formatCsv(table);
  }
  if (format === 'json') {
    return `${JSON.stringify(table.rows.map((row) => jsonRow(table.columns, row)), null, 2)}\n`;
  }
  return formatTable(table);
}

/** Formats an aligned text table: numbers right-aligned, NULL shown as `NULL`, with a row count. */
export function formatTable(table: ResultTable): string {
  const cells = table.rows.map((row) => table.columns.map((column) => displayValue(row[column])));
  const numeric = table.columns.map((column) =>
    table.rows.some((row) => row[column] !== null) && table.rows.every((row) => isNumeric(row[column])),
  );
  const widths = table.columns.map((column, index) =>
    Math.max(displayWidth(column), ...cells.map((row) => displayWidth(row[index]))),
  );
  const pad = (text: string, index: number) => {
    const fill = ' '.repeat(widths[index] - displayWidth(text));
    return numeric[index] ? fill + text : text + fill;
  };

  const header = table.columns.map((column, index) => pad(column, index)).join(' | ');
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  const body = cells.map((row) => row.map((text, index) => pad(text, index)).join(' | '));
  const count = table.rows.length === 1 ? '(1 row)' : `(${table.rows.length} rows)`;
  return `${[header, rule, ...body, count].join('\n')}\n`;
}

/** CSV per RFC 4180 with a header row; NULL is an empty field. */
export function formatCsv(table: ResultTable): string {
  const line = (values: string[]) => values.map(csvField).join(',');
  const rows = table.rows.map((row) => line(table.columns.map((column) => (row[column] === null || row[column] === undefined ? '' : textValue(row[column])))));
  return `${[line(table.columns), ...rows].join('\r\n')}\r\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function jsonRow(columns: string[], row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    out[column] = jsonValue(row[column]);
  }
  return out;
}

/** JSON has no NaN or Infinity, so they become the strings PostgreSQL uses for them. */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return textValue(value);
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  return value;
}

function isNumeric(value: unknown): boolean {
  return value === null || typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
}

function displayValue(value: unknown): string {
  return value === null || value === undefined ? 'NULL' : textValue(value).replace(/\r?\n/g, '\\n');
}

/** Text of a value as PostgreSQL prints it: NaN, Infinity, ISO timestamps, JSON for objects. */
export function textValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) {
      return 'NaN';
    }
    if (!Number.isFinite(value)) {
      return value > 0 ? 'Infinity' : '-Infinity';
    }
    return String(value);
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'object' && value !== null) {
    return Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : JSON.stringify(value);
  }
  return String(value);
}

/** Terminal columns of a string: wide (East Asian, emoji) characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    width += code >= 0x1100 && /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}\p{Extended_Pictographic}\u3000-\u303f\uff00-\uffef]/u.test(character) ? 2 : 1;
  }
  return width;
}
