// The built-in assignors: Kafka's range and round-robin layouts, and the cooperative sticky
// assignor's guarantees (balance, stickiness, a partition never handed from one owner to
// another in one generation), including a seeded simulation of cooperative rounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AssignorMember } from '../../../src/consumer/assignors/assignor.js';
import { cooperativeStickyAssigner, stickyAssignment } from '../../../src/consumer/assignors/cooperative-sticky.js';
import { rangeAssigner } from '../../../src/consumer/assignors/range.js';
import { roundRobinAssigner } from '../../../src/consumer/assignors/round-robin.js';
import type { TopicPartitions } from '../../../src/consumer/topic-partitions.js';

function member(memberId: string, topics: string[], owned: TopicPartitions[] = [], generationId = -1, groupInstanceId: string | null = null): AssignorMember {
  return { memberId, groupInstanceId, subscription: { topics, userData: null, ownedPartitions: owned, generationId } };
}

function flat(m: Map<string, TopicPartitions[]>, id: string): string[] {
  return (m.get(id) ?? []).flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`));
}

test('range: consecutive partitions per topic, the first members get the extra ones', () => {
  const out = rangeAssigner.assign({
    members: [member('b', ['t1', 't2']), member('a', ['t1', 't2']), member('c', ['t2'])],
    partitionsPerTopic: new Map([
      ['t1', 5],
      ['t2', 4],
    ]),
  });
  assert.deepEqual(flat(out, 'a'), ['t1-0', 't1-1', 't1-2', 't2-0', 't2-1']);
  assert.deepEqual(flat(out, 'b'), ['t1-3', 't1-4', 't2-2']);
  assert.deepEqual(flat(out, 'c'), ['t2-3']);
});

test('range and roundrobin order static members by group instance id', () => {
  const members = [member('m-1', ['t'], [], -1, 'zeta'), member('m-2', ['t'], [], -1, 'alpha')];
  const out = rangeAssigner.assign({ members, partitionsPerTopic: new Map([['t', 2]]) });
  assert.deepEqual(flat(out, 'm-2'), ['t-0']);
  assert.deepEqual(flat(out, 'm-1'), ['t-1']);
});

test('roundrobin: every partition in turn, skipping members not subscribed', () => {
  const out = roundRobinAssigner.assign({
    members: [member('a', ['t1', 't2']), member('b', ['t1', 't2']), member('c', ['t1'])],
    partitionsPerTopic: new Map([
      ['t1', 3],
      ['t2', 3],
    ]),
  });
  assert.deepEqual(flat(out, 'a'), ['t1-0', 't2-0', 't2-2']);
  assert.deepEqual(flat(out, 'b'), ['t1-1', 't2-1']);
  assert.deepEqual(flat(out, 'c'), ['t1-2']);
});

test('cooperative-sticky: a fresh group is balanced', () => {
  const out = cooperativeStickyAssigner.assign({
    members: ['a', 'b', 'c'].map((id) => member(id, ['t'])),
    partitionsPerTopic: new Map([['t', 7]]),
  });
  const counts = ['a', 'b', 'c'].map((id) => flat(out, id).length).sort();
  assert.deepEqual(counts, [2, 2, 3]);
  assert.equal(new Set(['a', 'b', 'c'].flatMap((id) => flat(out, id))).size, 7);
});

test('cooperative-sticky: a joining member gets moved partitions only in the next generation', () => {
  const all: TopicPartitions[] = [{ topic: 't', partitions: [0, 1, 2, 3, 4, 5] }];
  const first = cooperativeStickyAssigner.assign({ members: [member('a', ['t'], all, 1), member('b', ['t'])], partitionsPerTopic: new Map([['t', 6]]) });
  assert.equal(flat(first, 'a').length, 3, 'a keeps half');
  assert.deepEqual(flat(first, 'b'), [], 'b gets nothing while a still owns the rest');
  // a revoked the other half and rejoins owning only its new assignment.
  const second = cooperativeStickyAssigner.assign({
    members: [member('a', ['t'], first.get('a'), 2), member('b', ['t'], [], 2)],
    partitionsPerTopic: new Map([['t', 6]]),
  });
  assert.deepEqual(flat(second, 'a'), flat(first, 'a'), 'a keeps exactly what it kept');
  assert.equal(flat(second, 'b').length, 3);
  assert.equal(new Set([...flat(second, 'a'), ...flat(second, 'b')]).size, 6);
});

test('cooperative-sticky: the partitions of a member that left go to the others at once', () => {
  const out = cooperativeStickyAssigner.assign({
    members: [member('a', ['t'], [{ topic: 't', partitions: [0, 1] }], 3), member('b', ['t'], [{ topic: 't', partitions: [2, 3] }], 3)],
    partitionsPerTopic: new Map([['t', 6]]),
  });
  assert.deepEqual(flat(out, 'a').slice(0, 2), ['t-0', 't-1']);
  assert.deepEqual(flat(out, 'b').slice(0, 2), ['t-2', 't-3']);
  assert.equal(flat(out, 'a').length + flat(out, 'b').length, 6);
});

test('cooperative-sticky: conflicting claims go to the higher generation', () => {
  const out = stickyAssignment(
    {
      members: [member('a', ['t'], [{ topic: 't', partitions: [0, 1] }], 4), member('b', ['t'], [{ topic: 't', partitions: [0] }], 5)],
      partitionsPerTopic: new Map([['t', 2]]),
    },
    true,
  );
  assert.deepEqual(flat(out, 'b'), ['t-0']);
  assert.deepEqual(flat(out, 'a'), ['t-1']);
});

test('cooperative-sticky: members with different subscriptions', () => {
  const out = cooperativeStickyAssigner.assign({
    members: [member('a', ['t1', 't2']), member('b', ['t2'])],
    partitionsPerTopic: new Map([
      ['t1', 2],
      ['t2', 4],
    ]),
  });
  assert.ok(flat(out, 'b').every((k) => k.startsWith('t2-')));
  assert.equal(flat(out, 'a').length, 3);
  assert.equal(flat(out, 'b').length, 3);
});

/** xorshift32, for reproducible simulations. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

test('cooperative-sticky: seeded rounds of joins and leaves never give a partition two owners and settle balanced', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const random = rng(seed);
    const partitions = 1 + Math.floor(random() * 24);
    const counts = new Map([['t', partitions]]);
    let owned = new Map<string, TopicPartitions[]>();
    let generation = 0;
    let nextId = 0;
    const ids: string[] = [];
    for (let step = 0; step < 12; step++) {
      // A member joins or (when there are several) leaves without revoking.
      if (ids.length < 2 || random() < 0.6) ids.push(`m${nextId++}`);
      else owned.delete(ids.splice(Math.floor(random() * ids.length), 1)[0]);
      // Rounds until nobody revokes (each round: every member rejoins with what it owns).
      for (let round = 0; ; round++) {
        assert.ok(round < 4, `seed ${seed} step ${step}: settles within a few rounds`);
        generation++;
        const out = cooperativeStickyAssigner.assign({ members: ids.map((id) => member(id, ['t'], owned.get(id) ?? [], generation - 1)), partitionsPerTopic: counts });
        const seen = new Map<string, string>();
        for (const id of ids) {
          for (const k of flat(out, id)) {
            assert.equal(seen.get(k), undefined, `seed ${seed}: ${k} assigned twice`);
            seen.set(k, id);
          }
          // Nothing another member still owns is handed over in the same generation.
          for (const other of ids) if (other !== id) for (const k of flat(owned, other)) assert.ok(!flat(out, id).includes(k), `seed ${seed}: ${k} moved from ${other} to ${id} in one step`);
        }
        const revoked = ids.some((id) => flat(owned, id).some((k) => !flat(out, id).includes(k)));
        owned = new Map(ids.map((id) => [id, out.get(id) ?? []]));
        if (!revoked) break;
      }
      const sizes = ids.map((id) => flat(owned, id).length);
      assert.equal(sizes.reduce((a, b) => a + b, 0), partitions, `seed ${seed} step ${step}: every partition owned`);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `seed ${seed} step ${step}: balanced ${sizes.join('/')}`);
    }
  }
});
