// Measures the artifact stores and the spool with an 11 MiB file, just over two
// 5 MiB multipart parts. It covers the local folder, s3rver on loopback with one
// PUT and with 5 MiB parts, and a spool write.
// Target: a trial's files (about 10 MiB) stored in under 1 s on loopback.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactSpool } from '../../src/artifacts/artifact-spool.ts';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.ts';
import { openArtifactStore } from '../../src/artifacts/open-artifact-store.ts';
import { minPartSize } from '../../src/artifacts/s3-artifact-store.ts';
import { startS3Server } from '../helpers/s3.ts';

const bytes = 11 * 1024 * 1024;
const repeats = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(action: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await action();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function report(label: string, milliseconds: number): void {
  const mibPerSecond = bytes / 1024 / 1024 / (milliseconds / 1000);
  console.log(`${label.padEnd(40)} ${milliseconds.toFixed(0).padStart(6)} ms  ${mibPerSecond.toFixed(1).padStart(6)} MiB/s`);
}

async function measureStore(label: string, store: ArtifactStore, source: string, scratch: string): Promise<void> {
  const key = store.keyFor({ sweep: 'bench', trial: 1, name: 'weights.bin' });
  report(`${label} put`, await time(() => store.put(key, source)));
  report(`${label} get (sha256 checked)`, await time(() => store.get(key, join(scratch, 'out.bin'))));
}

const scratch = await mkdtemp(join(tmpdir(), 'sweep-artifacts-bench-'));
const server = await startS3Server();
try {
  const source = join(scratch, 'source.bin');
  await writeFile(source, randomBytes(bytes));
  console.log(`file: ${bytes / 1024 / 1024} MiB, median of ${repeats} runs`);

  await measureStore('local folder', openArtifactStore(join(scratch, 'local')), source, scratch);

  const s3Options = { endpoint: server.endpoint, region: server.region, credentials: server.credentials };
  const single = openArtifactStore(`s3://${server.bucket}/single`, { ...s3Options, partSize: 16 * 1024 * 1024 });
  await measureStore('s3rver, one PUT', single, source, scratch);
  single.close();
  const multipart = openArtifactStore(`s3://${server.bucket}/multipart`, { ...s3Options, partSize: minPartSize });
  await measureStore('s3rver, 5 MiB parts', multipart, source, scratch);
  multipart.close();

  const spool = new ArtifactSpool(join(scratch, 'spool'));
  const owner = { sweepId: '1', sweepName: 'bench', trialId: '1', trialNumber: 1 };
  report('spool add (fsync)', await time(() => spool.add({ location: 's3://b/p', owner, kind: 'model', name: 'weights.bin', sourceFile: source, reason: 'bench' })));
} finally {
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
}
