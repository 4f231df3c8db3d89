import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store.ts';
import { openArtifactStore } from '../../src/artifacts/open-artifact-store.ts';
import { describeStoreContract, hostileNames } from './store-contract.ts';

describeStoreContract('local', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sweep-local-store-'));
  return {
    store: new LocalArtifactStore({ kind: 'local', root }),
    prefix: '',
    teardown: () => rm(root, { recursive: true, force: true }),
  };
});

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

test('local store writes hostile names inside its root', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'sweep-local-escape-'));
  const root = join(parent, 'artifacts');
  const store = openArtifactStore(root);
  const source = join(parent, 'source.txt');
  await writeFile(source, 'x');

  for (const [index, name] of hostileNames.entries()) {
    const stored = await store.put(store.keyFor({ sweep: '../../sweep', trial: index + 1, name }), source);
    const path = fileURLToPath(stored.uri);
    assert.ok(!relative(root, path).startsWith(`..${sep}`), `${JSON.stringify(name)} was written to ${path}`);
  }

  const outside = (await listFiles(parent)).filter((path) => !path.startsWith(`${root}${sep}`));
  assert.deepEqual(outside, [source]);
  await rm(parent, { recursive: true, force: true });
});

test('local store URIs are file URLs of the object', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sweep-local-uri-'));
  const store = openArtifactStore({ kind: 'local', root });
  const key = store.keyFor({ sweep: 'cifar', trial: 7, name: 'model.json' });

  assert.equal(fileURLToPath(store.uriFor(key)), join(root, 'cifar', 'trial-0007', 'model.json'));
  await rm(root, { recursive: true, force: true });
});
