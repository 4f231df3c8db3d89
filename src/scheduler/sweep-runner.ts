import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { encodeKeySegment } from '../artifacts/artifact-key.ts';
import type { ArtifactSpool } from '../artifacts/artifact-spool.ts';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import { logger } from '../log.ts';
import { stateDir } from '../paths.ts';
import type { MonitoredMetric, TrialConfig } from '../spec/trial-config.ts';
import { recordArtifacts } from '../storage/artifact-repository.ts';
import type { Database } from '../storage/schema.ts';
import { recordTrialResult } from '../storage/trial-repository.ts';
import type { EpochMetrics, TrialResult } from '../trainer/types.ts';
import type { DevicePlan, DeviceSlot } from './devices.ts';
import type { Pruner } from './pruning/pruner.ts';
import type { SweepEventEmitter, SweepFinishedEvent } from './events.ts';
import { TrialPool, type RunningTrial } from './trial-pool.ts';
import { LeaseLostError, TrialQueue, type ClaimedTrial } from './trial-queue.ts';
import { formatParameter } from '../spec/format-parameter.ts';
import { TrialReportRenderer } from '../reports/trial-report-renderer.ts';
import { renderTrialCharts, uploadTrialFiles, writeTrialFiles } from './trial-files.ts';
import { makeWorkerId } from './worker-id.ts';
import { describeError } from './worker/trial-execution.ts';
import type { TrialMessage, TrialOutcome } from './worker/trial-protocol.ts';

/** Default seconds a claim stays valid without a heartbeat; a dead worker's trial is requeued within lease + heartbeat. */
export const defaultLeaseSeconds = 30;

export interface SweepRunnerOptions {
  db: Kysely<Database>;
  sweepId: string;
  sweepName: string;
  plan: DevicePlan;
  events: SweepEventEmitter;
  /** Store that receives trial files after training; absent, they stay in the run folder only. */
  artifacts?: ArtifactStore;
  /** Receives the files the artifact store rejects, for a later sync. */
  spool?: ArtifactSpool;
  workerId?: string;
  /** Default 30 s (`defaultLeaseSeconds`). */
  leaseSeconds?: number;
  /** Seconds between heartbeats, which also look for expired leases. Default a third of the lease. */
  heartbeatSeconds?: number;
  /** State folder for run output and checkpoints. Default `stateDir()`. */
  stateDir?: string;
  /** Seconds to wait after an immediate stop before running trials are killed. Default 5. */
  terminateAfterSeconds?: number;
  /** Stops unpromising trials after an epoch (the sweep file's `pruning:`); absent: no pruning. */
  pruning?: { pruner: Pruner; metric: MonitoredMetric };
}

/** Counts and timings of one `run()` in this process. */
export interface SweepRunSummary {
  reason: SweepFinishedEvent['reason'];
  /** Trials this process took to a final state or back to the queue, by outcome. */
  completed: number;
  failed: number;
  cancelled: number;
  released: number;
  pruned: number;
  /**
   * Orchestration time per completed trial in ms: claim, database writes, files
   * and upload. Rendering the charts runs in its own thread and is left out
   * (it is the `charts` step of `overheadSteps`).
   */
  overheadMs: number[];
  /**
   * The part of `overheadMs` during which the trial's device slot waited (claim,
   * preparation, epoch commits). Recording the result overlaps the next trial.
   */
  slotIdleMs: number[];
  /** The same time split by step, one entry per completed trial, in ms. */
  overheadSteps: Partial<Record<OverheadStep, number>>[];
  /** Wall time of each completed trial from its claim to its COMPLETE commit, in ms. */
  trialMs: number[];
}

/** Steps of the work around a trial, for `SweepRunSummary.overheadSteps`. */
export type OverheadStep = 'claim' | 'prepare' | 'epochs' | 'files' | 'charts' | 'upload' | 'commit';

type StopReason = 'cancel' | 'lease-lost' | 'interrupt' | 'database' | 'prune';

