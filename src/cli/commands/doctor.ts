import type { Command } from 'commander';
import { diagnose, type Diagnosis } from '../../trainer/backends/diagnose.ts';

/**
 * Registers `sweep doctor`: which TensorFlow.js backends load (and the import
 * error of those that do not), the backend trials would use, the GPUs nvidia-smi
 * lists, where CIFAR-10 and the MobileNetV2 weights would be read from, and the garbage collector.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Report the TensorFlow.js backends found, the GPUs, where the CIFAR-10 files and MobileNetV2 weights are looked for, and the garbage collector')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await diagnose();
      process.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatDiagnosis(report));
    });
}

/** Formats the doctor report as indented plain text. */
export function formatDiagnosis(report: Diagnosis): string {
  const lines: string[] = [];
  lines.push(`Node ${report.node} on ${report.platform}, ${report.cpus} CPUs`);

  lines.push('', 'TensorFlow.js backends:');
  for (const backend of report.backends) {
    const status = backend.available ? `found${backend.version === undefined ? '' : ` (${backend.version})`}` : `missing: ${backend.error}`;
    lines.push(`  ${backend.name.padEnd(15)} ${backend.package.padEnd(26)} ${status}`);
  }
  const missingNative = report.backends.filter((backend) => !backend.available && backend.name !== 'cpu');
  if (missingNative.length > 0) {
    lines.push(`  To add a native backend: npm install ${missingNative.map((backend) => backend.package).join(' or ')} (the install downloads libtensorflow; the GPU package needs CUDA).`);
  }

  lines.push('', `Selected backend (SWEEP_BACKEND=${report.requestedBackend}):`);
  if ('error' in report.selected) {
    lines.push(`  none: ${report.selected.error}`);
  } else {
    lines.push(`  ${report.selected.name} on ${report.selected.device}`);
    if (report.selected.name === 'cpu') {
      const kernels = report.selected.cpuKernels;
      lines.push(`  faster cpu kernels: ${kernels.length === 0 ? 'none installed' : kernels.join(', ')}`);
    }
  }

  lines.push('', 'GPUs (nvidia-smi):');
  if ('error' in report.gpus) {
    lines.push(`  none found: ${report.gpus.error}`);
  } else if (report.gpus.gpus.length === 0) {
    lines.push('  none found');
  } else {
    for (const gpu of report.gpus.gpus) {
      lines.push(`  GPU ${gpu.index}: ${gpu.name}, ${gpu.memoryMiB} MiB, driver ${gpu.driver}`);
    }
  }

  lines.push('', 'CIFAR-10:');
  const { cifar10 } = report;
  lines.push(`  folder: ${cifar10.dir} (from ${cifar10.source})`);
  if (cifar10.missing.length === 0) {
    lines.push('  all batch files present');
  } else if (cifar10.source === 'cache') {
    lines.push(`  missing ${cifar10.missing.join(', ')}: the first trial downloads them, or set SWEEP_DATA_DIR to a folder that holds them`);
  } else {
    lines.push(`  missing ${cifar10.missing.join(', ')}: put the cifar-10-batches-bin files there`);
  }

  lines.push('', 'MobileNetV2 ImageNet weights (weights: imagenet), searched in this order:');
  for (const folder of report.weights) {
    const found = folder.found.length === 0 ? 'none' : folder.found.join(', ');
    lines.push(`  ${folder.dir} (${folder.source}): ${found}`);
  }
  if (report.weights.every((folder) => folder.found.length === 0)) {
    lines.push('  The first MobileNetV2 trial downloads the Keras weights file it needs into the download cache, or set SWEEP_WEIGHTS_DIR to a folder that holds them.');
  }

  lines.push('', 'Garbage collector:');
  if (report.garbageCollector === 'single-threaded') {
    lines.push('  single-threaded (--single-threaded-gc, as the sweep command starts Node.js)');
  } else {
    lines.push('  concurrent, the V8 default: trials on the pure-JS backend use more CPU. Run sweep as `npx sweep` or `node --single-threaded-gc src/cli/bin.js`.');
  }
  return `${lines.join('\n')}\n`;
}
