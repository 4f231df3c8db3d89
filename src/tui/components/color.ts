import { createContext, useContext } from 'react';
import type { TrialState } from '../../storage/schema.ts';

/** Whether the screen may use color (false under NO_COLOR); styles such as inverse stay. */
export const ColorContext = createContext(true);

/** Returns `name` when color is on, undefined otherwise, for Ink's `color` prop. */
export function useTint(): (name: string | undefined) => string | undefined {
  const enabled = useContext(ColorContext);
  return (name) => (enabled ? name : undefined);
}

export const stateColors: Record<TrialState, string | undefined> = {
  WAITING: 'gray',
  RUNNING: 'cyan',
  COMPLETE: 'green',
  PRUNED: 'yellow',
  FAIL: 'red',
  CANCELLED: 'gray',
};