interface LocalTrial {
  claimed: ClaimedTrial;
  slot: DeviceSlot;
  handle?: RunningTrial;
  stopReason?: StopReason;
  /** Set when the pruner stopped the trial. */
  pruned?: { epochs: number; reason: string };
  /** Epoch rows committed by earlier attempts, to tell a resume from a restart. */
  previousEpochs: { phase: string; epochs: number }[];
  sawEpoch: boolean;
  /** Epoch writes run one after another in this chain. */
  writes: Promise<void>;
  logLines: string[];
  overheadMs: number;
  steps: Partial<Record<OverheadStep, number>>;
  /** Orchestration time during which the trial held its device slot, in ms. */
  slotIdleMs: number;
  slotReleased: boolean;
  /** performance.now() when the claim began. */
  claimedAt: number;
  outputDir: string;
  checkpointDir: string;
}

/**
 * Runs a sweep's trials in this process until none is left: claims trials
 * from PostgreSQL, trains them in the Piscina pool, commits each epoch as it
 * ends, renews leases, and records results and files. `sweep start` and
 * `sweep agent` both run this loop, so several processes or hosts can share a
 * sweep. Only this class writes to the trials it claimed.
 */
export class SweepRunner {
  readonly #options: SweepRunnerOptions;
  readonly #queue: TrialQueue;
  readonly #leaseSeconds: number;
  readonly #heartbeatMs: number;
  readonly #running = new Map<string, LocalTrial>();
  readonly #freeSlots: DeviceSlot[];
  #pool: TrialPool | undefined;
  readonly #renderer = new TrialReportRenderer();
  #stopMode: 'graceful' | 'immediate' | undefined;
  #wake: () => void = () => {};
  #summary: SweepRunSummary = { reason: 'done', completed: 0, failed: 0, cancelled: 0, released: 0, pruned: 0, overheadMs: [], slotIdleMs: [], overheadSteps: [], trialMs: [] };

