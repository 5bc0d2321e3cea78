// Issue 10 item 5: authorized operations (KIP-430). Asked for, Metadata (v8+; cluster ones
// v8-10), DescribeCluster and DescribeGroups (v3+) carry every operation the resource supports
// (no authorizer: Kafka's answer); not asked for, Kafka's INT32_MIN.
//
// Clients: librdkafka 2.15 (>= 2.3 has the feature; Debian's 2.0.2 does not) through
// @confluentinc/kafka-javascript's admin (describeTopics, describeGroups) and its C API through
// ctypes (DescribeCluster, which the Node binding does not offer), kafka-python 2.0.2's
// KafkaAdminClient (DescribeGroups v3; its driver corrects the library's v3 response schema),
// @platformatic/kafka's admin (DescribeGroups v5), and raw requests for the versions and flags
// the clients do not send. scripts/install-librdkafka-js.sh (run by scripts/install-test-deps.sh) builds
// the librdkafka 2.15 client; only when that build is impossible on the machine do its tests
// skip, with the reason it recorded. Samsa only: librdkafka's mock does not compute them.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { Connection, parseHostPort } from '@samsa/client';
import { DescribeClusterApi, DescribeGroupsApi, MetadataApi, ZERO_UUID } from '@samsa/protocol';
import { kafkajs } from '../support/kafkajs-driver.js';
import { repoRoot } from '../support/paths.js';
import { uniqueTopic } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { logOnFailure, startTarget, targetKind, type Target } from '../support/target.js';

/** Kafka's AclOperation codes, and the sets AclEntry.supportedOperations gives each resource type. */
const Op = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 };
const TOPIC_OPS = [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS].sort((a, b) => a - b);
const GROUP_OPS = [Op.READ, Op.DELETE, Op.DESCRIBE].sort((a, b) => a - b);
const CLUSTER_OPS = [Op.CREATE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE, Op.ALTER, Op.DESCRIBE].sort((a, b) => a - b);
const NOT_REQUESTED = -2147483648;

/** The operation codes of a 32-bit authorized-operations field (bit i = code i), ascending. */
function codesOf(bits: number): number[] {
  const out: number[] = [];
  for (let code = 0; code < 32; code++) if ((bits & (1 << code)) !== 0) out.push(code);
  return out;
}

const librdkafkaJsDir = join(repoRoot, 'tests', 'clients-npm', 'librdkafka-js');
const librdkafkaSo = join(librdkafkaJsDir, 'node_modules', '@confluentinc', 'kafka-javascript', 'build', 'deps', 'librdkafka.so.1');

interface LibrdkafkaJs {
  librdkafkaVersion: string;
  KafkaJS: {
    Kafka: new (config: unknown) => { admin(): LibrdkafkaJsAdmin };
    logLevel: { NOTHING: number };
  };
}
interface LibrdkafkaJsAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  fetchTopicMetadata(options: { topics: string[]; includeAuthorizedOperations?: boolean; timeout?: number }): Promise<Array<{ name: string; authorizedOperations?: number[] | null }>>;
  describeGroups(groups: string[], options?: { includeAuthorizedOperations?: boolean; timeout?: number }): Promise<{ groups: Array<{ groupId: string; authorizedOperations?: number[] | null; error?: unknown }> }>;
}

/** The built client, or the reason scripts/install-librdkafka-js.sh gave for not building it. */
function loadLibrdkafkaJs(): LibrdkafkaJs | { unavailable: string } {
  const marker = join(librdkafkaJsDir, 'UNAVAILABLE');
  try {
    return createRequire(join(librdkafkaJsDir, 'package.json'))('@confluentinc/kafka-javascript') as LibrdkafkaJs;
  } catch (err) {
    if (existsSync(marker)) return { unavailable: readFileSync(marker, 'utf8').trim() };
    throw new Error(`@confluentinc/kafka-javascript is not built: run \`bash scripts/install-librdkafka-js.sh\` (or scripts/install-test-deps.sh) first`, { cause: err });
  }
}

interface DescribeClusterResult {
  version: string;
  error: string | null;
  cluster_id?: string;
  controller_id?: number;
  nodes?: Array<[number, string, number]>;
  authorized_operations?: number[] | null;
}

interface KafkaPythonGroups {
  groups: Array<{ group: string; error_code: number; state: string; authorized_operations: number | null }>;
}

