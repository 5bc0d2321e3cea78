// A broker that lists no Fetch version this client speaks: the consumer stops with
// KafkaError UNSUPPORTED_VERSION (its CRASH event) instead of retrying the fetch forever
// without a word, as it does for a lost connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListOffsetsApi, type AnyApiDescriptor } from '@samsa/protocol';
import { Kafka } from '../../src/kafka.js';
import { KafkaError } from '../../src/kafka-error.js';
import { silentLogger } from '../../src/logger.js';
import { scriptedCluster } from '../../test-support/scripted-cluster.js';

test('a broker without a usable Fetch version crashes the consumer with UNSUPPORTED_VERSION, once', { timeout: 30_000 }, async (t) => {
  const cluster = await scriptedCluster(t, [[ListOffsetsApi as AnyApiDescriptor, 0, 7]], [0], () => assert.fail('only ApiVersions and Metadata are expected'), 1);
  const consumer = new Kafka({ brokers: cluster.bootstrap, logger: silentLogger, retry: { initialRetryTimeMs: 10 } }).consumer();
  t.after(() => consumer.disconnect());
  const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
  await consumer.connect();
  await consumer.assign([{ topic: 't', partitions: [0] }]);
  consumer.seek({ topic: 't', partition: 0, offset: 0 });
  void consumer.run({ eachMessage: async () => assert.fail('no message can arrive') }).catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const error = await Promise.race([
    crashed,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the consumer did not report UNSUPPORTED_VERSION within 10 s')), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.ok(error instanceof KafkaError, String(error));
  assert.equal(error.type, 'UNSUPPORTED_VERSION');
  assert.equal(error.apiName, 'Fetch');
  assert.equal(error.retriable, false);
  assert.match(error.message, /does not serve Fetch/);
});
