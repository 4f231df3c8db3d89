import { EventEmitter } from 'node:events';
import type { TrialState } from '../storage/schema.ts';
import type { EpochMetrics } from '../trainer/types.ts';

/** Fields shared by every event about one trial. */
export interface TrialRef {
  sweep: string;
  trialId: string;
  number: number;
  /** 1-based attempt of this run of the trial. */
  attempt: number;
}

export interface SweepStartedEvent {
  sweep: string;
  sweepId: string;
  workerId: string;
  /** Trials this process runs at once. */
  workers: number;
  /** Trials of the sweep by state when the run began. */
  counts: Partial<Record<TrialState, number>>;
}

export interface TrialStartedEvent extends TrialRef {
  device: string;
  params: Record<string, unknown>;
}

export interface TrialEpochEvent extends TrialRef {
  metrics: EpochMetrics;
}

export interface TrialFinishedEvent extends TrialRef {
  testAccuracy: number;
  overfittingGap: number;
  seconds: number;
  /** Seconds spent outside training: claiming, writes and artifact upload. */
  overheadSeconds: number;
}

export interface TrialFailedEvent extends TrialRef {
  error: string;
  /** True when the trial went back to WAITING for another attempt. */
  requeued: boolean;
}

export interface TrialReleasedEvent extends TrialRef {
  /** Reason the trial went back to WAITING without counting the attempt. */
  reason: string;
}

export interface TrialCancelledEvent extends TrialRef {}

export interface TrialPrunedEvent extends TrialRef {
  /** Epochs the trial ran, both phases counted. */
  epochs: number;
  /** The pruner's reason. */
  reason: string;
}

export interface LeaseExpiredEvent {
  sweep: string;
  trialId: string;
  number: number;
  /** The worker that stopped renewing its lease. */
  previousOwner: string | null;
  /** True when that worker's process on this host had ended, so the lease was not waited out. */
  ownerGone: boolean;
  newState: TrialState;
}

export interface SweepNoticeEvent {
  sweep: string;
  level: 'info' | 'warn';
  message: string;
  trialId?: string;
  number?: number;
}

export interface SweepStoppingEvent {
  sweep: string;
  /** `graceful`: no new claims, running trials stop after their epoch; `immediate`: running trials are aborted. */
  mode: 'graceful' | 'immediate';
}

export interface SweepFinishedEvent {
  sweep: string;
  /** Why this process stopped: no trial left, the sweep was cancelled, or the user interrupted it. */
  reason: 'done' | 'cancelled' | 'interrupted';
  counts: Partial<Record<TrialState, number>>;
}

/** Event names and their argument lists, for `SweepEventEmitter`. */
export interface SweepEvents {
  'sweep-started': [SweepStartedEvent];
  'trial-started': [TrialStartedEvent];
  epoch: [TrialEpochEvent];
  'trial-finished': [TrialFinishedEvent];
  'trial-failed': [TrialFailedEvent];
  'trial-released': [TrialReleasedEvent];
  'trial-cancelled': [TrialCancelledEvent];
  'trial-pruned': [TrialPrunedEvent];
  'lease-expired': [LeaseExpiredEvent];
  notice: [SweepNoticeEvent];
  stopping: [SweepStoppingEvent];
  'sweep-finished': [SweepFinishedEvent];
}

/**
 * Typed emitter of what a sweep run does in this process. The terminal UI and
 * the plain line printer subscribe to it; other processes follow the same
 * changes through PostgreSQL notifications (see `SweepNotification`).
 */
export class SweepEventEmitter extends EventEmitter<SweepEvents> {}

/** Channel of the `pg_notify` messages sent on every trial state change and epoch. */
export const notificationChannel = 'sweep_events';

/**
 * Payload of one `sweep_events` notification, sent as JSON. It stays small
 * (PostgreSQL limits a payload to 8000 bytes): listeners read the details from
 * the tables.
 */
export interface SweepNotification {
  type: 'trial-state' | 'epoch' | 'sweep-state';
  sweep: string;
  sweep_id: string;
  trial_id?: string;
  number?: number;
  /** New trial state for `trial-state`, new sweep status for `sweep-state`. */
  state?: string;
  attempt?: number;
  phase?: string;
  epoch?: number;
  val_accuracy?: number;
}
