import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactionSettings, defaultLogConfig, hasCompactPolicy, logConfigFromTopicConfigs, maxSegmentMs } from '../../src/log-config.js';

test('compaction topic configs map onto LogConfig, with Kafka defaults when absent', () => {
  assert.deepEqual(
    logConfigFromTopicConfigs({ 'delete.retention.ms': '1000', 'min.cleanable.dirty.ratio': '0.25', 'min.compaction.lag.ms': '5', 'max.compaction.lag.ms': '9223372036854775807' }),
    { deleteRetentionMs: 1000, minCleanableDirtyRatio: 0.25, minCompactionLagMs: 5, maxCompactionLagMs: Number.MAX_SAFE_INTEGER },
  );
  assert.throws(() => logConfigFromTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' }), /min.cleanable.dirty.ratio/);
  assert.throws(() => logConfigFromTopicConfigs({ 'max.compaction.lag.ms': '0' }), /max.compaction.lag.ms/);
  const { deleteRetentionMs, minCleanableDirtyRatio, minCompactionLagMs, maxCompactionLagMs, ...rest } = defaultLogConfig;
  assert.deepEqual(compactionSettings({ ...rest }), { deleteRetentionMs: 86_400_000, minCleanableDirtyRatio: 0.5, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER });
  assert.deepEqual([deleteRetentionMs, minCleanableDirtyRatio, minCompactionLagMs, maxCompactionLagMs], [86_400_000, 0.5, 0, Number.MAX_SAFE_INTEGER]);
});

test('policy detection, and max.compaction.lag.ms bounds segment.ms of compacted logs only', () => {
  assert.equal(hasCompactPolicy(defaultLogConfig), false);
  assert.equal(hasCompactPolicy({ ...defaultLogConfig, cleanupPolicy: 'compact,delete' }), true);
  assert.equal(maxSegmentMs({ ...defaultLogConfig, segmentMs: 1000, maxCompactionLagMs: 50 }), 1000);
  assert.equal(maxSegmentMs({ ...defaultLogConfig, cleanupPolicy: 'compact', segmentMs: 1000, maxCompactionLagMs: 50 }), 50);
  assert.equal(maxSegmentMs({ ...defaultLogConfig, cleanupPolicy: 'compact', segmentMs: 1000 }), 1000);
});
