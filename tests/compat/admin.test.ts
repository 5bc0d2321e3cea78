// Acceptance 3: topic and config admin through confluent-kafka's AdminClient and the kafkajs
// admin: create (with configs), list, describe configs, alter configs, create partitions,
// delete; invalid topic names get INVALID_TOPIC_EXCEPTION (17), invalid config values and
// unknown config keys get INVALID_CONFIG (40). Neither client offers IncrementalAlterConfigs
// (confluent-kafka 1.7.0 predates it; kafkajs 2.2.4 lacks it), so only AlterConfigs is driven.
// Samsa only: librdkafka's mock has no CreateTopics or configs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import { kafkajs } from '../support/kafkajs-driver.js';
import { uniqueTopic } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { logOnFailure, startTarget, targetKind, type Target } from '../support/target.js';
import { waitFor } from '../support/wait-for.js';

// kafkajs is CommonJS and Node's ESM loader does not detect this enum as a named export.
const { ConfigResourceTypes } = createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs');

const INVALID_TOPIC_EXCEPTION = 17;
const INVALID_CONFIG = 40;
const invalidNames = ['bad/name', '..', '.', 'x'.repeat(250), 'space name'];
const invalidConfigs: Array<Record<string, string>> = [
  { 'retention.ms': 'abc' },
  { 'cleanup.policy': 'foo' },
  { 'no.such.config': '1' },
];

interface Outcome {
  error_code: number;
  error_name: string | null;
  message?: string;
}
interface AdminResult {
  results: Array<{
    op: string;
    topics?: Record<string, Outcome & { partitions?: number }>;
    result?: Outcome & { configs?: Record<string, { value: string | null; is_default: boolean }> };
  }>;
}

function confluentAdmin(bootstrap: string, ops: unknown[]): Promise<AdminResult> {
  return runPython<AdminResult>('confluent_admin', { bootstrap, ops, timeout_s: 20 }, 60_000);
}

/** Kafka error codes found on a kafkajs error, its cause chain and aggregated errors. */
function kafkajsErrorCodes(err: unknown, seen = new Set<unknown>()): number[] {
  if (typeof err !== 'object' || err === null || seen.has(err)) return [];
  seen.add(err);
  const e = err as { code?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  const codes = typeof e.code === 'number' ? [e.code] : [];
  codes.push(...kafkajsErrorCodes(e.cause, seen), ...kafkajsErrorCodes(e.originalError, seen));
  if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...kafkajsErrorCodes(inner, seen));
  return codes;
}

async function expectKafkaError(promise: Promise<unknown>, code: number, what: string): Promise<void> {
  let codes: number[] | undefined;
  try {
    await promise;
  } catch (err) {
    codes = kafkajsErrorCodes(err);
    if (!codes.includes(code)) throw new Error(`${what}: expected Kafka error ${code}, got codes ${JSON.stringify(codes)}`, { cause: err });
  }
  assert.ok(codes !== undefined, `${what}: expected Kafka error ${code}, but it succeeded`);
}

