/** Finding and replacing `${name}` parameter references in a sweep file's value. */
import { REFERENCE_PATTERN } from './sweep-file-schema.ts';
import type { FieldProblem } from './issue-messages.ts';
import type { ReferenceSite } from './sweep-spec.ts';
import type { FieldPath } from './yaml-source.ts';

/** Sections whose fields may reference parameters. */
export const TEMPLATE_SECTIONS = ['dataset', 'model', 'training'] as const;

/** Returns the parameter name when `value` is a whole-value reference such as `${lr}`. */
export function referencedParameter(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  return REFERENCE_PATTERN.exec(value)?.[1];
}

/**
 * Collects the references in the template sections, and reports references
 * elsewhere and strings that embed `${` without being a whole reference.
 */
export function collectReferences(file: Record<string, unknown>): { sites: ReferenceSite[]; problems: FieldProblem[] } {
  const sites: ReferenceSite[] = [];
  const problems: FieldProblem[] = [];

  const visit = (value: unknown, path: FieldPath, allowed: boolean): void => {
    if (typeof value === 'string') {
      const parameter = referencedParameter(value);
      if (parameter !== undefined && allowed) {
        sites.push({ path, parameter });
      } else if (parameter !== undefined) {
        problems.push({ path, message: `a reference is allowed only under dataset, model and training, got ${JSON.stringify(value)}` });
      } else if (value.includes('${')) {
        problems.push({
          path,
          message: `invalid reference ${JSON.stringify(value)}: a reference must be the whole value, ${'${name}'}, with a name of letters, digits and _`,
        });
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index], allowed));
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        visit(item, [...path, key], allowed);
      }
    }
  };

  for (const [key, value] of Object.entries(file)) {
    visit(value, [key], (TEMPLATE_SECTIONS as readonly string[]).includes(key));
  }
  return { sites, problems };
}

/** Returns a copy of `value` with each reference replaced by `replace(parameter)`; `undefined` keeps it. */
export function substituteReferences(value: unknown, replace: (parameter: string) => unknown): unknown {
  const parameter = referencedParameter(value);
  if (parameter !== undefined) {
    const replacement = replace(parameter);
    return replacement === undefined ? value : replacement;
  }
  if (Array.isArray(value)) {
    return value.map((item) => substituteReferences(item, replace));
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] = substituteReferences(item, replace);
    }
    return copy;
  }
  return value;
}

/** True when `path` equals `prefix` or lies inside it. */
export function isWithin(path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((part, index) => path[index] === part);
}
