import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.ts';
import { ChecksumMismatchError } from '../../src/artifacts/artifact-errors.ts';
import { InputError } from '../../src/errors.ts';

/** A store under test and how to check where its objects landed. */
export interface ContractSubject {
  store: ArtifactStore;
  /** The key prefix every object must stay under (`''` for none). */
  prefix: string;
  /** Removes the store's objects and servers. */
  teardown(): Promise<void>;
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Names a careless or hostile caller might pass; each must stay inside the trial's folder. */
export const hostileNames = [
  '../../../etc/passwd',
  '..',
  '.',
  'a/../../../b.json',
  'model/../../escape.bin',
  'ünïcødé файл 模型.json',
  'with space and (parens).png',
  '%2e%2e/%2E%2E/encoded.txt',
  'back\\slash\\..\\..\\evil.txt',
  'tab\tnew\nline.log',
  '.hidden',
  'x'.repeat(300),
  'ü'.repeat(150),
];

/**
 * The ArtifactStore contract, written once and run for every implementation:
 * call it at the top level of a test file with a function that opens a fresh store.
 */
export function describeStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`${name} store contract`, () => {
    let subject: ContractSubject;
    let scratch: string;

    before(async () => {
      subject = await open();
      scratch = await mkdtemp(join(tmpdir(), 'sweep-contract-'));
    });

    after(async () => {
      await subject.teardown();
      await rm(scratch, { recursive: true, force: true });
    });

    async function writeSource(content: Buffer): Promise<string> {
      const path = join(scratch, `source-${randomBytes(4).toString('hex')}`);
      await writeFile(path, content);
      return path;
    }

    test('keys follow sweep, trial and file name', () => {
      const { store, prefix } = subject;
      const start = prefix === '' ? '' : `${prefix}/`;
      assert.equal(store.keyFor({ sweep: 'finetune', trial: 7, name: 'model.json' }), `${start}finetune/trial-0007/model.json`);
      assert.equal(store.keyFor({ sweep: 'finetune', trial: 12345, name: 'model.json' }), `${start}finetune/trial-12345/model.json`);
      assert.equal(store.keyFor({ sweep: 'finetune', trial: null, name: 'report.html' }), `${start}finetune/sweep/report.html`);
      assert.equal(store.keyFor({ sweep: 'finetune', trial: 1, name: 'model/weights.bin' }), `${start}finetune/trial-0001/model/weights.bin`);
    });

    test('round trip keeps bytes and sha256', async () => {
      const { store } = subject;
      const content = randomBytes(300_000);
      const source = await writeSource(content);
      const key = store.keyFor({ sweep: 'round-trip', trial: 1, name: 'weights.bin' });

      const stored = await store.put(key, source);
      assert.equal(stored.key, key);
      assert.equal(stored.bytes, content.length);
      assert.equal(stored.sha256, sha256(content));

      const destination = join(scratch, 'out', 'weights.bin');
      const read = await store.get(key, destination, { expectedSha256: stored.sha256 });
      assert.equal(read.sha256, stored.sha256);
      assert.deepEqual(await readFile(destination), content);
    });

    test('empty file round trip', async () => {
      const { store } = subject;
      const source = await writeSource(Buffer.alloc(0));
      const key = store.keyFor({ sweep: 'round-trip', trial: 1, name: 'empty.log' });

      const stored = await store.put(key, source);
      assert.equal(stored.bytes, 0);
      const destination = join(scratch, 'out', 'empty.log');
      await store.get(key, destination, { expectedSha256: stored.sha256 });
      assert.equal((await readFile(destination)).length, 0);
    });

    test('put replaces an existing object', async () => {
      const { store } = subject;
      const key = store.keyFor({ sweep: 'replace', trial: 2, name: 'metrics.json' });
      await store.put(key, await writeSource(Buffer.from('{"v":1}')));
      const second = await store.put(key, await writeSource(Buffer.from('{"v":2}')));

      const destination = join(scratch, 'out', 'replaced.json');
      await store.get(key, destination, { expectedSha256: second.sha256 });
      assert.equal(await readFile(destination, 'utf8'), '{"v":2}');
    });

    test('get rejects a wrong sha256 and writes nothing', async () => {
      const { store } = subject;
      const key = store.keyFor({ sweep: 'checksum', trial: 3, name: 'report.json' });
      await store.put(key, await writeSource(Buffer.from('{"accuracy":0.7312}')));

      const destination = join(scratch, 'out', 'tampered.json');
      await assert.rejects(store.get(key, destination, { expectedSha256: 'f'.repeat(64) }), ChecksumMismatchError);
      assert.equal(existsSync(destination), false);
    });

    test('head returns size and sha256, or undefined', async () => {
      const { store } = subject;
      const content = Buffer.from('curves');
      const key = store.keyFor({ sweep: 'head', trial: 4, name: 'curves.png' });
      await store.put(key, await writeSource(content));

      const found = await store.head(key);
      assert.equal(found?.bytes, content.length);
      assert.equal(found?.sha256, sha256(content));
      assert.equal(await store.head(store.keyFor({ sweep: 'head', trial: 4, name: 'missing.png' })), undefined);
    });

    test('list returns sorted keys under a prefix only', async () => {
      const { store } = subject;
      const names = ['b.json', 'a.json', 'model/model.json'];
      for (const fileName of names) {
        await store.put(store.keyFor({ sweep: 'listing', trial: 5, name: fileName }), await writeSource(Buffer.from(fileName)));
      }
      await store.put(store.keyFor({ sweep: 'listing', trial: 6, name: 'other.json' }), await writeSource(Buffer.from('other')));

      const trialPrefix = store.keyFor({ sweep: 'listing', trial: 5, name: 'x' }).slice(0, -1);
      const listed = await store.list(trialPrefix);
      assert.deepEqual(
        listed.map((object) => object.key),
        ['a.json', 'b.json', 'model/model.json'].map((fileName) => `${trialPrefix}${fileName}`),
      );
      assert.equal(listed[0].bytes, 'a.json'.length);
    });

    test('hostile names stay inside the trial folder', async () => {
      const { store } = subject;
      const sweepPrefix = store.keyFor({ sweep: 'hostile', trial: 1, name: 'x' }).split('/').slice(0, -2).join('/') + '/';
      const keys = new Set<string>();

      // Each name gets its own trial: a local folder cannot hold `a` as a file and `a/b` at once.
      for (const [index, hostile] of hostileNames.entries()) {
        const trial = index + 1;
        const trialPrefix = store.keyFor({ sweep: 'hostile', trial, name: 'x' }).slice(0, -1);
        const key = store.keyFor({ sweep: 'hostile', trial, name: hostile });
        assert.ok(key.startsWith(trialPrefix), `${JSON.stringify(hostile)} gave ${key}`);
        for (const segment of key.slice(trialPrefix.length).split('/')) {
          assert.ok(!segment.startsWith('.'), `${JSON.stringify(hostile)} gave the segment ${segment}`);
          assert.ok(Buffer.byteLength(segment) <= 255, `${JSON.stringify(hostile)} gave a segment over 255 bytes`);
        }
        assert.match(key, /^[A-Za-z0-9_.%~/-]+$/);
        keys.add(key.slice(trialPrefix.length));

        const content = Buffer.from(`content of ${hostile}`);
        const stored = await store.put(key, await writeSource(content));
        const destination = join(scratch, 'out', 'hostile.bin');
        await store.get(key, destination, { expectedSha256: stored.sha256 });
        assert.deepEqual(await readFile(destination), content);
      }
      assert.equal(keys.size, hostileNames.length, 'two hostile names mapped to the same key');

      const listed = await store.list(sweepPrefix);
      assert.equal(listed.length, hostileNames.length);
    });

    test('hostile sweep names stay under the prefix', () => {
      const { store, prefix } = subject;
      for (const sweep of ['..', '../other', 'a/b', 'sweep with spaces ✓']) {
        const key = store.keyFor({ sweep, trial: 1, name: 'model.json' });
        const rest = prefix === '' ? key : key.slice(prefix.length + 1);
        assert.ok(prefix === '' || key.startsWith(`${prefix}/`), key);
        assert.equal(rest.split('/').length, 3, `${JSON.stringify(sweep)} gave ${key}`);
      }
    });

    test('empty names and path segments are rejected', () => {
      const { store } = subject;
      for (const name of ['', '/absolute.json', 'trailing/', 'a//b']) {
        assert.throws(() => store.keyFor({ sweep: 's', trial: 1, name }), InputError, JSON.stringify(name));
      }
    });

    test('unsafe keys are rejected', async () => {
      const { store } = subject;
      const source = await writeSource(Buffer.from('x'));
      for (const key of ['../escape', 'a/../../b', '/absolute', 'a//b', 'a\\b']) {
        await assert.rejects(store.put(key, source), InputError, key);
      }
    });
  });
}