describe('authorized operations', { skip: targetKind() === 'mock' ? 'librdkafka mock does not compute authorized operations' : false }, () => {
  let target: Target;
  let topic: string;
  let group: string;

  before(async () => {
    target = await startTarget();
    topic = uniqueTopic('authz-ops');
    group = `${topic}-group`;
    await target.createTopic(topic, { partitions: 2 });
    // A group with a committed offset (Empty, known to the coordinator).
    const admin = kafkajs(target.bootstrap).admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '1' }] });
    } finally {
      await admin.disconnect();
    }
  });

  after(async () => {
    await target?.stop();
  });

  describe('librdkafka 2.15 (@confluentinc/kafka-javascript)', () => {
    const client = loadLibrdkafkaJs();
    const skip = 'unavailable' in client ? `librdkafka 2.15 client could not be built here: ${client.unavailable}` : false;

    test('describeTopics and describeGroups with includeAuthorizedOperations', { skip }, (t) =>
      logOnFailure(target, t, async () => {
        const lib = client as LibrdkafkaJs;
        assert.match(lib.librdkafkaVersion, /^2\.(1\d|[3-9])\./, 'a librdkafka with KIP-430 support');
        const admin = new lib.KafkaJS.Kafka({ kafkaJS: { brokers: [target.bootstrap], logLevel: lib.KafkaJS.logLevel.NOTHING } }).admin();
        await admin.connect();
        try {
          const [asked] = await admin.fetchTopicMetadata({ topics: [topic], includeAuthorizedOperations: true, timeout: 15_000 });
          assert.equal(asked.name, topic);
          assert.deepEqual([...(asked.authorizedOperations ?? [])].sort((a, b) => a - b), TOPIC_OPS, 'topic operations');
          const [notAsked] = await admin.fetchTopicMetadata({ topics: [topic], includeAuthorizedOperations: false, timeout: 15_000 });
          assert.ok(notAsked.authorizedOperations == null || notAsked.authorizedOperations.length === 0, `not asked: ${JSON.stringify(notAsked.authorizedOperations)}`);

          const groups = await admin.describeGroups([group], { includeAuthorizedOperations: true, timeout: 15_000 });
          assert.equal(groups.groups.length, 1);
          assert.equal(groups.groups[0].groupId, group);
          assert.deepEqual([...(groups.groups[0].authorizedOperations ?? [])].sort((a, b) => a - b), GROUP_OPS, 'group operations');
          const plain = await admin.describeGroups([group], { timeout: 15_000 });
          const ops = plain.groups[0].authorizedOperations;
          assert.ok(ops == null || ops.length === 0, `not asked: ${JSON.stringify(ops)}`);
        } finally {
          await admin.disconnect();
        }
      }),
    );

    test('DescribeCluster through the C API with include_authorized_operations', { skip }, (t) =>
      logOnFailure(target, t, async () => {
        const asked = await runPython<DescribeClusterResult>(
          'librdkafka_describe_cluster',
          { bootstrap: target.bootstrap, library: librdkafkaSo, include_authorized_operations: true },
          60_000,
        );
        assert.equal(asked.error, null);
        assert.match(asked.version, /^2\.15\./);
        assert.deepEqual(asked.authorized_operations, CLUSTER_OPS, 'cluster operations');
        assert.equal(asked.nodes?.length, 1);
        assert.equal(asked.controller_id, asked.nodes?.[0][0]);
        const notAsked = await runPython<DescribeClusterResult>(
          'librdkafka_describe_cluster',
          { bootstrap: target.bootstrap, library: librdkafkaSo, include_authorized_operations: false },
          60_000,
        );
        assert.equal(notAsked.error, null);
        assert.equal(notAsked.authorized_operations, null, 'not asked: none returned');
        assert.equal(notAsked.cluster_id, asked.cluster_id);
      }),
    );
  });

  test('kafka-python KafkaAdminClient describe_consumer_groups(include_authorized_operations)', (t) =>
    logOnFailure(target, t, async () => {
      const asked = await runPython<KafkaPythonGroups>(
        'kafka_python_describe_groups',
        { bootstrap: target.bootstrap, groups: [group], include_authorized_operations: true },
        60_000,
      );
      assert.equal(asked.groups.length, 1);
      assert.equal(asked.groups[0].error_code, 0);
      assert.equal(asked.groups[0].state, 'Empty');
      assert.deepEqual(codesOf(asked.groups[0].authorized_operations ?? 0), GROUP_OPS);
      const notAsked = await runPython<KafkaPythonGroups>(
        'kafka_python_describe_groups',
        { bootstrap: target.bootstrap, groups: [group], include_authorized_operations: false },
        60_000,
      );
      assert.equal(notAsked.groups[0].authorized_operations, NOT_REQUESTED);
    }),
  );

  test('@platformatic/kafka Admin describeGroups({ includeAuthorizedOperations })', (t) =>
    logOnFailure(target, t, async () => {
      const admin = new Admin({ clientId: 'samsa-compat-authz-ops', bootstrapBrokers: [target.bootstrap] });
      try {
        const asked = await admin.describeGroups({ groups: [group], includeAuthorizedOperations: true });
        assert.deepEqual(codesOf(asked.get(group)?.authorizedOperations ?? 0), GROUP_OPS);
        const notAsked = await admin.describeGroups({ groups: [group] });
        assert.equal(notAsked.get(group)?.authorizedOperations, NOT_REQUESTED);
      } finally {
        await admin.close();
      }
    }),
  );

  test('raw requests: every version with the fields, asked and not asked', (t) =>
    logOnFailure(target, t, async () => {
      const { host, port } = parseHostPort(target.bootstrap);
      const conn = await Connection.open(host, port, { timeoutMs: 15_000 });
      try {
        for (const version of [8, 9, 10, 11, 12, 13]) {
          for (const ask of [true, false]) {
            const md = await conn.send(MetadataApi, version, {
              topics: [
                { name: topic, topicId: ZERO_UUID },
                { name: `${topic}-missing`, topicId: ZERO_UUID },
              ],
              allowAutoTopicCreation: false,
              includeClusterAuthorizedOperations: ask,
              includeTopicAuthorizedOperations: ask,
            });
            const [known, missing] = md.topics;
            assert.equal(known.errorCode, 0);
            assert.deepEqual(codesOf(known.topicAuthorizedOperations), ask ? TOPIC_OPS : codesOf(NOT_REQUESTED), `Metadata v${version} topic, asked ${ask}`);
            // Kafka gives an unknown (but describable) topic the operations too.
            assert.equal(missing.errorCode, 3);
            assert.equal(missing.topicAuthorizedOperations, ask ? known.topicAuthorizedOperations : NOT_REQUESTED);
            if (version <= 10) {
              assert.equal(md.clusterAuthorizedOperations, ask ? CLUSTER_OPS.reduce((bits, code) => bits | (1 << code), 0) : NOT_REQUESTED, `Metadata v${version} cluster, asked ${ask}`);
            }
          }
        }
        // Only the cluster flag (v8-10): the topics stay "not requested".
        const onlyCluster = await conn.send(MetadataApi, 9, {
          topics: [{ name: topic, topicId: ZERO_UUID }],
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: true,
          includeTopicAuthorizedOperations: false,
        });
        assert.deepEqual(codesOf(onlyCluster.clusterAuthorizedOperations), CLUSTER_OPS);
        assert.equal(onlyCluster.topics[0].topicAuthorizedOperations, NOT_REQUESTED);

        for (const version of [0, 1]) {
          for (const ask of [true, false]) {
            const dc = await conn.send(DescribeClusterApi, version, { includeClusterAuthorizedOperations: ask, endpointType: 1, includeFencedBrokers: false });
            assert.equal(dc.errorCode, 0);
            if (ask) assert.deepEqual(codesOf(dc.clusterAuthorizedOperations), CLUSTER_OPS, `DescribeCluster v${version}`);
            else assert.equal(dc.clusterAuthorizedOperations, NOT_REQUESTED, `DescribeCluster v${version}, not asked`);
          }
        }
        for (const version of [3, 4, 5]) {
          for (const ask of [true, false]) {
            const dg = await conn.send(DescribeGroupsApi, version, { groups: [group, `${group}-unknown`], includeAuthorizedOperations: ask });
            assert.equal(dg.groups.length, 2);
            for (const g of dg.groups) {
              if (ask) assert.deepEqual(codesOf(g.authorizedOperations), GROUP_OPS, `DescribeGroups v${version} ${g.groupId}`);
              else assert.equal(g.authorizedOperations, NOT_REQUESTED, `DescribeGroups v${version} ${g.groupId}, not asked`);
            }
          }
        }
      } finally {
        conn.close();
      }
    }),
  );
});
