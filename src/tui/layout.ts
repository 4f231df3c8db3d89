import { formatParameter } from './format.ts';
import type { TrialRow } from './snapshot.ts';

/** Column widths of the leaderboard, in terminal cells; 0 hides a column. */
export interface ColumnLayout {
  marker: number;
  number: number;
  params: { name: string; width: number }[];
  accuracy: number;
  gap: number;
  delta: number;
  state: number;
  spark: number;
  info: number;
}

/** Lines the header, column titles and footer take; the rest of the screen lists trials. */
export const chromeLines = 6;

const maxParamWidth = 16;
/** Parameter titles longer than this are cut unless the values are as wide. */
const paramTitleWidth = 10;
const comfortableParamWidth = 8;
const minParamWidth = 4;
/** Room for `3/10 fine_tune val 81.20%` and a short progress bar. */
const minInfoWidth = 28;

/**
 * Fits the leaderboard's columns into `width` cells. Parameter columns are as
 * wide as their longest value (at most 16), and the progress column gets at
 * least 28 cells. On a narrow screen the other columns give up space.
 */
export function layoutColumns(width: number, parameterNames: readonly string[], trials: readonly TrialRow[]): ColumnLayout {
  const maxNumber = trials.reduce((max, trial) => Math.max(max, trial.number), 0);
  const params = parameterNames.map((name) => {
    let longest = Math.min(name.length, paramTitleWidth);
    for (const trial of trials) {
      const length = formatParameter(trial.params[name]).length;
      if (length > longest) {
        longest = length;
      }
    }
    return { name, width: Math.min(maxParamWidth, longest) };
  });

  const layout: ColumnLayout = {
    marker: 2,
    number: Math.max(3, String(maxNumber).length + 1),
    params,
    accuracy: 8,
    gap: 6,
    delta: 6,
    state: 9,
    spark: 10,
    info: 0,
  };

  const used = (): number => {
    const columns = [layout.marker, layout.number, ...layout.params.map((param) => param.width), layout.accuracy, layout.gap, layout.delta, layout.state, layout.spark];
    // One space between visible columns.
    return columns.filter((cells) => cells > 0).reduce((sum, cells) => sum + cells + 1, 0);
  };

  const widestParam = (floor: number): { name: string; width: number } | undefined =>
    layout.params.reduce<{ name: string; width: number } | undefined>(
      (found, param) => (param.width > floor && (found === undefined || param.width > found.width) ? param : found),
      undefined,
    );
  // Give up space in this order: parameter columns down to 8 cells, the
  // baseline-difference column, parameter columns down to 6, the sparkline,
  // parameter columns down to 4.
  while (width - used() < minInfoWidth) {
    const comfortable = widestParam(comfortableParamWidth);
    const narrow = widestParam(minParamWidth);
    if (comfortable !== undefined) {
      comfortable.width -= 1;
    } else if (layout.delta > 0) {
      layout.delta = 0;
    } else if (widestParam(6) !== undefined) {
      widestParam(6)!.width -= 1;
    } else if (layout.spark > 0) {
      layout.spark = 0;
    } else if (narrow !== undefined) {
      narrow.width -= 1;
    } else {
      break;
    }
  }
  layout.info = Math.max(0, width - used());
  return layout;
}