  constructor(options: SweepRunnerOptions) {
    if (options.plan.slots.length === 0) {
      throw new RangeError('options.plan.slots must list at least one device slot');
    }
    this.#options = options;
    this.#leaseSeconds = options.leaseSeconds ?? defaultLeaseSeconds;
    this.#heartbeatMs = 1000 * (options.heartbeatSeconds ?? this.#leaseSeconds / 3);
    this.#freeSlots = [...options.plan.slots];
    this.#queue = new TrialQueue(options.db, {
      sweepId: options.sweepId,
      sweepName: options.sweepName,
      workerId: options.workerId ?? makeWorkerId(),
      leaseSeconds: this.#leaseSeconds,
    });
  }

  get workerId(): string {
    return this.#queue.workerId;
  }

  /**
   * Stops the run. `graceful` claims nothing more and lets each running trial
   * end after its current epoch is committed, and a trial in its last epoch
   * finishes. `immediate` aborts running trials at the end of their current
   * batch and kills them if they do not stop in time. Either way the stopped
   * trials go back to WAITING without counting the attempt.
   */
  stop(mode: 'graceful' | 'immediate'): void {
    if (this.#stopMode === 'immediate' || this.#stopMode === mode) {
      return;
    }
    this.#stopMode = mode;
    this.#options.events.emit('stopping', { sweep: this.#options.sweepName, mode });
    if (mode === 'immediate') {
      for (const trial of this.#running.values()) {
        this.#abortTrial(trial, 'interrupt', 'interrupted by the user');
      }
      const grace = 1000 * (this.#options.terminateAfterSeconds ?? 5);
      setTimeout(() => {
        for (const trial of this.#running.values()) {
          trial.handle?.terminate('interrupted by the user');
        }
      }, grace).unref();
    }
    this.#wake();
  }

  /** Runs until no trial is WAITING or RUNNING, the sweep is cancelled, or `stop` is called. */
  async run(): Promise<SweepRunSummary> {
    const { events, sweepName, sweepId, plan } = this.#options;
    this.#pool = new TrialPool({ size: plan.slots.length, isolation: plan.isolation });
    events.emit('sweep-started', {
      sweep: sweepName,
      sweepId,
      workerId: this.workerId,
      workers: plan.slots.length,
      counts: await this.#queue.countByState(),
    });
    logger().info({ sweep: sweepName, worker: this.workerId, workers: plan.slots.length, isolation: plan.isolation }, 'sweep run started');

    const heartbeat = setInterval(() => void this.#heartbeat(), this.#heartbeatMs);
    try {
      await this.#requeueExpired();
      this.#summary.reason = await this.#loop();
    } finally {
      clearInterval(heartbeat);
      await this.#pool.close(this.#stopMode === 'immediate');
      await this.#renderer.close();
    }

    const counts = await this.#queue.countByState();
    events.emit('sweep-finished', { sweep: sweepName, reason: this.#summary.reason, counts });
    logger().info({ sweep: sweepName, worker: this.workerId, reason: this.#summary.reason, counts }, 'sweep run ended');
    return this.#summary;
  }

  async #loop(): Promise<SweepFinishedEvent['reason']> {
    for (;;) {
      if (this.#stopMode === undefined) {
        await this.#fillSlots();
      }
      if (this.#running.size === 0) {
        if (this.#stopMode !== undefined) {
          return 'interrupted';
        }
        const status = await this.#queue.sweepStatus();
        if (status === 'CANCELLED') {
          return 'cancelled';
        }
        const counts = await this.#queue.countByState();
        if ((counts.WAITING ?? 0) === 0 && (counts.RUNNING ?? 0) === 0) {
          await this.#queue.finishSweepIfDone();
          return 'done';
        }
        if (status !== 'RUNNING') {
          return 'done';
        }
      }
      // Other workers may still hold trials: wait for a local trial to end, a
      // stop, or the next poll, which may find trials requeued from a dead worker.
      await this.#sleep(this.#heartbeatMs);
      if (this.#running.size < this.#options.plan.slots.length) {
        await this.#requeueExpired();
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = finish;
    });
  }

  async #fillSlots(): Promise<void> {
    while (this.#freeSlots.length > 0 && this.#stopMode === undefined) {
      const slot = this.#freeSlots[0] as DeviceSlot;
      const claimStart = performance.now();
      const claimed = await this.#queue.claim(slot.name);
      if (claimed === undefined) {
        return;
      }
      this.#freeSlots.shift();
      void this.#runTrial(claimed, slot, claimStart);
    }
  }

  async #runTrial(claimed: ClaimedTrial, slot: DeviceSlot, claimStart: number): Promise<void> {
    const claimMs = performance.now() - claimStart;
    const { sweepName, events } = this.#options;
    const root = this.#options.stateDir ?? stateDir();
    const sweepFolder = encodeKeySegment(sweepName);
    const trial: LocalTrial = {
      claimed,
      slot,
      previousEpochs: [],
      sawEpoch: false,
      writes: Promise.resolve(),
      logLines: [],
      overheadMs: 0,
      steps: {},
      slotIdleMs: 0,
      slotReleased: false,
      claimedAt: claimStart,
      outputDir: join(root, 'runs', sweepFolder, `trial-${claimed.number}`),
      checkpointDir: join(root, 'checkpoints', sweepFolder, String(claimed.number)),
    };
    this.#running.set(claimed.trialId, trial);
    this.#addStep(trial, 'claim', claimMs);
    const ref = { sweep: sweepName, trialId: claimed.trialId, number: claimed.number, attempt: claimed.attempt };

    try {
      events.emit('trial-started', { ...ref, device: slot.name, params: claimed.params });
      this.#log(trial, `attempt ${claimed.attempt} of ${claimed.maxAttempts} started on ${slot.name} by ${this.workerId}`);
      logger().info({ sweep: sweepName, trial: claimed.number, attempt: claimed.attempt, device: slot.name, params: claimed.params }, 'trial started');
      const prepareStart = performance.now();
      trial.previousEpochs = await this.#queue.committedEpochs(claimed.trialId);
      // Each attempt writes a fresh output folder; the checkpoint folder is kept for resuming.
      await rm(trial.outputDir, { recursive: true, force: true });
      await mkdir(trial.outputDir, { recursive: true });
      this.#addStep(trial, 'prepare', performance.now() - prepareStart);

      const pool = this.#pool as TrialPool;
      trial.handle = pool.run(
        {
          trialId: claimed.trialId,
          sweep: sweepName,
          number: claimed.number,
          attempt: claimed.attempt,
          config: claimed.config,
          outputDir: trial.outputDir,
          checkpointDir: trial.checkpointDir,
        },
        slot.cudaVisibleDevices,
        (message) => this.#onTrialMessage(trial, message),
      );
      const outcome = await trial.handle.outcome;
      await trial.writes;
      // Training is over, so the device takes the next trial while this one's
      // files and result are recorded. The trial stays in #running, so its
      // lease is still renewed until it is settled.
      trial.slotIdleMs = trial.overheadMs;
      this.#releaseSlot(trial);
      await this.#settle(trial, outcome);
    } catch (error) {
      // The database or the file system failed outside training. The lease
      // expires and another worker (or the next start) requeues the trial.
      const message = describeError(error);
      logger().error({ err: error, sweep: sweepName, trial: claimed.number, attempt: claimed.attempt }, 'trial could not be settled');
      events.emit('notice', { sweep: sweepName, level: 'warn', trialId: claimed.trialId, number: claimed.number, message: `trial ${claimed.number}: ${message}` });
    } finally {
      this.#running.delete(claimed.trialId);
      this.#releaseSlot(trial);
      this.#wake();
    }
  }

  #releaseSlot(trial: LocalTrial): void {
    if (trial.slotReleased) {
      return;
    }
    trial.slotReleased = true;
    this.#freeSlots.push(trial.slot);
    this.#wake();
  }

  #onTrialMessage(trial: LocalTrial, message: TrialMessage): void {
    if (message.type === 'log') {
      this.#log(trial, message.message);
      return;
    }
    if (message.type === 'epoch') {
      trial.writes = trial.writes.then(() => this.#commitEpoch(trial, message.seq, message.metrics));
    }
  }

  async #commitEpoch(trial: LocalTrial, seq: number, metrics: EpochMetrics): Promise<void> {
    const { claimed } = trial;
    const { sweepName, events } = this.#options;
    const start = performance.now();
    let cancelRequested = false;
    try {
      cancelRequested = (await this.#queue.recordEpoch(claimed, metrics)).cancelRequested;
    } catch (error) {
      const reason: StopReason = error instanceof LeaseLostError ? 'lease-lost' : 'database';
      logger().warn({ err: error, sweep: sweepName, trial: claimed.number, attempt: claimed.attempt }, 'epoch not committed; stopping the trial');
      this.#abortTrial(trial, reason, describeError(error));
      return;
    }
    this.#addStep(trial, 'epochs', performance.now() - start);

    if (!trial.sawEpoch) {
      trial.sawEpoch = true;
      this.#reportResumeOrRestart(trial, metrics);
    }
    const ref = { sweep: sweepName, trialId: claimed.trialId, number: claimed.number, attempt: claimed.attempt };
    events.emit('epoch', { ...ref, metrics });
    this.#log(trial, `${metrics.phase} epoch ${metrics.epoch}: loss ${metrics.loss}, accuracy ${metrics.accuracy}, val_accuracy ${metrics.val_accuracy}`);

    let stop = false;
    if (cancelRequested) {
      trial.stopReason = 'cancel';
      stop = true;
    } else if (this.#stopMode !== undefined && !isFinalEpoch(claimed.config, metrics)) {
      trial.stopReason = 'interrupt';
      stop = true;
    } else if (this.#options.pruning !== undefined && !isFinalEpoch(claimed.config, metrics)) {
      stop = await this.#shouldPrune(trial);
    }
    trial.handle?.control({ type: 'ack', seq, stop });
  }

  /** Asks the pruner about a trial that has just committed an epoch; errors keep the trial running. */
  async #shouldPrune(trial: LocalTrial): Promise<boolean> {
    const pruning = this.#options.pruning;
    if (pruning === undefined) {
      return false;
    }
    try {
      const curves = await this.#queue.curves(pruning.metric);
      const own = curves.find((curve) => curve.trialId === trial.claimed.trialId);
      if (own === undefined) {
        return false;
      }
      const decision = pruning.pruner.decide(own, curves.filter((curve) => curve !== own));
      if (!decision.prune) {
        return false;
      }
      trial.stopReason = 'prune';
      trial.pruned = { epochs: own.values.length, reason: decision.reason };
      return true;
    } catch (error) {
      logger().warn({ err: error, sweep: this.#options.sweepName, trial: trial.claimed.number }, 'pruning decision failed; the trial goes on');
      return false;
    }
  }

  #reportResumeOrRestart(trial: LocalTrial, first: EpochMetrics): void {
    const { claimed } = trial;
    const committed = trial.previousEpochs.reduce((sum, phase) => sum + phase.epochs, 0);
    let message: string | undefined;
    if (first.phase !== 'head' || first.epoch > 1) {
      message = `trial ${claimed.number} resumed from its checkpoint at ${first.phase} epoch ${first.epoch - 1}`;
    } else if (committed > 0) {
      message = `trial ${claimed.number} restarted from epoch 1: no checkpoint of its earlier attempt was found, so its ${committed} committed epochs are redone`;
    }
    if (message === undefined) {
      return;
    }
    this.#log(trial, message);
    this.#options.events.emit('notice', { sweep: this.#options.sweepName, level: 'info', trialId: claimed.trialId, number: claimed.number, message });
  }

  async #settle(trial: LocalTrial, outcome: TrialOutcome): Promise<void> {
    const { claimed } = trial;
    const { sweepName, events } = this.#options;
    const ref = { sweep: sweepName, trialId: claimed.trialId, number: claimed.number, attempt: claimed.attempt };

    if (trial.stopReason === 'lease-lost') {
      const message = `trial ${claimed.number} attempt ${claimed.attempt} stopped: its lease was lost to the lease sweeper or another worker, so this worker discards its work`;
      events.emit('notice', { sweep: sweepName, level: 'warn', trialId: claimed.trialId, number: claimed.number, message });
      return;
    }
    if (outcome.status === 'complete') {
      try {
        await this.#finish(trial, outcome.result);
      } catch (error) {
        if (error instanceof LeaseLostError) {
          throw error;
        }
        // Training worked but recording it did not: count the attempt and retry while attempts remain.
        await this.#failTrial(trial, `recording the finished trial failed: ${describeError(error)}`, true);
      }
      return;
    }
    if (trial.stopReason === 'prune' && trial.pruned !== undefined) {
      if (await this.#queue.markPruned(claimed, trial.pruned.epochs, trial.pruned.reason)) {
        this.#summary.pruned += 1;
        this.#log(trial, `pruned after ${trial.pruned.epochs} epochs: ${trial.pruned.reason}`);
        logger().info({ sweep: sweepName, trial: claimed.number, epochs: trial.pruned.epochs, reason: trial.pruned.reason }, 'trial pruned');
        events.emit('trial-pruned', { ...ref, epochs: trial.pruned.epochs, reason: trial.pruned.reason });
      }
      return;
    }
    if (trial.stopReason === 'cancel') {
      if (await this.#queue.markCancelled(claimed)) {
        this.#summary.cancelled += 1;
        events.emit('trial-cancelled', ref);
      }
      return;
    }
    if (trial.stopReason === 'interrupt' || trial.stopReason === 'database') {
      const reason = trial.stopReason === 'interrupt' ? 'interrupted by the user; the attempt is not counted' : 'the database write of an epoch failed; the attempt is not counted';
      if (await this.#queue.release(claimed, reason)) {
        this.#summary.released += 1;
        events.emit('trial-released', { ...ref, reason });
      }
      return;
    }

    const error = outcome.status === 'failed' ? outcome.error : `trial stopped unexpectedly: ${outcome.reason}`;
    await this.#failTrial(trial, error, false);
  }

  async #failTrial(trial: LocalTrial, error: string, retry: boolean): Promise<void> {
    const { claimed } = trial;
    const { sweepName, events } = this.#options;
    const ref = { sweep: sweepName, trialId: claimed.trialId, number: claimed.number, attempt: claimed.attempt };
    this.#log(trial, `failed: ${error}`);
    const state = await this.#queue.fail(claimed, error, retry);
    if (state === undefined) {
      return;
    }
    this.#summary.failed += 1;
    logger().warn({ sweep: sweepName, trial: claimed.number, attempt: claimed.attempt, error }, 'trial failed');
    events.emit('trial-failed', { ...ref, error, requeued: state === 'WAITING' });
  }

  async #finish(trial: LocalTrial, result: TrialResult): Promise<void> {
    const { claimed } = trial;
    const { sweepName, sweepId, events, artifacts } = this.#options;

    this.#log(trial, `finished: test_accuracy ${result.test_accuracy}, overfitting_gap ${result.overfitting_gap}`);
    let stepStart = performance.now();
    const epochs = await this.#options.db
      .selectFrom('epoch_metrics')
      .select(['phase', 'epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy'])
      .where('trial_id', '=', claimed.trialId)
      .execute();
    const label = Object.entries(claimed.params).map(([name, value]) => `${name}=${formatParameter(value)}`).join(' ') || (claimed.isBaseline ? 'baseline' : '');
    stepStart = this.#addStep(trial, 'files', performance.now() - stepStart);
    const charts = await renderTrialCharts(trial.outputDir, result, { number: claimed.number, label, epochs, renderer: this.#renderer });
    stepStart = this.#addStep(trial, 'charts', performance.now() - stepStart);
    const files = await writeTrialFiles(trial.outputDir, result, trial.logLines, charts);
    stepStart = this.#addStep(trial, 'files', performance.now() - stepStart);
    const owner = { sweepId, sweepName, trialId: claimed.trialId, trialNumber: claimed.number };
    const upload = artifacts === undefined ? undefined : await uploadTrialFiles(artifacts, this.#options.spool, owner, trial.outputDir, files);
    const uploaded = upload?.uploaded ?? [];
    if (upload !== undefined && upload.spooled.length > 0) {
      const message = `trial ${claimed.number}: ${upload.spooled.length} files could not be uploaded (${upload.error}); they wait in the spool for the next artifact sync`;
      logger().warn({ sweep: sweepName, trial: claimed.number, files: upload.spooled, error: upload.error }, 'trial files spooled');
      events.emit('notice', { sweep: sweepName, level: 'warn', trialId: claimed.trialId, number: claimed.number, message });
    }
    stepStart = this.#addStep(trial, 'upload', performance.now() - stepStart);
    await this.#queue.complete(claimed, async (trx) => {
      await recordTrialResult(trx, claimed.trialId, result);
      await recordArtifacts(
        trx,
        uploaded.map((file) => ({ sweepId, trialId: claimed.trialId, kind: file.kind, name: file.name, key: file.key, uri: file.uri, bytes: file.bytes, sha256: file.sha256 })),
      );
    });
    const committedAt = performance.now();
    this.#addStep(trial, 'commit', committedAt - stepStart);
    // The checkpoint only serves an interrupted attempt, and a completed trial
    // never resumes. Removing it overlaps the next trial instead of delaying it.
    void rm(trial.checkpointDir, { recursive: true, force: true }).catch((error: unknown) => {
      logger().warn({ err: error, sweep: sweepName, trial: claimed.number, dir: trial.checkpointDir }, 'removing the checkpoint failed');
    });

    this.#summary.completed += 1;
    this.#summary.overheadMs.push(trial.overheadMs);
    this.#summary.slotIdleMs.push(trial.slotIdleMs);
    this.#summary.overheadSteps.push(trial.steps);
    this.#summary.trialMs.push(committedAt - trial.claimedAt);
    logger().info(
      { sweep: sweepName, trial: claimed.number, attempt: claimed.attempt, params: claimed.params, test_accuracy: result.test_accuracy, overfitting_gap: result.overfitting_gap },
      'trial complete',
    );
    events.emit('trial-finished', {
      sweep: sweepName,
      trialId: claimed.trialId,
      number: claimed.number,
      attempt: claimed.attempt,
      testAccuracy: result.test_accuracy,
      overfittingGap: result.overfitting_gap,
      seconds: result.seconds,
      overheadSeconds: trial.overheadMs / 1000,
    });
  }

  async #heartbeat(): Promise<void> {
    for (const trial of [...this.#running.values()]) {
      try {
        const status = await this.#queue.renew(trial.claimed);
        if (!status.held) {
          this.#abortTrial(trial, 'lease-lost', 'lease lost: another worker or the lease sweeper took the trial');
        } else if (status.cancelRequested) {
          this.#abortTrial(trial, 'cancel', 'cancelled by request');
        }
      } catch (error) {
        logger().warn({ err: error, sweep: this.#options.sweepName, trial: trial.claimed.number }, 'lease renewal failed; retrying at the next heartbeat');
      }
    }
    await this.#requeueExpired();
  }

  async #requeueExpired(): Promise<void> {
    try {
      const expired = await this.#queue.requeueExpired();
      for (const lease of expired) {
        logger().warn({ sweep: this.#options.sweepName, trial: lease.number, previousOwner: lease.previousOwner, ownerGone: lease.ownerGone, state: lease.newState }, 'trial lease expired');
        this.#options.events.emit('lease-expired', { sweep: this.#options.sweepName, ...lease });
      }
      if (expired.length > 0) {
        this.#wake();
      }
    } catch (error) {
      logger().warn({ err: error, sweep: this.#options.sweepName }, 'looking for expired leases failed; retrying at the next heartbeat');
    }
  }

  #abortTrial(trial: LocalTrial, reason: StopReason, message: string): void {
    if (trial.stopReason === undefined || reason === 'lease-lost') {
      trial.stopReason = reason;
    }
    trial.handle?.control({ type: 'abort', reason: message });
  }

  /**
   * Adds `ms` to a step of the trial's orchestration time and returns the
   * current time. Charts render in their own thread while the main thread
   * serves other trials, so they are timed apart from the orchestration.
   */
  #addStep(trial: LocalTrial, step: OverheadStep, ms: number): number {
    trial.steps[step] = (trial.steps[step] ?? 0) + ms;
    if (step !== 'charts') {
      trial.overheadMs += ms;
    }
    return performance.now();
  }

  #log(trial: LocalTrial, message: string): void {
    trial.logLines.push(`${new Date().toISOString()} ${message}`);
  }
}

/** True when an epoch is the last one the trial can run, so a graceful stop lets it finish. */
function isFinalEpoch(config: TrialConfig, metrics: EpochMetrics): boolean {
  const fineTune = config.training.fine_tune;
  const hasFineTune = fineTune !== undefined && fineTune.unfreeze_layers > 0;
  if (metrics.phase === 'head') {
    return !hasFineTune && metrics.epoch >= config.training.head.max_epochs;
  }
  return fineTune !== undefined && metrics.epoch >= fineTune.max_epochs;
}
