import type { Kysely } from 'kysely';
import { useEffect, useRef, useState } from 'react';
import type { Database } from '../../storage/schema.ts';
import type { SweepSnapshot } from '../snapshot.ts';
import { SweepFeed } from '../sweep-feed.ts';

export interface UseSweepOptions {
  db: Kysely<Database>;
  sweepName: string;
  /** Connection string for LISTEN; absent, the hook only polls. */
  url?: string;
  /** Milliseconds between reloads while notifications are unavailable. Default 2000. */
  pollMs?: number;
}

export interface SweepState {
  snapshot: SweepSnapshot | null;
  listening: boolean;
  /** The last read or connection error, cleared by the next successful read. */
  error: string | null;
  /** Asks for a full reload (after the screen wrote to the database). */
  refresh: () => void;
}

/**
 * Follows a sweep in PostgreSQL through a `SweepFeed`: refreshes on
 * `sweep_events` notifications, polls as a fallback, and closes the LISTEN
 * connection on unmount.
 */
export function useSweep({ db, sweepName, url, pollMs }: UseSweepOptions): SweepState {
  const [snapshot, setSnapshot] = useState<SweepSnapshot | null>(null);
  const [listening, setListening] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const feedRef = useRef<SweepFeed | null>(null);

  useEffect(() => {
    const feed = new SweepFeed({
      db,
      sweepName,
      url,
      pollMs,
      onSnapshot: (next) => {
        setSnapshot(next);
        setError(null);
      },
      onError: (problem) => setError(problem.message),
      onListeningChange: setListening,
    });
    feedRef.current = feed;
    feed.start().catch((problem: unknown) => setError(problem instanceof Error ? problem.message : String(problem)));
    return () => {
      feedRef.current = null;
      void feed.close();
    };
  }, [db, sweepName, url, pollMs]);

  const refreshRef = useRef(() => feedRef.current?.refresh());
  return { snapshot, listening, error, refresh: refreshRef.current };
}
