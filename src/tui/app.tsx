import { Box, Text, useInput, type Key } from 'ink';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { CancelOutcome } from './cancel-trial.ts';
import { ColorContext, useTint } from './components/color.ts';
import { Header } from './components/Header.tsx';
import { Leaderboard } from './components/Leaderboard.tsx';
import { detailLines, TrialDetailView } from './components/TrialDetailView.tsx';
import { useTerminalSize } from './hooks/use-terminal-size.ts';
import { useTrialDetail } from './hooks/use-trial-detail.ts';
import { chromeLines, layoutColumns } from './layout.ts';
import type { TrialDetail } from './load-trial-detail.ts';
import {
  baselineTrial,
  bestTrial,
  filterTrials,
  nextInCycle,
  rankKeysFor,
  sortModes,
  sortTrials,
  stateFilters,
  type SortMode,
  type StateFilter,
} from './ranking.ts';
import type { SweepSnapshot, TrialRow } from './snapshot.ts';

/**
 * Reason the screen closed: `detach` (watch: the sweep goes on elsewhere),
 * `stop` or `background` (start: stop the sweep, or keep it running without
 * the screen), `interrupt` (Ctrl+C or a termination signal).
 */
export type TuiExitAction = 'detach' | 'stop' | 'background' | 'interrupt';

export interface AppProps {
  /** Null until the first read. */
  snapshot: SweepSnapshot | null;
  sweepName: string;
  mode: 'start' | 'watch';
  listening: boolean;
  /** Last read or connection error, filteredTrials in the status line. */
  feedError: string | null;
  loadDetail: (trialId: string) => Promise<TrialDetail>;
  cancelTrial: (trialId: string) => Promise<CancelOutcome>;
  onExit: (action: TuiExitAction) => void;
  /** Whether to use color; false under NO_COLOR. Default true. */
  color?: boolean;
  /** Fixed clock for tests. */
  now?: number;
}

type Prompt = { kind: 'cancel'; trial: TrialRow } | { kind: 'quit' };

const cancelMessages: Record<CancelOutcome, (number: number) => string> = {
  cancelled: (number) => `trial #${number} cancelled`,
  requested: (number) => `trial #${number}: cancel requested, it stops after the current epoch`,
  'already-finished': (number) => `trial #${number} had already ended; nothing to cancel`,
};

const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

function keyOf(char: string): Key {
  return { ...noKey, return: char === '\r' || char === '\n', shift: /[A-Z]/.test(char) };
}

function replayKeys(chars: string[], handle: (char: string) => void): void {
  const [first, ...rest] = chars;
  if (first === undefined) {
    return;
  }
  handle(first);
  setImmediate(() => replayKeys(rest, handle));
}

/**
 * useState plus a ref that the setter updates at once, for event handlers
 * that run again before React has re-rendered.
 */
function useSyncedState<T>(initial: T): [T, (value: T) => void, { readonly current: T }] {
  const [value, setValue] = useState(initial);
  const ref = useRef(initial);
  const set = useCallback((next: T) => {
    ref.current = next;
    setValue(next);
  }, []);
  return [value, set, ref];
}

/** Renders the live screen: header, leaderboard or trial detail, and the key line. */
export function App(props: AppProps) {
  return (
    <ColorContext.Provider value={props.color ?? true}>
      <Screen {...props} />
    </ColorContext.Provider>
  );
}

