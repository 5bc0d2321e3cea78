// Consumer scenarios run against more than one cluster (a Samsa broker process and
// librdkafka's mock cluster): groups of member processes with a member SIGKILLed, a
// cooperative group growing member by member under a steady producer, a handler slower than
// the session timeout, and plain produce/consume in every delivery mode.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import type { ConsumerMessage, Kafka } from '@samsa/client';
import { assertSameRecords } from '../support/assert-records.js';
import { b64OrNull, byPosition, sampleRecords, uniqueTopic, type ConsumedRecord, type WireRecord } from '../support/records.js';
import { capturingLogger, samsaKafka, toSamsaMessage } from '../support/samsa-client-driver.js';
import { waitFor } from '../support/wait-for.js';
import { assertSingleOwners, ownership, ownsExactly, startMember, type Member } from './consumer-members.js';

/** A cluster the scenarios run against. */
export interface ScenarioTarget {
  bootstrap(): string;
  /** Creates a topic (or lets the cluster auto-create it) and returns its partition count. */
  createTopic(name: string, partitions: number): Promise<number>;
  /** Log tail for failure diagnostics. */
  logTail(): string;
}

/** Group ids unique per run and per test. */
export const uniqueGroup = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Counts of `partitions` spread over `members` as evenly as possible. */
export function balanced(partitions: number, members: number): number[] {
  return Array.from({ length: members }, (_, i) => Math.floor(partitions / members) + (i < partitions % members ? 1 : 0));
}

/** A consumed message as the compat drivers report records. */
export function toConsumed(m: ConsumerMessage): ConsumedRecord {
  return {
    partition: m.partition,
    offset: m.offset,
    key: b64OrNull(m.key),
    value: b64OrNull(m.value),
    headers: m.headerList.map((h) => [h.key, b64OrNull(h.value)]),
    timestamp: m.timestamp,
  };
}

/** Produces `count` records with values `${prefix}-${i}` spread over the partitions, with our producer. */
export async function produceValues(kafka: Kafka, topic: string, prefix: string, count: number, partitions: number): Promise<string[]> {
  const producer = kafka.producer({ lingerMs: 5 });
  await producer.connect();
  try {
    const values = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value, partition: i % partitions })) });
    return values;
  } finally {
    await producer.disconnect();
  }
}

function readBy(members: readonly Member[]): Set<string> {
  return new Set(members.flatMap((m) => m.values()));
}

/** A waitFor condition: true once `members` read every value; otherwise throws naming what is missing. */
function allRead(members: readonly Member[], values: readonly string[]): () => boolean {
  return () => {
    const read = readBy(members);
    const missing = values.filter((v) => !read.has(v));
    if (missing.length === 0) return true;
    throw new Error(`${missing.length} not read, e.g. ${missing.slice(0, 8).join(', ')}`);
  };
}

function diagnose(t: TestContext, target: ScenarioTarget, members: readonly Member[]): void {
  t.diagnostic(`ownership: ${ownership(members)}`);
  for (const m of members) {
    t.diagnostic(`${m.name} stderr: ${m.stderr().slice(-3000)}`);
    t.diagnostic(`${m.name} events: ${JSON.stringify(m.events.filter((e) => e.type !== 'record').slice(-30))}`);
  }
  t.diagnostic(target.logTail());
}

/**
 * Three member processes share a topic; one is SIGKILLed (no LeaveGroup). The survivors
 * take its partitions once its session expires, and every record produced before and after
 * is read. No partition is ever owned by two members at once.
 */
export async function memberLossScenario(t: TestContext, target: ScenarioTarget, assignors: Array<'range' | 'roundrobin' | 'cooperative-sticky'>): Promise<void> {
  const topic = uniqueTopic('group-loss');
  const partitions = await target.createTopic(topic, 6);
  const spec = { bootstrap: target.bootstrap(), groupId: uniqueGroup('loss'), topic, assignors, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 };
  const members = ['a', 'b', 'c'].map((name) => startMember(name, spec));
  t.after(() => Promise.all(members.map((m) => m.stop())));
  try {
    await waitFor(() => ownsExactly(members, partitions, balanced(partitions, 3)), {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: `3 members own ${partitions} partitions evenly`,
    });
    const kafka = samsaKafka(target.bootstrap());
    const before = await produceValues(kafka, topic, 'before', 60, partitions);
    await waitFor(allRead(members, before), { timeoutMs: 30_000, message: 'records produced before the kill are read' });
    const victim = members[2];
    const victimPartitions = [...victim.owned()];
    await victim.kill9();
    const survivors = members.slice(0, 2);
    await waitFor(() => ownsExactly(survivors, partitions, balanced(partitions, 2)), {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: `the survivors take the killed member's partitions ${victimPartitions.join(',')}`,
    });
    const after = await produceValues(kafka, topic, 'after', 60, partitions);
    await waitFor(allRead(survivors, after), { timeoutMs: 30_000, message: 'records produced after the kill are read by the survivors' });
    assertSingleOwners(members);
    for (const m of members) assert.deepEqual(m.events.filter((e) => e.type === 'crash'), [], `${m.name} did not crash`);
    for (const m of survivors) assert.deepEqual(m.events.filter((e) => e.type === 'lost'), [], `${m.name} lost no partitions`);
  } catch (err) {
    diagnose(t, target, members);
    throw err;
  }
}

