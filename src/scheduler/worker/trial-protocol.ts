import type { MessagePort } from 'node:worker_threads';
import type { TrialConfig } from '../../spec/trial-config.ts';
import type { EpochMetrics, TrialResult } from '../../trainer/types.ts';
import type { TrialIsolation } from '../devices.ts';

/**
 * Messages between the main process, which owns the database, and the place a
 * trial trains (a Piscina worker thread, or a child process that the worker
 * relays for). The trainer waits for each epoch's `ack`, so an epoch counts as
 * done only once the main process has committed it.
 */

/** Message a trial sends while it trains. */
export type TrialMessage =
  | { type: 'epoch'; seq: number; metrics: EpochMetrics }
  | { type: 'log'; message: string }
  /** Sent by the worker when it has started the trial's child process, so the main process can kill it. */
  | { type: 'child'; pid: number };

/** Message the main process sends to a training trial. */
export type ControlMessage =
  /** Confirms that epoch `seq` is committed; `stop` requests that the trial end now that its epoch is saved. */
  | { type: 'ack'; seq: number; stop: boolean }
  /** Stops training at the end of the current batch. */
  | { type: 'abort'; reason: string };

/** Outcome of one run of a trial. Everything is plain data so it crosses threads and processes. */
export type TrialOutcome =
  | { status: 'complete'; result: TrialResult }
  /** Stopped on request (`ack.stop` or `abort`); `reason` repeats the request. */
  | { status: 'aborted'; reason: string }
  /** `crashed`: the process or thread died (exit, signal, out of memory) instead of raising an error. */
  | { status: 'failed'; error: string; crashed: boolean };

/** The part of a trial task that can be sent to a child process as JSON. */
export interface TrialSpecifics {
  trialId: string;
  sweep: string;
  number: number;
  attempt: number;
  config: TrialConfig;
  outputDir: string;
  checkpointDir: string;
}

/** The Piscina task of one trial. */
export interface TrialTask extends TrialSpecifics {
  isolation: TrialIsolation;
  /** `CUDA_VISIBLE_DEVICES` for the child process; undefined keeps the parent's value. */
  cudaVisibleDevices?: string;
  /** Node.js flags of the child process: the main process's garbage-collector flag (a worker thread cannot read it). */
  nodeFlags: string[];
  /** The worker's end of the channel; transferred with the task. */
  port: MessagePort;
}

/** Messages on the IPC channel between a worker and its child process. */
export type ChildInbound = { type: 'start'; trial: TrialSpecifics } | ControlMessage;
export type ChildOutbound = TrialMessage | { type: 'outcome'; outcome: TrialOutcome };

/** A two-way message channel: a MessagePort in a thread, the IPC channel in a child process. */
export interface TrialChannel {
  send(message: TrialMessage): void;
  onControl(listener: (message: ControlMessage) => void): void;
}
