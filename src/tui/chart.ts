/** A series for `drawCurves`: values by epoch (index 0 = first epoch) and the character that marks it. */
export interface CurveSeries {
  values: readonly (number | null)[];
  mark: string;
}

/** Marks a cell where two series meet. */
const overlapMark = '◆';

/**
 * Draws series as a character chart `height` rows by `width` columns plus a
 * y-axis of percentages on the left. Columns interpolate linearly between
 * epochs, so a few epochs still draw a connected curve. Non-finite values are
 * skipped. Returns one string per row, top row first; empty when no value is finite.
 */
export function drawCurves(series: readonly CurveSeries[], width: number, height: number): string[] {
  const finite = series.flatMap((line) => line.values.filter((value): value is number => value !== null && Number.isFinite(value)));
  if (finite.length === 0 || width < 2 || height < 2) {
    return [];
  }
  let min = Math.min(...finite);
  let max = Math.max(...finite);
  if (max === min) {
    min -= 0.005;
    max += 0.005;
  }
  const epochs = Math.max(...series.map((line) => line.values.length));
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(' '));

  for (const line of series) {
    for (let column = 0; column < width; column += 1) {
      const value = valueAt(line.values, epochs <= 1 ? 0 : (column / (width - 1)) * (epochs - 1));
      if (value === null) {
        continue;
      }
      const row = height - 1 - Math.round(((value - min) / (max - min)) * (height - 1));
      const cell = grid[row][column];
      grid[row][column] = cell === ' ' || cell === line.mark ? line.mark : overlapMark;
    }
  }

  const labelWidth = 7;
  return grid.map((cells, row) => {
    const level = max - (row / (height - 1)) * (max - min);
    const label = row === 0 || row === height - 1 || row === Math.floor(height / 2) ? `${(level * 100).toFixed(1)}%` : '';
    return `${label.padStart(labelWidth)} │${cells.join('')}`;
  });
}

function valueAt(values: readonly (number | null)[], position: number): number | null {
  const low = Math.floor(position);
  const high = Math.min(values.length - 1, low + 1);
  const a = values[low];
  const b = values[high];
  const usable = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);
  if (!usable(a)) {
    return null;
  }
  if (!usable(b) || high === low) {
    return a;
  }
  return a + (b - a) * (position - low);
}