/**
 * A cooperative-sticky group grows from one member to three while a producer writes
 * steadily, then one member leaves cleanly. Only moved partitions are revoked (a member never
 * gives up everything it owns to let another in), no partition has two owners at once, and
 * every record is read.
 */
export async function cooperativeScenario(t: TestContext, target: ScenarioTarget): Promise<void> {
  const topic = uniqueTopic('group-coop');
  const partitions = await target.createTopic(topic, 6);
  const spec = { bootstrap: target.bootstrap(), groupId: uniqueGroup('coop'), topic, assignors: ['cooperative-sticky' as const], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 };
  const members: Member[] = [];
  t.after(() => Promise.all(members.map((m) => m.stop())));
  const kafka = samsaKafka(target.bootstrap());
  const producer = kafka.producer({ lingerMs: 2 });
  await producer.connect();
  t.after(() => producer.disconnect());
  const sent: string[] = [];
  let producing = true;
  const producing$ = (async () => {
    for (let i = 0; producing; i++) {
      const value = `steady-${i}`;
      await producer.send({ topic, messages: [{ value, partition: i % partitions }] });
      sent.push(value);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    for (let n = 1; n <= 3; n++) {
      members.push(startMember(`m${n}`, spec));
      await waitFor(() => ownsExactly(members, partitions, balanced(partitions, n)), {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: `${n} members own ${partitions} partitions evenly`,
      });
    }
    const revokesBeforeStop = members.map((m) => m.events.filter((e) => e.type === 'revoked').length);
    await members[0].stop();
    await waitFor(() => ownsExactly(members, partitions, balanced(partitions, 2)), { timeoutMs: 60_000, intervalMs: 100, message: 'two members own everything after a clean leave' });
    producing = false;
    await producing$;
    await waitFor(allRead(members, sent), { timeoutMs: 30_000, message: `all ${sent.length} steady records read` });
    assertSingleOwners(members);
    for (const [i, m] of members.entries()) {
      // Replay the member's ownership: each revoke (before the final stop) takes only part of what it owns.
      const owned = new Set<number>();
      let revokes = 0;
      for (const e of m.events) {
        if (e.type === 'assigned') for (const p of e.partitions ?? []) owned.add(p);
        if (e.type !== 'revoked') continue;
        if (revokes++ < revokesBeforeStop[i]) {
          assert.ok((e.partitions ?? []).length < owned.size, `${m.name} revoked ${e.partitions?.join(',')} of ${[...owned].join(',')}: cooperative revokes only moved partitions`);
        }
        for (const p of e.partitions ?? []) owned.delete(p);
      }
      assert.deepEqual(m.events.filter((e) => e.type === 'lost' || e.type === 'crash'), [], `${m.name}: no lost partitions, no crash`);
    }
    assert.ok(revokesBeforeStop[0] > 0, 'the first member gave partitions up as others joined');
  } catch (err) {
    producing = false;
    diagnose(t, target, members);
    throw err;
  }
}

/**
 * A handler that takes twice the session timeout on one message, then a second per message
 * for longer than a session timeout in total: the member keeps its member id and generation
 * (heartbeats run on their own timer), nothing is revoked or lost, every record is handled once.
 */
export async function slowHandlerScenario(t: TestContext, target: ScenarioTarget): Promise<void> {
  const topic = uniqueTopic('slow-handler');
  const partitions = await target.createTopic(topic, 2);
  const sessionTimeoutMs = 6_000;
  const kafka = samsaKafka(target.bootstrap());
  const values = await produceValues(kafka, topic, 'slow', 8, partitions);
  const log = capturingLogger();
  const consumer = samsaKafka(target.bootstrap(), log).consumer({ groupId: uniqueGroup('slow'), sessionTimeoutMs, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 });
  const trouble: string[] = [];
  for (const e of [consumer.events.REBALANCING, consumer.events.PARTITIONS_LOST, consumer.events.PARTITIONS_REVOKED, consumer.events.CRASH] as const) {
    consumer.on(e, (ev) => trouble.push(`${ev.type} ${JSON.stringify(ev.payload)}`));
  }
  let heartbeats = 0;
  consumer.on(consumer.events.HEARTBEAT, () => heartbeats++);
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const handled: string[] = [];
  let heartbeatsDuringLongHandler = -1;
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (handled.length === 0) {
        const before = heartbeats;
        await new Promise((resolve) => setTimeout(resolve, 2 * sessionTimeoutMs));
        heartbeatsDuringLongHandler = heartbeats - before;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      handled.push(message.value?.toString() ?? '');
    },
  });
  const start = consumer.membership();
  assert.ok(start !== null, 'joined');
  await waitFor(() => handled.length >= values.length, { timeoutMs: 90_000, intervalMs: 200, message: `all ${values.length} slow records handled` });
  const end = consumer.membership();
  assert.deepEqual(end, start, 'same member id and generation after handlers slower than the session timeout');
  assert.ok(heartbeatsDuringLongHandler > 0, `heartbeats continued while a handler ran for 2 x the session timeout (${heartbeatsDuringLongHandler})`);
  assert.deepEqual(trouble, [], 'no rebalance, revoke, loss or crash');
  assert.deepEqual([...handled].sort(), [...values].sort(), 'each record handled once');
  assert.deepEqual(log.warnings, []);
}

