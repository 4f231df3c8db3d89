import { canonicalHash } from './canonical-json.ts';
import type { SweepSpec } from './sweep-spec.ts';

/**
 * Returns the hash of everything a spec contains, except the file it was read
 * from: two files with the same content under different names hash alike.
 */
export function specHash(spec: SweepSpec): string {
  const { source_file: _sourceFile, ...content } = spec;
  return canonicalHash(content);
}

/**
 * Returns the hash of the parts of a spec that decide which trials exist: the
 * template, the parameters, the search method and the baseline. A sweep whose
 * search-space hash changed plans different trials than it did before.
 */
export function searchSpaceHash(spec: SweepSpec): string {
  return canonicalHash({
    template: spec.template,
    parameters: spec.parameters,
    search: spec.search,
    baseline: spec.baseline ?? null,
  });
}