function Screen({ snapshot, sweepName, mode, listening, feedError, loadDetail, cancelTrial, onExit, now }: AppProps) {
  const tint = useTint();
  const { columns, rows: terminalRows } = useTerminalSize();
  // Ink clears the whole terminal, scrollback included, once a frame reaches
  // the terminal's height, so the frame stays two lines shorter.
  const height = Math.max(chromeLines + 1, terminalRows - 2);
  const listHeight = height - chromeLines;

  const [sortMode, setSortMode] = useState<SortMode>('accuracy');
  const [filter, setFilter] = useState<StateFilter>('all');
  const [selectedId, setSelectedId, selectedIdRef] = useSyncedState<string | null>(null);
  const [detailId, setDetailId, detailIdRef] = useSyncedState<string | null>(null);
  const [detailOffset, setDetailOffset] = useState(0);
  const [prompt, setPrompt, promptRef] = useSyncedState<Prompt | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const offsetRef = useRef(0);
  const detailMaxOffsetRef = useRef(0);

  const trials = snapshot?.trials ?? [];
  const ranking = snapshot?.sweep.ranking ?? [];
  const loadedAt = snapshot?.loadedAt.getTime() ?? 0;
  const sorted = useMemo(() => sortTrials(trials, rankKeysFor(sortMode, ranking), loadedAt), [trials, ranking, sortMode, loadedAt]);
  const filteredTrials = useMemo(() => filterTrials(sorted, filter), [sorted, filter]);
  const best = useMemo(() => bestTrial(trials, ranking), [trials, ranking]);
  const baseline = useMemo(() => baselineTrial(trials), [trials]);
  const layout = useMemo(() => layoutColumns(columns, snapshot?.parameterNames ?? [], trials), [columns, snapshot?.parameterNames, trials]);

  let selectedIndex = selectedId === null ? 0 : filteredTrials.findIndex((trial) => trial.id === selectedId);
  if (selectedIndex === -1) {
    selectedIndex = 0;
  }
  const selected: TrialRow | null = filteredTrials[selectedIndex] ?? null;

  // Keep the selection inside the window, moving the window as little as possible.
  let offset = Math.min(offsetRef.current, Math.max(0, filteredTrials.length - listHeight));
  if (selectedIndex < offset) {
    offset = selectedIndex;
  } else if (selectedIndex >= offset + listHeight) {
    offset = selectedIndex - listHeight + 1;
  }
  offsetRef.current = offset;

  const detailTrial = detailId === null ? null : (trials.find((trial) => trial.id === detailId) ?? null);
  const { detail, error: detailError } = useTrialDetail(loadDetail, detailTrial);

  const select = (index: number): void => {
    const clamped = Math.max(0, Math.min(filteredTrials.length - 1, index));
    const trial = filteredTrials[clamped];
    if (trial !== undefined) {
      setSelectedId(trial.id);
    }
  };

  // Ink re-subscribes the input handler in an effect that can run after the
  // next key arrives, so the handler reads this render's state through a ref.
  const handleKeyRef = useRef<(input: string, key: Key) => void>(() => undefined);
  useInput((input, key) => {
    // Ink passes keys that arrive in one read ("j\r" typed fast, or sent by
    // tmux) as one string. Replay them one at a time, a tick apart, so each
    // key reads the state the previous one produced.
    if (input.length > 1 && !key.ctrl && !key.meta) {
      replayKeys([...input], (char) => handleKeyRef.current(char, keyOf(char)));
      return;
    }
    handleKeyRef.current(input, key);
  });
  handleKeyRef.current = (input, key) => {
    // Keys can arrive faster than renders: read what earlier keys chose from
    // the refs, not from this render's values.
    const prompt = promptRef.current;
    const detailOpen = detailIdRef.current !== null;
    let selectedIndex = filteredTrials.findIndex((trial) => trial.id === selectedIdRef.current);
    if (selectedIndex === -1) {
      selectedIndex = 0;
    }
    const selected = filteredTrials[selectedIndex] ?? null;

    if (key.ctrl && input === 'c') {
      onExit('interrupt');
      return;
    }

    if (prompt !== null) {
      if (prompt.kind === 'cancel') {
        if (input === 'y' || input === 'Y') {
          const trial = prompt.trial;
          setPrompt(null);
          setMessage(`cancelling trial #${trial.number}…`);
          cancelTrial(trial.id).then(
            (outcome) => setMessage(cancelMessages[outcome](trial.number)),
            (error: unknown) => setMessage(`cancelling trial #${trial.number} failed: ${error instanceof Error ? error.message : String(error)}`),
          );
        } else if (input === 'n' || input === 'N' || key.escape) {
          setPrompt(null);
          setMessage(null);
        }
        return;
      }
      if (input === 's') {
        onExit('stop');
      } else if (input === 'b') {
        onExit('background');
      } else if (key.escape || input === 'n') {
        setPrompt(null);
      }
      return;
    }

    if (detailOpen) {
      if (key.escape || key.return || input === 'q' || key.backspace || key.leftArrow) {
        setDetailId(null);
      } else if (key.downArrow || input === 'j') {
        setDetailOffset((value) => Math.min(detailMaxOffsetRef.current, value + 1));
      } else if (key.upArrow || input === 'k') {
        setDetailOffset((value) => Math.max(0, value - 1));
      } else if (key.pageDown || input === ' ') {
        setDetailOffset((value) => Math.min(detailMaxOffsetRef.current, value + (height - 1)));
      } else if (key.pageUp) {
        setDetailOffset((value) => Math.max(0, value - (height - 1)));
      }
      return;
    }

    if (key.downArrow || input === 'j') {
      select(selectedIndex + 1);
    } else if (key.upArrow || input === 'k') {
      select(selectedIndex - 1);
    } else if (key.pageDown) {
      select(selectedIndex + listHeight);
    } else if (key.pageUp) {
      select(selectedIndex - listHeight);
    } else if (input === 'g' || key.home) {
      select(0);
    } else if (input === 'G' || key.end) {
      select(filteredTrials.length - 1);
    } else if (key.return) {
      if (selected !== null) {
        setDetailId(selected.id);
        setDetailOffset(0);
      }
    } else if (input === 's') {
      setSortMode((mode) => nextInCycle(sortModes, mode));
    } else if (input === 'f') {
      setFilter((current) => nextInCycle(stateFilters, current));
    } else if (input === 'c') {
      if (selected === null) {
        return;
      }
      if (selected.state === 'WAITING' || selected.state === 'RUNNING') {
        setPrompt({ kind: 'cancel', trial: selected });
      } else {
        setMessage(`trial #${selected.number} is ${selected.state}; only waiting or running trials can be cancelled`);
      }
    } else if (input === 'q') {
      if (mode === 'watch') {
        onExit('detach');
      } else {
        setPrompt({ kind: 'quit' });
      }
    }
  };

  if (snapshot === null) {
    return (
      <Box flexDirection="column">
        <Text>loading sweep {sweepName}…</Text>
        {feedError === null ? null : <Text color={tint('red')}>{feedError}</Text>}
      </Box>
    );
  }

  let status: React.ReactNode;
  if (prompt?.kind === 'cancel') {
    const effect = prompt.trial.state === 'WAITING' ? 'it will not run' : 'it stops after the current epoch';
    status = (
      <Text color={tint('yellow')} bold>
        Cancel trial #{prompt.trial.number} ({prompt.trial.state}, {effect})? y/n
      </Text>
    );
  } else if (prompt?.kind === 'quit') {
    status = (
      <Text color={tint('yellow')} bold>
        Leave the screen: s stops the sweep, b keeps it running in the background, Esc stays
      </Text>
    );
  } else if (message !== null) {
    status = <Text>{message}</Text>;
  } else if (detailError !== null && detailTrial !== null) {
    status = <Text color={tint('red')}>reading trial detail failed: {detailError}</Text>;
  } else if (feedError !== null) {
    status = <Text color={tint('red')}>{feedError}</Text>;
  } else {
    status = <Text dimColor>{listening ? 'updates arrive by LISTEN/NOTIFY' : 'polling the database'}</Text>;
  }

  const windowEnd = Math.min(filteredTrials.length, offset + listHeight);
  const position = filteredTrials.length === 0 ? '0 of 0' : `${offset + 1}-${windowEnd} of ${filteredTrials.length}`;
  const keys =
    detailTrial === null
      ? `↑↓/jk select  Enter detail  s sort: ${sortMode}  f filter: ${filter}  c cancel  q quit   rows ${position}`
      : '↑↓/jk scroll  Esc/Enter back';

  let body: React.ReactNode;
  if (detailTrial !== null) {
    const maxOffset = Math.max(0, detailLines(detailTrial, detail, columns, tint).length - listHeight - 1);
    detailMaxOffsetRef.current = maxOffset;
    body = <TrialDetailView trial={detailTrial} detail={detail} width={columns} height={listHeight + 1} offset={Math.min(detailOffset, maxOffset)} />;
  } else {
    body = (
      <Leaderboard
        trials={filteredTrials}
        layout={layout}
        offset={offset}
        height={listHeight}
        selectedIndex={selectedIndex}
        bestId={best?.id ?? null}
        baselineId={baseline?.id ?? null}
        baselineAccuracy={baseline?.testAccuracy ?? null}
      />
    );
  }

  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Header snapshot={snapshot} best={best} baseline={baseline} listening={listening} now={now} />
      {body}
      <Box height={1}>{status}</Box>
      <Text dimColor wrap="truncate-end">
        {keys}
      </Text>
    </Box>
  );
}
