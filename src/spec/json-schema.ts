import { z } from 'zod';
import { buildSweepFileSchema } from './sweep-file-schema.ts';

/**
 * Returns the JSON Schema (draft-07, which YAML and JSON editors support best) of
 * a sweep file, made from the same zod schema that validates files. Every field
 * under dataset, model and training also accepts a `${name}` reference.
 * `sweeps/sweep.schema.json` is a copy; `sweep schema > sweeps/sweep.schema.json` updates it.
 */
export function sweepJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(buildSweepFileSchema({ references: true }), { io: 'input', target: 'draft-07' });
  return {
    ...schema,
    title: 'sweep file',
    description: 'A hyperparameter sweep for the `sweep` command: the trial template, its search space and the sweep settings.',
  };
}

/** Returns the JSON Schema as the text of sweeps/sweep.schema.json (two-space indent, final newline). */
export function sweepJsonSchemaText(): string {
  return `${JSON.stringify(sweepJsonSchema(), null, 2)}\n`;
}
