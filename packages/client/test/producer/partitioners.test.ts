import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultPartitioner, Partitioners, type PartitionerInput } from '../../src/producer/partitioners.js';
import { murmur2Partition } from '../../src/producer/murmur2.js';

/** A deterministic "random" source cycling through the given values. */
function cycle(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

function input(topic: string, key: string | null, partitionCount = 6, available?: number[]): PartitionerInput {
  return {
    topic,
    partitionCount,
    availablePartitions: available ?? Array.from({ length: partitionCount }, (_, i) => i),
    key: key === null ? null : Buffer.from(key),
    value: null,
    headers: [],
  };
}

test('keyed records go where murmur2 puts them, whatever the sticky state', () => {
  const p = new DefaultPartitioner(cycle(0.5));
  for (let i = 0; i < 50; i++) {
    const key = `key-${i}`;
    assert.equal(p.partition(input('t', key, 7)), murmur2Partition(Buffer.from(key), 7));
    assert.equal(p.isSticky(input('t', key, 7)), false);
  }
});

test('keyless records stick to one partition until a new batch is opened for it', () => {
  const p = new DefaultPartitioner(cycle(0.1, 0.9, 0.5));
  const first = p.partition(input('t', null));
  for (let i = 0; i < 10; i++) assert.equal(p.partition(input('t', null)), first, 'sticky');
  p.onNewBatch('t', first, input('t', null));
  const second = p.partition(input('t', null));
  assert.notEqual(second, first, 'moves to another partition');
  // A stale onNewBatch (for the partition it already left) does not move it again.
  p.onNewBatch('t', first, input('t', null));
  assert.equal(p.partition(input('t', null)), second);
  // Topics are independent.
  const other = p.partition(input('u', null));
  assert.ok(other >= 0 && other < 6);
  assert.equal(p.partition(input('t', null)), second);
});

test('the sticky partition is chosen among partitions with a leader', () => {
  const p = new DefaultPartitioner(cycle(0, 0.3, 0.6, 0.99));
  for (let i = 0; i < 20; i++) {
    const chosen = p.partition(input('t', null, 6, [1, 4]));
    assert.ok(chosen === 1 || chosen === 4, `got ${chosen}`);
    p.onNewBatch('t', chosen, input('t', null, 6, [1, 4]));
    assert.notEqual(p.partition(input('t', null, 6, [1, 4])), chosen, 'alternates between the two');
  }
  const single = new DefaultPartitioner(cycle(0.7));
  assert.equal(single.partition(input('t', null, 6, [3])), 3);
  single.onNewBatch('t', 3, input('t', null, 6, [3]));
  assert.equal(single.partition(input('t', null, 6, [3])), 3, 'the only available partition stays');
  const none = new DefaultPartitioner(cycle(0.99));
  assert.equal(none.partition(input('t', null, 6, [])), 5, 'no leader known: any partition');
});

test('murmur2Random and roundRobin', () => {
  const r = Partitioners.murmur2Random(cycle(0.0, 0.5, 0.99));
  assert.equal(r(input('t', 'abc', 5)), murmur2Partition(Buffer.from('abc'), 5));
  assert.deepEqual([r(input('t', null, 4)), r(input('t', null, 4)), r(input('t', null, 4))], [0, 2, 3]);
  const rr = Partitioners.roundRobin();
  assert.deepEqual([0, 1, 2, 3, 4].map(() => rr(input('t', 'k', 3))), [0, 1, 2, 0, 1]);
  assert.deepEqual([0, 1, 2].map(() => rr(input('t', null, 3, [0, 2]))), [2, 0, 2]);
});
