
/** Text helpers shared by the screen and the plain-line reporter. */

const sparkBlocks = '▁▂▃▄▅▆▇█';

/** Formats a fraction as a percentage with two decimals (`0.8275` → `82.75%`); `-` when missing. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '-';
  }
  if (!Number.isFinite(value)) {
    return String(value);
  }
  return `${(value * 100).toFixed(2)}%`;
}

/** Formats a difference of two fractions in percentage points, signed (`+9.63 pts`). */
export function formatPoints(difference: number): string {
  if (!Number.isFinite(difference)) {
    return `${difference} pts`;
  }
  const points = difference * 100;
  let sign = '±';
  if (points > 0) {
    sign = '+';
  } else if (points < 0) {
    sign = '−';
  }
  return `${sign}${Math.abs(points).toFixed(2)} pts`;
}

/** Formats an overfitting gap, a difference of fractions, with three decimals; `-` when missing. */
export function formatGap(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '-';
  }
  if (!Number.isFinite(value)) {
    return String(value);
  }
  return value.toFixed(3);
}

/** Formats seconds as `42s`, `7m05s` or `3h02m`; `-` when missing. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '-';
  }
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) {
    return `${whole}s`;
  }
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) {
    return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  }
  const hours = Math.floor(minutes / 60);
  return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
}

export { formatParameter } from '../spec/format-parameter.ts';

/**
 * Draws values as a sparkline of block characters, scaled between the smallest
 * and largest finite value; a non-finite value draws as `·`. Keeps the last
 * `width` values.
 */
export function sparkline(values: readonly number[], width: number): string {
  const latest = values.slice(Math.max(0, values.length - width));
  const finite = latest.filter((value) => Number.isFinite(value));
  if (finite.length === 0) {
    return '·'.repeat(latest.length);
  }
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min;

  let line = '';
  for (const value of latest) {
    if (!Number.isFinite(value)) {
      line += '·';
      continue;
    }
    const level = span === 0 ? sparkBlocks.length - 1 : Math.round(((value - min) / span) * (sparkBlocks.length - 1));
    line += sparkBlocks[level];
  }
  return line;
}

/** Draws a progress bar of `width` cells, `done` of `total` filled. */
export function progressBar(done: number, total: number, width: number): string {
  if (width <= 0) {
    return '';
  }
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** Returns the first line of a text, without trailing whitespace. */
export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).trimEnd();
}

/** Cuts text to `width` code points, ending with `…` when it was longer. */
export function truncate(text: string, width: number): string {
  if (width <= 0) {
    return '';
  }
  const chars = [...text];
  if (chars.length <= width) {
    return text;
  }
  return chars.slice(0, width - 1).join('') + '…';
}

/** Cuts or pads text to exactly `width` code points. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const padding = ' '.repeat(Math.max(0, width - [...cut].length));
  return align === 'left' ? cut + padding : padding + cut;
}