describe('topic and config admin', { timeout: 240_000, skip: targetKind() === 'mock' ? 'librdkafka’s mock has no CreateTopics/configs' : false }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget();
  });
  after(() => target?.stop());

  test('confluent-kafka AdminClient: create, list, describe, alter, partitions, delete', { timeout: 90_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const topic = uniqueTopic('adm-confluent');
      const r = await confluentAdmin(tg.bootstrap, [
        { op: 'create_topics', topics: [{ name: topic, partitions: 3, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'delete' } }] },
        { op: 'list_topics' },
        { op: 'describe_configs', topic },
        { op: 'alter_configs', topic, configs: { 'retention.ms': '7200000', 'segment.bytes': '1048576' } },
        { op: 'describe_configs', topic },
        { op: 'create_partitions', topic, total: 5 },
        { op: 'list_topics' },
      ]);
      const [created, listed, described, altered, described2, grown, listed2] = r.results;
      assert.equal(created.topics?.[topic].error_code, 0, 'create');
      assert.equal(listed.topics?.[topic].partitions, 3, 'listed with 3 partitions');
      assert.equal(described.result?.error_code, 0, 'describe');
      assert.equal(described.result?.configs?.['retention.ms'].value, '3600000');
      assert.equal(described.result?.configs?.['retention.ms'].is_default, false);
      assert.equal(described.result?.configs?.['cleanup.policy'].value, 'delete');
      assert.equal(altered.result?.error_code, 0, 'alter');
      assert.equal(described2.result?.configs?.['retention.ms'].value, '7200000');
      assert.equal(described2.result?.configs?.['segment.bytes'].value, '1048576');
      assert.equal(grown.topics?.[topic].error_code, 0, 'create partitions');
      assert.equal(listed2.topics?.[topic].partitions, 5, 'listed with 5 partitions');

      const del = await confluentAdmin(tg.bootstrap, [{ op: 'delete_topics', topics: [topic] }]);
      assert.equal(del.results[0].topics?.[topic].error_code, 0, 'delete');
      await waitFor(
        async () => {
          const l = await confluentAdmin(tg.bootstrap, [{ op: 'list_topics' }]);
          return l.results[0].topics?.[topic] === undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250, message: `${topic} gone from the topic list` },
      );
    });
  });

  test('confluent-kafka AdminClient: invalid names → 17, invalid configs → 40', { timeout: 60_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const bad = await confluentAdmin(tg.bootstrap, [{ op: 'create_topics', topics: invalidNames.map((name) => ({ name, partitions: 1 })) }]);
      for (const name of invalidNames) {
        assert.equal(bad.results[0].topics?.[name]?.error_code, INVALID_TOPIC_EXCEPTION, `topic name ${JSON.stringify(name.slice(0, 20))} (${name.length} chars)`);
      }
      const names = invalidConfigs.map((_, i) => uniqueTopic(`adm-badcfg-${i}`));
      const badCfg = await confluentAdmin(tg.bootstrap, [
        { op: 'create_topics', topics: invalidConfigs.map((configs, i) => ({ name: names[i], partitions: 1, configs })) },
        { op: 'list_topics' },
      ]);
      invalidConfigs.forEach((configs, i) => {
        assert.equal(badCfg.results[0].topics?.[names[i]].error_code, INVALID_CONFIG, `create with ${JSON.stringify(configs)}`);
        assert.equal(badCfg.results[1].topics?.[names[i]], undefined, `${names[i]} not created`);
      });
      const topic = uniqueTopic('adm-alter-bad');
      const alter = await confluentAdmin(tg.bootstrap, [
        { op: 'create_topics', topics: [{ name: topic, partitions: 1 }] },
        ...invalidConfigs.map((configs) => ({ op: 'alter_configs', topic, configs })),
        { op: 'describe_configs', topic },
      ]);
      assert.equal(alter.results[0].topics?.[topic].error_code, 0);
      invalidConfigs.forEach((configs, i) => {
        assert.equal(alter.results[1 + i].result?.error_code, INVALID_CONFIG, `alter with ${JSON.stringify(configs)}`);
      });
      const after = alter.results[1 + invalidConfigs.length].result?.configs;
      assert.notEqual(after?.['retention.ms'].value, 'abc', 'a rejected alter changes nothing');
      assert.notEqual(after?.['cleanup.policy'].value, 'foo', 'a rejected alter changes nothing');
    });
  });

  test('kafkajs admin: create, list, describe, alter, partitions, delete, invalid input', { timeout: 90_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const admin = kafkajs(tg.bootstrap).admin();
      await admin.connect();
      try {
        const topic = uniqueTopic('adm-kafkajs');
        const created = await admin.createTopics({
          topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
          waitForLeaders: true,
        });
        assert.equal(created, true);
        assert.ok((await admin.listTopics()).includes(topic), 'listed');
        const describe = async (): Promise<Map<string, string>> => {
          const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
          assert.equal(d.resources[0].errorCode, 0);
          return new Map(d.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
        };
        assert.equal((await describe()).get('retention.ms'), '3600000');
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
        });
        assert.equal((await describe()).get('retention.ms'), '7200000');
        await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        assert.equal(md.topics[0].partitions.length, 4);

        for (const name of invalidNames) {
          await expectKafkaError(admin.createTopics({ topics: [{ topic: name, numPartitions: 1, replicationFactor: 1 }] }), INVALID_TOPIC_EXCEPTION, `create ${JSON.stringify(name.slice(0, 20))}`);
        }
        for (const configs of invalidConfigs) {
          const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
          await expectKafkaError(
            admin.createTopics({ topics: [{ topic: uniqueTopic('adm-kjs-bad'), numPartitions: 1, replicationFactor: 1, configEntries }] }),
            INVALID_CONFIG,
            `create with ${JSON.stringify(configs)}`,
          );
          await expectKafkaError(
            admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries }] }),
            INVALID_CONFIG,
            `alter with ${JSON.stringify(configs)}`,
          );
        }
        assert.equal((await describe()).get('retention.ms'), '7200000', 'rejected alters changed nothing');

        await admin.deleteTopics({ topics: [topic], timeout: 20_000 });
        await waitFor(async () => !(await admin.listTopics()).includes(topic), { timeoutMs: 20_000, intervalMs: 250, message: `${topic} deleted` });
      } finally {
        await admin.disconnect();
      }
    });
  });
});
