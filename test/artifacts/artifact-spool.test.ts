import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ArtifactSpool, type SpoolRequest } from '../../src/artifacts/artifact-spool.ts';

const owner = { sweepId: '1', sweepName: 'finetune', trialId: '7', trialNumber: 7 };

describe('artifact spool', () => {
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'sweep-spool-test-'));
  });

  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function request(name: string, content: string): Promise<SpoolRequest> {
    const sourceFile = join(scratch, `source-${name}`);
    await writeFile(sourceFile, content);
    return { location: 's3://bucket/prefix', owner, kind: 'metrics', name, sourceFile, reason: 'connect ECONNREFUSED 127.0.0.1:9' };
  }

  test('add keeps a copy with its manifest', async () => {
    const spool = new ArtifactSpool(join(scratch, 'copy'));
    const added = await spool.add(await request('metrics.json', '{"a":1}'));
    await rm(join(scratch, 'source-metrics.json'));

    const { entries, damaged } = await spool.list();
    assert.equal(entries.length, 1);
    assert.equal(damaged.length, 0);
    assert.equal(entries[0].id, added.id);
    assert.equal(await readFile(entries[0].dataFile, 'utf8'), '{"a":1}');
    assert.equal(entries[0].manifest.bytes, 7);
    assert.equal(entries[0].manifest.sha256, '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
    assert.deepEqual(entries[0].manifest.owner, owner);
  });

  test('list is oldest first', async () => {
    const spool = new ArtifactSpool(join(scratch, 'order'));
    const names = ['a.json', 'b.json', 'c.json'];
    for (const name of names) {
      await spool.add(await request(name, name));
    }

    const { entries } = await spool.list();
    assert.deepEqual(
      entries.map((entry) => entry.manifest.name),
      names,
    );
  });

  test('half-written entries are invisible', async () => {
    const dir = join(scratch, 'crash');
    const spool = new ArtifactSpool(dir);
    await spool.add(await request('kept.json', 'kept'));
    // What a crash in the middle of add or remove leaves behind.
    await mkdir(join(dir, '.tmp-00000000000001-abcdef'), { recursive: true });
    await writeFile(join(dir, '.tmp-00000000000001-abcdef', 'data'), 'partial');
    await mkdir(join(dir, '.del-00000000000002-abcdef'), { recursive: true });

    const { entries, damaged } = await spool.list();
    assert.deepEqual(
      entries.map((entry) => entry.manifest.name),
      ['kept.json'],
    );
    assert.equal(damaged.length, 0);

    await spool.removeLeftovers();
    const left = (await readdir(dir)).sort();
    assert.ok(!left.includes('.del-00000000000002-abcdef'));
    assert.ok(left.includes('.tmp-00000000000001-abcdef'), 'a recent .tmp folder may belong to a running add');
  });

  test('unreadable manifest is reported as damaged', async () => {
    const dir = join(scratch, 'damaged');
    const spool = new ArtifactSpool(dir);
    await mkdir(join(dir, '00000000000003-abcdef'), { recursive: true });
    await writeFile(join(dir, '00000000000003-abcdef', 'manifest.json'), '{"version":1,');
    await mkdir(join(dir, '00000000000004-abcdef'), { recursive: true });
    await writeFile(join(dir, '00000000000004-abcdef', 'manifest.json'), '{"version":1,"kind":"weights"}');

    const { entries, damaged } = await spool.list();
    assert.equal(entries.length, 0);
    assert.deepEqual(
      damaged.map((entry) => entry.id),
      ['00000000000003-abcdef', '00000000000004-abcdef'],
    );
    assert.match(damaged[1].problem, /kind must be one of/);
  });

  test('remove deletes the entry', async () => {
    const dir = join(scratch, 'remove');
    const spool = new ArtifactSpool(dir);
    const entry = await spool.add(await request('gone.json', 'gone'));

    await spool.remove(entry);
    assert.equal((await spool.list()).entries.length, 0);
    assert.deepEqual(await readdir(dir), []);
  });

  test('lock excludes a second holder', async () => {
    const spool = new ArtifactSpool(join(scratch, 'lock'));
    const release = await spool.lock();
    assert.ok(release !== undefined);

    assert.equal(await spool.lock(), undefined);
    await release();
    const again = await spool.lock();
    assert.ok(again !== undefined);
    await again();
  });

  test('lock of an exited process is taken over', async () => {
    const dir = join(scratch, 'stale');
    const spool = new ArtifactSpool(dir);
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '.lock'), exited.stdout);

    const release = await spool.lock();
    assert.ok(release !== undefined);
    await release();
  });
});
