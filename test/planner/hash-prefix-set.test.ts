import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { HashPrefixSet } from '../../src/planner/hash-prefix-set.ts';
import { SeededRandom } from '../../src/planner/seeded-random.ts';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('HashPrefixSet', () => {
  it('adds each hash once across regrowth', () => {
    const set = new HashPrefixSet(4);
    for (let i = 0; i < 20_000; i++) {
      assert.equal(set.add(sha(String(i))), true);
    }
    for (let i = 0; i < 20_000; i++) {
      assert.equal(set.add(sha(String(i))), false);
    }
    assert.equal(set.size, 20_000);
  });

  it('reports absent hashes as absent', () => {
    const set = new HashPrefixSet();
    set.add(sha('present'));
    assert.equal(set.has(sha('present')), true);
    assert.equal(set.has(sha('absent')), false);
  });

  it('keeps hashes whose low word is 0', () => {
    const set = new HashPrefixSet();
    assert.equal(set.add('0000000100000000'), true);
    assert.equal(set.has('0000000100000000'), true);
    assert.equal(set.add('0000000100000000'), false);
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    for (let i = 0; i < 100; i++) {
      assert.equal(a.next(), b.next());
    }
  });

  it('stays within [0, 1)', () => {
    const random = new SeededRandom(1);
    for (let i = 0; i < 10_000; i++) {
      const value = random.next();
      assert.ok(value >= 0, String(value));
      assert.ok(value < 1, String(value));
    }
  });

  it('spreads below(n) evenly', () => {
    const random = new SeededRandom(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      counts[random.below(10)] += 1;
    }
    // Each bucket expects 10,000; 5 standard deviations is about 475.
    for (const count of counts) {
      assert.ok(Math.abs(count - 10_000) < 500, String(count));
    }
  });
});
