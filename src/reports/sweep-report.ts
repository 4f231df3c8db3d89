import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { formatParameter } from '../spec/format-parameter.ts';
import {
  accuracyGapSpec,
  confusionMatrixSpec,
  overlaidCurvesSpec,
  parameterEffectSpec,
  type EffectRow,
  type ScatterPoint,
} from './charts.ts';
import { mostConfusedPairs, type ConfusedPair } from './classification-report.ts';
import { renderSvg, svgToPng } from './render.ts';
import type { ReportTrial, SweepReportData } from './sweep-report-data.ts';

export { formatParameter };

/** Files of a sweep report, relative to its folder. */
export interface SweepReportFiles {
  html: string;
  markdown: string;
  charts: string[];
}

function formatNumber(value: number | null, digits = 4): string {
  if (value === null) {
    return '';
  }
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/** Accuracy as a percentage with two decimals, e.g. 82.75%. */
function formatPercent(value: number | null): string {
  return value !== null && Number.isFinite(value) ? `${(value * 100).toFixed(2)}%` : formatNumber(value);
}

/** Difference of two accuracies in percentage points, signed, e.g. +9.63. */
function formatPoints(value: number | null, reference: number | null): string {
  if (value === null || reference === null || !Number.isFinite(value) || !Number.isFinite(reference)) {
    return 'n/a';
  }
  const points = (value - reference) * 100;
  return `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(2)} points`;
}

/** Parameter names that take more than one value among the sweep's trials. */
export function sweptParameters(trials: readonly ReportTrial[]): string[] {
  const values = new Map<string, Set<string>>();
  for (const trial of trials) {
    for (const [name, value] of Object.entries(trial.params)) {
      const seen = values.get(name) ?? new Set<string>();
      seen.add(JSON.stringify(value));
      values.set(name, seen);
    }
  }
  return [...values.entries()].filter(([, seen]) => seen.size > 1).map(([name]) => name).sort();
}

/** Mean and best accuracy and mean gap per value of each swept parameter, over finished non-baseline trials. */
export function parameterEffects(trials: readonly ReportTrial[], parameters: readonly string[]): EffectRow[] {
  const finished = trials.filter((trial) => !trial.is_baseline && trial.state === 'COMPLETE');
  const rows: EffectRow[] = [];
  for (const parameter of parameters) {
    const groups = new Map<string, ReportTrial[]>();
    for (const trial of finished) {
      const key = formatParameter(trial.params[parameter]);
      groups.set(key, [...(groups.get(key) ?? []), trial]);
    }
    for (const [value, group] of groups) {
      const accuracies = group.map((trial) => trial.test_accuracy).filter((x): x is number => x !== null && Number.isFinite(x));
      const gaps = group.map((trial) => trial.overfitting_gap).filter((x): x is number => x !== null && Number.isFinite(x));
      rows.push({
        parameter,
        value,
        trials: group.length,
        mean_accuracy: accuracies.length > 0 ? mean(accuracies) : null,
        max_accuracy: accuracies.length > 0 ? Math.max(...accuracies) : null,
        mean_gap: gaps.length > 0 ? mean(gaps) : null,
      });
    }
  }
  return rows;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function scatterKind(trial: ReportTrial, best: ReportTrial | undefined): ScatterPoint['kind'] {
  if (trial === best) {
    return 'best';
  }
  return trial.is_baseline ? 'baseline' : 'other';
}

function trialLabel(trial: ReportTrial, parameters: readonly string[]): string {
  if (trial.is_baseline) {
    return `#${trial.number} baseline`;
  }
  const values = parameters.map((name) => `${name}=${formatParameter(trial.params[name])}`);
  return `#${trial.number}${values.length > 0 ? ` ${values.join(' ')}` : ''}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

interface Section {
  title: string;
  markdown: string;
  html: string;
}

function table(headers: string[], rows: string[][]): { markdown: string; html: string } {
  const markdown = [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return { markdown, html: `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>` };
}

/**
 * Writes the sweep report into `dir`: report.html (self-contained: charts inline as
 * SVG, no scripts, no network at view time), report.md with the same numbers, and
 * each chart as SVG and PNG.
 */
export async function writeSweepReport(data: SweepReportData, dir: string): Promise<SweepReportFiles> {
  await mkdir(dir, { recursive: true });
  const parameters = sweptParameters(data.trials);
  const sections: Section[] = [];
  const charts: string[] = [];

  const addChart = async (name: string, spec: TopLevelSpec): Promise<string> => {
    const svg = await renderSvg(spec);
    await writeFile(join(dir, `${name}.svg`), svg);
    await writeFile(join(dir, `${name}.png`), svgToPng(svg));
    charts.push(`${name}.svg`, `${name}.png`);
    return svg;
  };

  // Leaderboard: finished and failed trials; pruned trials get a table of their own.
  const listed = data.trials.filter((trial) => trial.state !== 'PRUNED');
  const leaderboard = table(
    ['rank', 'trial', ...parameters, 'test accuracy', 'overfitting gap', 'best val accuracy', 'seconds', 'state', 'note'],
    listed.map((trial, index) => [
      trial.state === 'COMPLETE' ? String(index + 1) : '',
      `#${trial.number}${trial.is_baseline ? ' (baseline)' : ''}`,
      ...parameters.map((name) => formatParameter(trial.params[name])),
      formatPercent(trial.test_accuracy),
      formatNumber(trial.overfitting_gap),
      formatPercent(trial.best_val_accuracy),
      formatNumber(trial.duration_seconds, 1),
      trial.state,
      trial === data.best ? 'best' : (trial.error?.split('\n')[0] ?? ''),
    ]),
  );
  sections.push({ title: 'Leaderboard', ...leaderboard });

  const pruned = data.trials.filter((trial) => trial.state === 'PRUNED');
  if (pruned.length > 0) {
    const prunedTable = table(
      ['trial', ...parameters, 'best val accuracy', 'epochs reached', 'reason'],
      pruned.map((trial) => [
        `#${trial.number}`,
        ...parameters.map((name) => formatParameter(trial.params[name])),
        formatPercent(trial.best_val_accuracy),
        trial.pruned_at_epoch === null ? '' : String(trial.pruned_at_epoch),
        trial.error ?? '',
      ]),
    );
    const intro = `${pruned.length === 1 ? '1 trial was' : `${pruned.length} trials were`} stopped early by the sweep's pruner: pruned trials have no test result and are not ranked.`;
    sections.push({ title: 'Pruned trials', markdown: `${intro}\n\n${prunedTable.markdown}`, html: `<p>${escapeHtml(intro)}</p>\n${prunedTable.html}` });
  }

  // The headline comparison: the best trial against the simple-CNN baseline.
  const { best, baseline } = data;
  let headline = 'No trial has finished yet.';
  if (best !== undefined && baseline !== undefined && best !== baseline) {
    headline =
      `Best trial ${trialLabel(best, parameters)} reached ${formatPercent(best.test_accuracy)} test accuracy, ` +
      `${formatPoints(best.test_accuracy, baseline.test_accuracy)} over the simple-CNN baseline #${baseline.number} (${formatPercent(baseline.test_accuracy)}). ` +
      `Overfitting gap: ${formatNumber(best.overfitting_gap, 3)} against the baseline's ${formatNumber(baseline.overfitting_gap, 3)}.`;
  } else if (best !== undefined) {
    headline = `Best trial ${trialLabel(best, parameters)} reached ${formatPercent(best.test_accuracy)} test accuracy with an overfitting gap of ${formatNumber(best.overfitting_gap, 3)}. The sweep has no finished baseline to compare with.`;
  }
  sections.unshift({ title: 'Best trial against the baseline', markdown: headline, html: `<p class="headline">${escapeHtml(headline)}</p>` });

  // Effect of each swept parameter.
  const effects = parameterEffects(data.trials, parameters);
  if (effects.length > 0) {
    const svg = await addChart('parameter_effects', parameterEffectSpec(effects));
    const effectTable = table(
      ['parameter', 'value', 'trials', 'mean test accuracy', 'max test accuracy', 'mean gap'],
      effects.map((row) => [row.parameter, row.value, String(row.trials), formatPercent(row.mean_accuracy), formatPercent(row.max_accuracy), formatNumber(row.mean_gap)]),
    );
    sections.push({
      title: 'Effect of each swept parameter',
      markdown: `![parameter effects](parameter_effects.png)\n\n${effectTable.markdown}`,
      html: `<figure>${svg}</figure>\n${effectTable.html}`,
    });
  }

  // Accuracy against overfitting gap.
  const scatter: ScatterPoint[] = data.trials
    .filter((trial) => trial.state === 'COMPLETE')
    .map((trial) => ({
      trial: trial.number,
      label: trial.is_baseline ? `#${trial.number} baseline` : `#${trial.number}`,
      test_accuracy: trial.test_accuracy,
      overfitting_gap: trial.overfitting_gap,
      kind: scatterKind(trial, best),
    }));
  if (scatter.length > 0) {
    const svg = await addChart('accuracy_vs_gap', accuracyGapSpec(scatter));
    sections.push({ title: 'Accuracy against overfitting gap', markdown: '![accuracy against gap](accuracy_vs_gap.png)', html: `<figure>${svg}</figure>` });
  }

  // Curves of the top trials.
  if (data.curves.size > 0) {
    const labels = new Map(data.trials.map((trial) => [trial.number, trialLabel(trial, parameters)]));
    const svg = await addChart('top_curves', overlaidCurvesSpec([...data.curves.values()].flat(), labels));
    sections.push({ title: 'Curves of the top trials', markdown: '![validation accuracy of the top trials](top_curves.png)', html: `<figure>${svg}</figure>` });
  }

  // Confusion matrices side by side, and the most-confused pairs.
  const matrices: { trial: ReportTrial; name: string; svg: string; pairs: ConfusedPair[] }[] = [];
  const details: [ReportTrial | undefined, SweepReportData['bestDetail'], string][] = [
    [best, data.bestDetail, 'best'],
    [baseline, data.baselineDetail, 'baseline'],
  ];
  for (const [trial, detail, role] of details) {
    if (trial === undefined || detail === undefined || detail.confusion.length === 0 || (role === 'baseline' && trial === best)) {
      continue;
    }
    const name = `confusion_${role}`;
    const svg = await addChart(name, confusionMatrixSpec(detail.confusion, detail.classNames, `${role === 'best' ? 'Best' : 'Baseline'} trial #${trial.number}`));
    matrices.push({ trial, name, svg, pairs: mostConfusedPairs(detail.confusion, detail.classNames) });
  }
  if (matrices.length > 0) {
    const pairLines = matrices.map(({ trial, pairs }) => {
      const listed = pairs.map((pair) => `${pair.first} vs ${pair.second} (${pair.total}: ${pair.firstAsSecond} + ${pair.secondAsFirst})`).join('; ');
      return `Most confused pairs of trial #${trial.number}: ${listed || 'none'}.`;
    });
    sections.push({
      title: 'Confusion matrices',
      markdown: `${matrices.map(({ name }) => `![${name}](${name}.png)`).join(' ')}\n\n${pairLines.map((line) => `- ${line}`).join('\n')}`,
      html: `<div class="side-by-side">${matrices.map(({ svg }) => `<figure>${svg}</figure>`).join('')}</div>\n<ul>${pairLines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`,
    });
  }

  const generated = new Date().toISOString();
  const intro = `Sweep **${data.name}** (${data.status}), ${data.trials.length} trials, ranked by ${data.ranking.map((key) => `${key.metric} ${key.order}`).join(', then ')}. Generated ${generated}.`;
  const markdown = `# Sweep report: ${data.name}\n\n${intro}\n\n${sections.map((section) => `## ${section.title}\n\n${section.markdown}\n`).join('\n')}`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Sweep report: ${escapeHtml(data.name)}</title>
<style>
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; }
td:nth-child(2) { text-align: left; }
.headline { font-size: 1.15em; background: #f6f8fa; padding: 0.8em; border-left: 4px solid #d62728; }
.side-by-side { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0.5em 0; }
</style>
</head>
<body>
<h1>Sweep report: ${escapeHtml(data.name)}</h1>
<p>${escapeHtml(intro.replace(/\*\*/g, ''))}</p>
${sections.map((section) => `<h2>${escapeHtml(section.title)}</h2>\n${section.html}`).join('\n')}
</body>
</html>
`;

  await writeFile(join(dir, 'report.html'), html);
  await writeFile(join(dir, 'report.md'), markdown);
  return { html: 'report.html', markdown: 'report.md', charts };
}