/**
 * Records with keys, null values, headers and explicit timestamps read back identically
 * through eachMessage (in a group), eachBatch and the async iterator (assigned partitions).
 */
export async function produceConsumeScenario(t: TestContext, target: ScenarioTarget): Promise<void> {
  const topic = uniqueTopic('consume');
  const partitions = await target.createTopic(topic, 3);
  const written: WireRecord[] = [0, 1, 2].filter((p) => p < partitions).flatMap((p) => sampleRecords(`p${p}`, p));
  const log = capturingLogger();
  const kafka = samsaKafka(target.bootstrap(), log);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: written.map(toSamsaMessage) });
  await producer.disconnect();

  // eachMessage in a group.
  const group = kafka.consumer({ groupId: uniqueGroup('consume'), maxWaitTimeMs: 200 });
  await group.connect();
  t.after(() => group.disconnect());
  await group.subscribe({ topics: [topic], fromBeginning: true });
  const viaMessage: ConsumedRecord[] = [];
  await group.run({ partitionsConsumedConcurrently: 3, eachMessage: async ({ message }) => void viaMessage.push(toConsumed(message)) });
  await waitFor(() => viaMessage.length >= written.length, { timeoutMs: 30_000, message: 'eachMessage got every record' });
  await group.disconnect();
  assertSameRecords(written, byPosition(viaMessage), { withTimestamps: true, label: 'eachMessage' });

  // eachBatch, assigned partitions, from the beginning.
  const batches = kafka.consumer({ autoOffsetReset: 'earliest', maxWaitTimeMs: 200 });
  await batches.connect();
  t.after(() => batches.disconnect());
  await batches.assign([{ topic }]);
  const viaBatch: ConsumedRecord[] = [];
  await batches.run({ eachBatch: async ({ batch }) => void viaBatch.push(...batch.messages.map(toConsumed)) });
  await waitFor(() => viaBatch.length >= written.length, { timeoutMs: 30_000, message: 'eachBatch got every record' });
  await batches.disconnect();
  assertSameRecords(written, byPosition(viaBatch), { withTimestamps: true, label: 'eachBatch' });

  // The async iterator.
  const iter = kafka.consumer({ autoOffsetReset: 'earliest', maxWaitTimeMs: 200 });
  await iter.connect();
  t.after(() => iter.disconnect());
  await iter.assign([{ topic }]);
  const viaIterator: ConsumedRecord[] = [];
  for await (const m of iter) {
    viaIterator.push(toConsumed(m));
    if (viaIterator.length === written.length) break;
  }
  await iter.disconnect();
  assertSameRecords(written, byPosition(viaIterator), { withTimestamps: true, label: 'iterator' });
  assert.deepEqual(log.warnings, []);
}
