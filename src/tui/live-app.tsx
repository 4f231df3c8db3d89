import type { Kysely } from 'kysely';
import { useCallback, useEffect } from 'react';
import type { Database } from '../storage/schema.ts';
import { App, type TuiExitAction } from './app.tsx';
import { cancelTrial } from './cancel-trial.ts';
import { useSweep } from './hooks/use-sweep.ts';
import { loadTrialDetail } from './load-trial-detail.ts';
import type { SweepSnapshot } from './snapshot.ts';

export interface LiveAppProps {
  db: Kysely<Database>;
  url?: string;
  sweepName: string;
  mode: 'start' | 'watch';
  onExit: (action: TuiExitAction) => void;
  color?: boolean;
  pollMs?: number;
  /** Called with each new snapshot, for a summary once the screen closes. */
  onSnapshot?: (snapshot: SweepSnapshot) => void;
}

/** Renders `App` fed by `useSweep` from PostgreSQL, with detail reads and cancel writes. */
export function LiveApp({ db, url, sweepName, mode, onExit, color, pollMs, onSnapshot }: LiveAppProps) {
  const { snapshot, listening, error, refresh } = useSweep({ db, sweepName, url, pollMs });
  useEffect(() => {
    if (snapshot !== null) {
      onSnapshot?.(snapshot);
    }
  }, [snapshot, onSnapshot]);
  const loadDetail = useCallback((trialId: string) => loadTrialDetail(db, trialId), [db]);
  const cancel = useCallback(
    async (trialId: string) => {
      const outcome = await cancelTrial(db, trialId);
      refresh();
      return outcome;
    },
    [db, refresh],
  );

  return (
    <App
      snapshot={snapshot}
      sweepName={sweepName}
      mode={mode}
      listening={listening}
      feedError={error}
      loadDetail={loadDetail}
      cancelTrial={cancel}
      onExit={onExit}
      color={color}
    />
  );
}
