/**
 * Turns zod issues into sweep's problem messages: what is wrong with a field, in
 * plain words, ending in `, got VALUE` and a hint where one helps.
 */
import type { z } from 'zod';
import type { FieldPath } from './yaml-source.ts';

/** A problem before it is given a file position. */
export interface FieldProblem {
  path: FieldPath;
  message: string;
  /** Report the position of the key instead of the value (unknown keys). */
  atKey?: boolean;
}

/** Renders a value for `got …`: the source text when known, otherwise compact JSON. */
export type ValueRenderer = (path: FieldPath, value: unknown) => string;

/** Returns the closest candidate to `word` when it is a likely typo, for a did-you-mean hint. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  // An abbreviation such as val_acc for val_accuracy is closer than its edit distance suggests.
  const extensions = word.length >= 3 ? list.filter((candidate) => candidate.toLowerCase().startsWith(word.toLowerCase())) : [];
  if (extensions.length === 1) {
    return extensions[0];
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of list) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Renders a value for a message when no source text is at hand. */
export function renderValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (value === null) {
    return 'an empty value';
  }
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'number':
      return 'a number';
    case 'int':
      return 'an integer';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    default:
      return expected;
  }
}

function describeLiteral(value: unknown): string {
  return typeof value === 'string' ? value : renderValue(value);
}

function looksNumeric(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}

/** Walks the schema along `path` and `data` and returns the keys an object there accepts. */
export function knownKeys(schema: z.ZodType, path: FieldPath, data: unknown): string[] {
  const target = schemaAt(schema, path, data);
  const shape = target === undefined ? undefined : objectShape(target, valueAt(data, path));
  return shape === undefined ? [] : Object.keys(shape);
}

function valueAt(data: unknown, path: FieldPath): unknown {
  let current = data;
  for (const part of path) {
    if (current === null || typeof current !== 'object') {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

interface SchemaDefinition {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  discriminator?: string;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
}

function definition(schema: z.ZodType): SchemaDefinition {
  return (schema as unknown as { _zod: { def: SchemaDefinition } })._zod.def;
}

// Peels wrappers and picks the union member that fits `value`, down to an object schema.
function objectShape(schema: z.ZodType, value: unknown): Record<string, z.ZodType> | undefined {
  const def = definition(schema);
  if (def.innerType !== undefined) {
    return objectShape(def.innerType, value);
  }
  if (def.type === 'pipe' && def.in !== undefined) {
    return objectShape(def.in, value);
  }
  if (def.type === 'object') {
    return def.shape;
  }
  if (def.type === 'union' && def.options !== undefined) {
    const record = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    const shapes = def.options.map((option) => objectShape(option, value)).filter((shape) => shape !== undefined);
    if (def.discriminator !== undefined) {
      const matching = shapes.find((shape) => {
        const discriminator = shape[def.discriminator as string];
        return discriminator !== undefined && literalValues(discriminator).includes(record[def.discriminator as string]);
      });
      if (matching !== undefined) {
        return matching;
      }
    }
    return shapes[0];
  }
  return undefined;
}

function literalValues(schema: z.ZodType): unknown[] {
  const def = definition(schema) as SchemaDefinition & { values?: unknown[] };
  if (def.innerType !== undefined) {
    return literalValues(def.innerType);
  }
  return def.values ?? [];
}

// Removes optional, default and similar wrappers.
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let def = definition(current); def.innerType !== undefined || (def.type === 'pipe' && def.in !== undefined); def = definition(current)) {
    current = (def.innerType ?? def.in) as z.ZodType;
  }
  return current;
}

function schemaAt(schema: z.ZodType, path: FieldPath, data: unknown): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (let i = 0; i < path.length && current !== undefined; i++) {
    const part = path[i];
    const here = valueAt(data, path.slice(0, i));
    const def = definition(unwrap(current));
    if (def.type === 'array') {
      current = def.element;
    } else if (def.type === 'record') {
      current = def.valueType;
    } else if (def.type === 'union' && Array.isArray(here) && def.options !== undefined) {
      // A union of a list and a mapping (a parameter): follow the list member.
      current = def.options.find((option) => definition(unwrap(option)).type === 'array');
    } else {
      current = objectShape(current, here)?.[String(part)];
    }
  }
  return current;
}

/**
 * Converts one zod issue into field problems. `schema` and `data` are the schema
 * and value that produced it, used to list the keys a mapping accepts.
 */
