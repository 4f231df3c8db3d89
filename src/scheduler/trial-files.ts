import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactStoreError } from '../artifacts/artifact-errors.ts';
import { guessArtifactKind, type ArtifactKind, type ArtifactOwner } from '../artifacts/artifact-recorder.ts';
import type { ArtifactSpool } from '../artifacts/artifact-spool.ts';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import type { EpochRow, TrialReportInput } from '../reports/trial-report.ts';
import type { TrialReportRenderer } from '../reports/trial-report-renderer.ts';
import { logger } from '../log.ts';
import type { TrialResult } from '../trainer/types.ts';

/** A file of a trial's output folder, with the kind recorded in `artifacts.kind`. */
export interface TrialFile {
  /** Relative to the output folder, `/`-separated. */
  name: string;
  kind: ArtifactKind;
}

/** A trial file after upload, as recorded in the `artifacts` table. */
export interface UploadedFile extends TrialFile {
  key: string;
  uri: string;
  bytes: number;
  sha256: string;
}

export interface UploadReport {
  uploaded: UploadedFile[];
  /** Files the store did not accept; they wait in the spool for `sweep artifacts sync`. */
  spooled: string[];
  /** The store's error for the first spooled file. */
  error?: string;
}

export const metricsFileName = 'metrics.json';
export const reportFileName = 'classification-report.json';
export const logFileName = 'trial.log';

/** Inputs of the trial's charts besides its result. */
export interface TrialChartInput {
  number: number;
  /** Chart title, for example the trial's parameter values. */
  label: string;
  /** Every committed epoch of the trial, both phases. */
  epochs: readonly EpochRow[];
  /** Thread that renders the charts. */
  renderer: TrialReportRenderer;
}

/**
 * Renders the training curves and confusion matrix (SVG and PNG) and the
 * classification report as Markdown into a trial's output folder, in the
 * render thread, and returns them. A chart that fails to render is logged and
 * left out, so the trial still completes.
 */
export async function renderTrialCharts(outputDir: string, result: TrialResult, charts: TrialChartInput): Promise<TrialFile[]> {
  const { renderer, ...input } = charts;
  try {
    const names = await renderer.render({ ...input, result: chartResult(result) }, outputDir);
    return names.map((name) => ({ name, kind: guessArtifactKind(name) }));
  } catch (error) {
    logger().warn({ err: error, trial: charts.number, dir: outputDir }, 'rendering the trial charts failed');
    return [];
  }
}

/**
 * Writes metrics.json, the classification report as JSON and the trial log
 * into a trial's output folder, and returns them with the `rendered` files and
 * the files the trainer wrote.
 */
export async function writeTrialFiles(outputDir: string, result: TrialResult, logLines: readonly string[], rendered: readonly TrialFile[] = []): Promise<TrialFile[]> {
  const { per_class, confusion, macro_avg, weighted_avg, class_names, files, ...summary } = result;
  const report = { class_names, per_class, macro_avg, weighted_avg, confusion };
  await writeFile(join(outputDir, metricsFileName), `${JSON.stringify(summary, jsonNumbers, 2)}\n`);
  await writeFile(join(outputDir, reportFileName), `${JSON.stringify(report, jsonNumbers, 2)}\n`);
  await writeFile(join(outputDir, logFileName), logLines.map((line) => `${line}\n`).join(''));

  const written: TrialFile[] = [
    { name: metricsFileName, kind: 'metrics' },
    { name: reportFileName, kind: 'report' },
    { name: logFileName, kind: 'log' },
    ...rendered,
  ];
  for (const name of files) {
    if (!written.some((file) => file.name === name)) {
      written.push({ name, kind: guessArtifactKind(name) });
    }
  }
  return written;
}

/** Uploads at once; a trial has a handful of files, so this bounds open files and connections. */
const parallelUploads = 4;

/**
 * Uploads a trial's files to the artifact store, a few at a time. Files the
 * store rejects (after its own retries) go to the spool instead, so the trial
 * can still complete; a later sync uploads and records them.
 */
export async function uploadTrialFiles(
  store: ArtifactStore,
  spool: ArtifactSpool | undefined,
  owner: ArtifactOwner & { trialNumber: number },
  dir: string,
  files: readonly TrialFile[],
): Promise<UploadReport> {
  const report: UploadReport = { uploaded: [], spooled: [] };
  const queue = [...files];

  const uploadNext = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const sourceFile = join(dir, ...file.name.split('/'));
      try {
        const key = store.keyFor({ sweep: owner.sweepName, trial: owner.trialNumber, name: file.name });
        const stored = await store.put(key, sourceFile);
        report.uploaded.push({ ...file, key: stored.key, uri: stored.uri, bytes: stored.bytes, sha256: stored.sha256 });
      } catch (error) {
        if (!(error instanceof ArtifactStoreError) || spool === undefined) {
          throw error;
        }
        report.error ??= error.message;
        await spool.add({ location: store.description, owner, kind: file.kind, name: file.name, sourceFile, reason: error.message });
        report.spooled.push(file.name);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelUploads, files.length) }, uploadNext));
  return report;
}

/** Picks the parts of a result that the charts and the Markdown report read, so only these are copied to the render thread. */
function chartResult(result: TrialResult): TrialReportInput['result'] {
  const { phases, confusion, class_names, per_class, macro_avg, weighted_avg, test_accuracy } = result;
  return { phases, confusion, class_names, per_class, macro_avg, weighted_avg, test_accuracy };
}

/** JSON has no NaN or Infinity: they are written as the strings "NaN", "Infinity" and "-Infinity". */
function jsonNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return String(value);
  }
  return value;
}
