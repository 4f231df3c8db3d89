import type { Kysely } from 'kysely';
import pg from 'pg';
import { logger } from '../log.ts';
import { notificationChannel, type SweepNotification } from '../scheduler/events.ts';
import type { Database } from '../storage/schema.ts';
import { loadSnapshot, refreshTrials } from './load-snapshot.ts';
import type { SweepSnapshot } from './snapshot.ts';

export interface SweepFeedOptions {
  db: Kysely<Database>;
  sweepName: string;
  /** Connection string for the LISTEN connection; without it the feed only polls. */
  url?: string;
  /** Milliseconds between full reloads while notifications are unavailable. Default 2000. */
  pollMs?: number;
  /**
   * Milliseconds between full reloads while listening. Notifications reach
   * every connected listener, so this only catches changes made without one
   * (a hand-written UPDATE, say). Default 60000.
   */
  listenPollMs?: number;
  /** Minimum milliseconds between two reads, so a burst of notifications costs one read. Default 100. */
  minIntervalMs?: number;
  onSnapshot: (snapshot: SweepSnapshot) => void;
  /** A failed read or a lost LISTEN connection; the feed keeps retrying. */
  onError?: (error: Error) => void;
  /** The notification connection came up (true) or went down (false). */
  onListeningChange?: (listening: boolean) => void;
}

const reconnectDelaysMs = [500, 1000, 2000, 5000, 10000];

/**
 * Follows one sweep in PostgreSQL: reads a snapshot, then re-reads the trials
 * named by `sweep_events` notifications (LISTEN on a dedicated pg.Client) and
 * reloads everything on a timer, every `pollMs` when notifications are
 * unavailable and every `listenPollMs` while they arrive.
 */
export class SweepFeed {
  readonly #options: Required<Omit<SweepFeedOptions, 'url' | 'onError' | 'onListeningChange'>> &
    Pick<SweepFeedOptions, 'url' | 'onError' | 'onListeningChange'>;
  #snapshot: SweepSnapshot | null = null;
  #pendingFull = true;
  readonly #pendingTrialIds = new Set<string>();
  #loading = false;
  #lastLoadAt = 0;
  #loadTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectAttempt = 0;
  #client: pg.Client | undefined;
  #listening = false;
  #closed = false;

  constructor(options: SweepFeedOptions) {
    this.#options = { pollMs: 2000, listenPollMs: 60000, minIntervalMs: 100, ...options };
  }

  /** Whether notifications currently arrive. */
  get listening(): boolean {
    return this.#listening;
  }

  get snapshot(): SweepSnapshot | null {
    return this.#snapshot;
  }

  /**
   * Reads the first snapshot, then starts listening and polling. Rejects when
   * the first read fails (for example an unknown sweep name).
   */
  async start(): Promise<SweepSnapshot> {
    this.#pendingFull = false;
    this.#loading = true;
    try {
      this.#snapshot = await loadSnapshot(this.#options.db, this.#options.sweepName);
    } finally {
      this.#loading = false;
      this.#lastLoadAt = Date.now();
    }
    this.#options.onSnapshot(this.#snapshot);

    if (this.#options.url !== undefined) {
      await this.#connect();
    }
    this.#schedulePoll();
    return this.#snapshot;
  }

  /** Asks for a full reload soon (after a write of our own, say). */
  refresh(): void {
    this.#pendingFull = true;
    this.#scheduleLoad();
  }

  /** Stops listening and polling. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#loadTimer);
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    this.#setListening(false);
    if (client !== undefined) {
      await client.end().catch(() => undefined);
    }
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.url, application_name: 'sweep-watch' });
    client.on('notification', (message) => this.#onNotification(message.payload));
    client.on('error', (error) => this.#onConnectionLost(client, error));
    client.on('end', () => this.#onConnectionLost(client, new Error('the LISTEN connection closed')));
    try {
      await client.connect();
      await client.query(`LISTEN ${notificationChannel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.#reportError(new Error(`LISTEN ${notificationChannel} failed, polling every ${this.#options.pollMs} ms instead`, { cause: error }));
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }

    this.#client = client;
    this.#reconnectAttempt = 0;
    this.#setListening(true);
    // Changes made while the connection was down sent notifications that no listener received.
    this.refresh();
    this.#schedulePoll();
  }

  #onConnectionLost(client: pg.Client, error: Error): void {
    if (this.#client !== client || this.#closed) {
      return;
    }
    this.#client = undefined;
    this.#setListening(false);
    client.end().catch(() => undefined);
    this.#reportError(new Error(`lost the LISTEN connection, polling every ${this.#options.pollMs} ms until it is back`, { cause: error }));
    this.#schedulePoll();
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed) {
      return;
    }
    const delay = reconnectDelaysMs[Math.min(this.#reconnectAttempt, reconnectDelaysMs.length - 1)];
    this.#reconnectAttempt += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
  }

  #onNotification(payload: string | undefined): void {
    let notification: Partial<SweepNotification>;
    try {
      notification = JSON.parse(payload ?? '') as Partial<SweepNotification>;
    } catch {
      // Not ours, or from a newer version: reload everything rather than guess.
      this.refresh();
      return;
    }
    if (notification.sweep !== undefined && notification.sweep !== this.#options.sweepName) {
      return;
    }

    if (notification.type !== 'sweep-state' && typeof notification.trial_id === 'string') {
      this.#pendingTrialIds.add(notification.trial_id);
    } else {
      this.#pendingFull = true;
    }
    this.#scheduleLoad();
  }

  #schedulePoll(): void {
    clearTimeout(this.#pollTimer);
    if (this.#closed) {
      return;
    }
    const interval = this.#listening ? this.#options.listenPollMs : this.#options.pollMs;
    this.#pollTimer = setTimeout(() => {
      this.refresh();
      this.#schedulePoll();
    }, interval);
  }

  #scheduleLoad(): void {
    if (this.#closed || this.#loading || this.#loadTimer !== undefined) {
      return;
    }
    const wait = Math.max(0, this.#lastLoadAt + this.#options.minIntervalMs - Date.now());
    this.#loadTimer = setTimeout(() => {
      this.#loadTimer = undefined;
      void this.#load();
    }, wait);
  }

  async #load(): Promise<void> {
    const full = this.#pendingFull || this.#snapshot === null;
    const trialIds = [...this.#pendingTrialIds];
    this.#pendingFull = false;
    this.#pendingTrialIds.clear();
    if (!full && trialIds.length === 0) {
      return;
    }

    this.#loading = true;
    try {
      const previous = this.#snapshot;
      const next =
        full || previous === null
          ? await loadSnapshot(this.#options.db, this.#options.sweepName)
          : await refreshTrials(this.#options.db, previous, trialIds);
      if (!this.#closed) {
        this.#snapshot = next;
        this.#options.onSnapshot(next);
      }
    } catch (error) {
      // Read again on the next poll or notification.
      this.#reportError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#loading = false;
      this.#lastLoadAt = Date.now();
    }
    if (this.#pendingFull || this.#pendingTrialIds.size > 0) {
      this.#scheduleLoad();
    }
  }

  #setListening(listening: boolean): void {
    if (this.#listening !== listening) {
      this.#listening = listening;
      this.#options.onListeningChange?.(listening);
    }
  }

  #reportError(error: Error): void {
    if (this.#closed) {
      return;
    }
    logger().warn({ err: error, sweep: this.#options.sweepName }, 'sweep feed error');
    this.#options.onError?.(error);
  }
}
