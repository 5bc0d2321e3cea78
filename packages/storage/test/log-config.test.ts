import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLogConfig, hasDeletePolicy, logConfigFromTopicConfigs } from '../src/log-config.js';

test('Kafka topic configs map onto LogConfig', () => {
  assert.deepEqual(
    logConfigFromTopicConfigs({ 'retention.ms': '1000', 'flush.messages': '9223372036854775807', 'message.timestamp.type': 'LogAppendTime', 'cleanup.policy': 'compact,delete', 'unknown.key': 'x' }),
    { retentionMs: 1000, flushMessages: Number.MAX_SAFE_INTEGER, messageTimestampType: 'LogAppendTime', cleanupPolicy: 'compact,delete' },
  );
  assert.throws(() => logConfigFromTopicConfigs({ 'segment.bytes': 'lots' }), /segment.bytes/);
  assert.throws(() => logConfigFromTopicConfigs({ 'segment.bytes': '1' }), RangeError);
});

test('delete policy detection', () => {
  assert.equal(hasDeletePolicy(defaultLogConfig), true);
  assert.equal(hasDeletePolicy({ ...defaultLogConfig, cleanupPolicy: 'compact' }), false);
  assert.equal(hasDeletePolicy({ ...defaultLogConfig, cleanupPolicy: 'compact, delete' }), true);
});
