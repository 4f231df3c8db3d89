import type { ParameterValue } from './trial-config.ts';

/**
 * Formats a parameter value for tables, the terminal UI and chart labels:
 * numbers and strings as they are, objects as their non-zero entries
 * (`horizontal_flip, translation 0.1`), and an all-zero object as `none`.
 */
export function formatParameter(value: ParameterValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (value === null) {
    return 'none';
  }
  if (typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
    const active = entries.filter(([, item]) => item !== false && item !== 0 && item !== null);
    if (active.length === 0) {
      return 'none';
    }
    return active.map(([key, item]) => (item === true ? key : `${key} ${formatParameter(item)}`)).join(', ');
  }
  return String(value);
}
