// Our consumer's group membership against a Samsa broker process: three member processes
// with one SIGKILLed, a cooperative group growing member by member under load, a handler
// slower than the session timeout, and static membership across a restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin } from '@samsa/client';
import { uniqueTopic } from '../support/records.js';
import { capturingLogger, samsaKafka } from '../support/samsa-client-driver.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';
import { cooperativeScenario, memberLossScenario, produceValues, slowHandlerScenario, uniqueGroup, type ScenarioTarget } from './consumer-scenarios.js';

describe('consumer groups against a Samsa broker', { timeout: 600_000 }, () => {
  let samsa: SamsaProcess | undefined;
  let admin: Admin | undefined;
  before(async () => {
    samsa = await startSamsa({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
    admin = await Admin.connect(samsa.bootstrap);
  });
  after(async () => {
    admin?.close();
    await samsa?.stop();
  });
  const target: ScenarioTarget = {
    bootstrap: () => {
      if (samsa === undefined) throw new Error('broker did not start');
      return samsa.bootstrap;
    },
    createTopic: async (name, partitions) => {
      await admin?.createTopics([{ name, numPartitions: partitions }]);
      return partitions;
    },
    logTail: () => samsa?.logTail() ?? '',
  };

  test('3 members (range), one SIGKILLed: the others take its partitions, every record is read', { timeout: 180_000 }, (t) => memberLossScenario(t, target, ['range']));

  test('cooperative-sticky: members join one by one under load; only moved partitions stop; never two owners', { timeout: 180_000 }, (t) => cooperativeScenario(t, target));

  test('a handler slower than the session timeout keeps its membership', { timeout: 120_000 }, (t) => slowHandlerScenario(t, target));

  test('static membership: a member restarted with its instance id within the session timeout gets its partitions back without a rebalance', { timeout: 120_000 }, async (t) => {
    const topic = uniqueTopic('static');
    await target.createTopic(topic, 4);
    const groupId = uniqueGroup('static');
    const kafka = samsaKafka(target.bootstrap());
    const make = (instance: string) =>
      kafka.consumer({ groupId, groupInstanceId: instance, partitionAssigners: ['range'], sessionTimeoutMs: 20_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 });
    const a = make('inst-a');
    const b = make('inst-b');
    const bEvents: string[] = [];
    for (const e of [b.events.PARTITIONS_ASSIGNED, b.events.PARTITIONS_REVOKED, b.events.PARTITIONS_LOST, b.events.REBALANCING] as const) b.on(e, (ev) => bEvents.push(ev.type));
    t.after(() => Promise.all([a.disconnect(), b.disconnect()]));
    const seen: string[] = [];
    for (const c of [a, b]) {
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: true });
    }
    await Promise.all([a.run({ eachMessage: async ({ message }) => void seen.push(`a:${message.value}`) }), b.run({ eachMessage: async ({ message }) => void seen.push(`b:${message.value}`) })]);
    await waitFor(() => a.assignment().length + b.assignment().length > 0 && a.assignment().concat(b.assignment()).flatMap((x) => x.partitions).length === 4, {
      timeoutMs: 30_000,
      message: 'both static members own the 4 partitions',
    });
    const aPartitions = a.assignment();
    const generation = b.membership()?.generationId;
    const bEventsBefore = bEvents.length;
    // A static member leaves no LeaveGroup on disconnect: the group keeps its place.
    await a.disconnect();
    const again = make('inst-a');
    t.after(() => again.disconnect());
    await again.connect();
    await again.subscribe({ topics: [topic], fromBeginning: true });
    await again.run({ eachMessage: async ({ message }) => void seen.push(`a2:${message.value}`) });
    assert.deepEqual(again.assignment(), aPartitions, 'the restarted instance owns what it owned');
    assert.equal(again.membership()?.generationId, generation, 'no new generation');
    const values = await produceValues(kafka, topic, 'static', 20, 4);
    await waitFor(() => values.every((v) => seen.some((s) => s.endsWith(`:${v}`))), { timeoutMs: 30_000, message: 'records read after the restart' });
    assert.equal(bEvents.length, bEventsBefore, `the other member saw no rebalance: ${bEvents.slice(bEventsBefore).join(', ')}`);
    assert.equal(b.membership()?.generationId, generation);
  });

  test('the first join fails with a typed error when the group uses another assignor', { timeout: 60_000 }, async (t) => {
    const topic = uniqueTopic('inconsistent');
    await target.createTopic(topic, 1);
    const groupId = uniqueGroup('inconsistent');
    const kafka = samsaKafka(target.bootstrap());
    const first = kafka.consumer({ groupId, partitionAssigners: ['range'], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 });
    t.after(() => first.disconnect());
    await first.connect();
    await first.subscribe({ topics: [topic] });
    await first.run({ eachMessage: async () => {} });
    const log = capturingLogger();
    const second = samsaKafka(target.bootstrap(), log).consumer({ groupId, partitionAssigners: ['roundrobin'] });
    t.after(() => second.disconnect());
    await second.connect();
    await second.subscribe({ topics: [topic] });
    const crashes: Error[] = [];
    second.on(second.events.CRASH, (e) => crashes.push(e.payload.error));
    await assert.rejects(second.run({ eachMessage: async () => {} }), (e: unknown) => {
      assert.equal((e as { name?: string }).name, 'KafkaError');
      const k = e as { code: number; type: string; apiName: string; resource: string; retriable: boolean };
      assert.equal(k.type, 'INCONSISTENT_GROUP_PROTOCOL');
      assert.equal(k.code, 23);
      assert.equal(k.apiName, 'JoinGroup');
      assert.equal(k.resource, `group ${groupId}`);
      assert.equal(k.retriable, false);
      return true;
    });
    assert.equal(crashes.length, 1, 'CRASH reported once');
  });
});
