import { useEffect, useState } from 'react';
import type { TrialDetail } from '../load-trial-detail.ts';
import type { TrialRow } from '../snapshot.ts';

export interface TrialDetailState {
  detail: TrialDetail | null;
  error: string | null;
}

/**
 * Loads the detail of a trial, and loads it again whenever its row changes
 * (a new epoch, a new state). Null `trial` loads nothing.
 */
export function useTrialDetail(loadDetail: (trialId: string) => Promise<TrialDetail>, trial: TrialRow | null): TrialDetailState {
  const [state, setState] = useState<TrialDetailState>({ detail: null, error: null });
  const trialId = trial?.id ?? null;

  useEffect(() => {
    setState({ detail: null, error: null });
  }, [trialId]);

  useEffect(() => {
    if (trial === null) {
      return undefined;
    }
    let current = true;
    loadDetail(trial.id).then(
      (detail) => {
        if (current) {
          setState({ detail, error: null });
        }
      },
      (error: unknown) => {
        if (current) {
          setState((previous) => ({ detail: previous.detail, error: error instanceof Error ? error.message : String(error) }));
        }
      },
    );
    return () => {
      current = false;
    };
  }, [loadDetail, trial]);

  return state;
}