export function issueToProblems(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
  data: unknown,
  render: ValueRenderer,
  prefix: FieldPath = [],
): FieldProblem[] {
  const path: FieldPath = [...prefix, ...(issue.path as (string | number)[])];
  const input = (issue as { input?: unknown }).input;
  const got = (): string => render(path, input);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = knownKeys(schema, path, data);
      return issue.keys.map((key) => {
        const suggestion = closestMatch(key, keys);
        const hint = suggestion !== undefined ? `; did you mean ${suggestion}?` : `; known keys: ${keys.join(', ')}`;
        return { path: [...path, key], message: `unknown key${hint}`, atKey: true };
      });
    }
    case 'invalid_type': {
      if (input === undefined) {
        return [{ path, message: `is required (${describeExpected(issue.expected)})` }];
      }
      if (typeof input === 'string' && (issue.expected === 'number' || issue.expected === 'int') && looksNumeric(input)) {
        return [
          {
            path,
            message: `expected ${describeExpected(issue.expected)}, got the string ${JSON.stringify(input)}; remove the quotes so that YAML reads a number`,
          },
        ];
      }
      if (issue.expected === 'int' && typeof input === 'number') {
        return [{ path, message: `must be an integer, got ${got()}` }];
      }
      if (issue.expected === 'number' && typeof input === 'number') {
        return [{ path, message: `must be a finite number, got ${got()}` }];
      }
      return [{ path, message: `expected ${describeExpected(issue.expected)}, got ${got()}` }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      if (issue.origin === 'array' || issue.origin === 'set') {
        const words = issue.code === 'too_small' ? 'at least' : 'at most';
        return [{ path, message: `must list ${words} ${String(bound)} value${Number(bound) === 1 ? '' : 's'}, got ${got()}` }];
      }
      if (issue.origin === 'string') {
        const message = issue.code === 'too_small' ? 'must not be empty' : `must be at most ${String(bound)} characters long`;
        return [{ path, message: `${message}, got ${got()}` }];
      }
      const relation =
        issue.code === 'too_small'
          ? inclusive
            ? 'at least'
            : 'greater than'
          : inclusive
            ? 'at most'
            : 'less than';
      return [{ path, message: `must be ${relation} ${String(bound)}, got ${got()}` }];
    }
    case 'invalid_value': {
      const values = issue.values.map(describeLiteral);
      const suggestion = typeof input === 'string' ? closestMatch(input, values) : undefined;
      const hint = suggestion !== undefined ? `; did you mean ${suggestion}?` : '';
      const expected = values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
      return [{ path, message: `${expected}, got ${got()}${hint}` }];
    }
    case 'invalid_union': {
      return unionProblems(issue, schema, data, render, prefix, path);
    }
    case 'invalid_format': {
      return [{ path, message: `${formatMessage(path, issue.format)}, got ${got()}` }];
    }
    case 'invalid_key': {
      return [{ path, message: 'invalid parameter name: use letters, digits and _, not starting with a digit', atKey: true }];
    }
    default:
      return [{ path, message: `${issue.message}, got ${got()}` }];
  }
}

function joinAlternatives(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function formatMessage(path: FieldPath, format: string): string {
  if (path.length === 1 && path[0] === 'name') {
    return 'must start with a letter or digit and contain only letters, digits, ".", "-" and "_"';
  }
  return `has an invalid format (${format})`;
}

function unionProblems(
  issue: z.core.$ZodIssueInvalidUnion,
  schema: z.ZodType,
  data: unknown,
  render: ValueRenderer,
  prefix: FieldPath,
  path: FieldPath,
): FieldProblem[] {
  const discriminator = (issue as { discriminator?: string }).discriminator;
  const options = (issue as { options?: unknown[] }).options;
  if (discriminator !== undefined || issue.errors.length === 0) {
    const values = (options ?? []).map(describeLiteral);
    const input = (issue as { input?: unknown }).input;
    const actual = input !== null && typeof input === 'object' && discriminator !== undefined ? (input as Record<string, unknown>)[discriminator] : input;
    if (actual === undefined) {
      return [{ path, message: `is required: one of ${values.join(', ')}` }];
    }
    const suggestion = typeof actual === 'string' ? closestMatch(actual, values) : undefined;
    const hint = suggestion !== undefined ? `; did you mean ${suggestion}?` : '';
    return [{ path, message: `must be one of ${values.join(', ')}, got ${render(path, actual)}${hint}` }];
  }

  // A branch without a type mismatch at the value itself accepted its shape: report its issues.
  const isTypeMismatch = (branchIssue: z.core.$ZodIssue): boolean =>
    branchIssue.path.length === 0 && (branchIssue.code === 'invalid_type' || branchIssue.code === 'invalid_value' || branchIssue.code === 'invalid_union');
  const inner = issue.errors
    .filter((branch) => branch.length > 0 && !branch.some(isTypeMismatch))
    .sort((a, b) => a.length - b.length)[0];
  if (inner !== undefined) {
    return inner.flatMap((branchIssue) => issueToProblems(branchIssue, schema, data, render, path));
  }

  const expectations = new Set<string>();
  for (const branch of issue.errors) {
    for (const branchIssue of branch) {
      if (branchIssue.path.length > 0) {
        continue;
      }
      if (branchIssue.code === 'invalid_type') {
        expectations.add(describeExpected(branchIssue.expected));
      } else if (branchIssue.code === 'invalid_value') {
        for (const value of branchIssue.values) {
          expectations.add(describeLiteral(value));
        }
      } else {
        // The branch has the right type but a bad value: its own message is the most precise.
        return issueToProblems(branchIssue, schema, data, render, path);
      }
    }
  }
  const input = (issue as { input?: unknown }).input;
  const candidates = [...expectations];
  const suggestion = typeof input === 'string' ? closestMatch(input, candidates.filter((c) => !c.includes(' '))) : undefined;
  const hint = suggestion !== undefined ? `; did you mean ${suggestion}?` : '';
  const expected = joinAlternatives(candidates);
  if (input === undefined) {
    return [{ path, message: `is required (${expected})` }];
  }
  return [{ path, message: `expected ${expected}, got ${render(path, input)}${hint}` }];
}
