import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LONG_MAX_TEXT } from '../../src/config/config-def.js';
import { BrokerConfig, TopicConfigs, type ConfigEntryView } from '../../src/config/effective-config.js';
import { ALTER_CONFIG_OP, applyIncrementalAlterOps, diffConfigs } from '../../src/config/incremental-alter.js';
import { parseProperties } from '../../src/config/properties.js';
import { TOPIC_CONFIG_DEF } from '../../src/config/topic-config.js';

const broker = (text = ''): BrokerConfig => BrokerConfig.fromProperties(parseProperties(text));
const map = (...pairs: Array<[string, string]>): Map<string, string> => new Map(pairs);

function entry(entries: ConfigEntryView[], name: string): ConfigEntryView {
  const found = entries.find((e) => e.name === name);
  assert.ok(found, `no entry for ${name}`);
  return found;
}

describe('TopicConfigs.validate', () => {
  it('accepts valid overrides and returns parsed values', () => {
    const r = TopicConfigs.validate(map(['cleanup.policy', 'compact, delete'], ['retention.ms', '-1'], ['min.cleanable.dirty.ratio', '0.1']));
    assert.ok(r.ok);
    assert.deepEqual(r.parsed.get('cleanup.policy'), ['compact', 'delete']);
    assert.equal(r.parsed.get('retention.ms'), -1);
    assert.equal(r.parsed.get('min.cleanable.dirty.ratio'), 0.1);
  });

  it('rejects unknown names with INVALID_CONFIG', () => {
    assert.deepEqual(TopicConfigs.validate(map(['retention.minutes', '5'])), {
      ok: false, errorCode: 40, message: 'Unknown topic config name: retention.minutes',
    });
  });

  it('rejects bad values with Kafka\'s message', () => {
    assert.deepEqual(TopicConfigs.validate(map(['retention.ms', 'forever'])), {
      ok: false, errorCode: 40, message: 'Invalid value forever for configuration retention.ms: Not a number of type LONG',
    });
    assert.deepEqual(TopicConfigs.validate(map(['retention.ms', '-2'])), {
      ok: false, errorCode: 40, message: 'Invalid value -2 for configuration retention.ms: Value must be at least -1',
    });
    assert.deepEqual(TopicConfigs.validate(map(['segment.bytes', '3000000000'])), {
      ok: false, errorCode: 40, message: 'Invalid value 3000000000 for configuration segment.bytes: Not a number of type INT',
    });
    assert.deepEqual(TopicConfigs.validate(map(['preallocate', 'yes'])), {
      ok: false, errorCode: 40, message: 'Invalid value yes for configuration preallocate: Expected value to be either true or false',
    });
  });

  it('reads message.format.version as Kafka does: "0.10.0.0" is 0.10.0, "2.8.1" is 2.8', () => {
    for (const v of ['0.8.2', '0.10.0.0', '0.10.0-IV1', '0.11.0.2', '1.0', '2.8-IV1', '2.8.1', '3.0-IV1', '3.9']) {
      assert.equal(TopicConfigs.validate(map(['message.format.version', v])).ok, true, v);
    }
    for (const v of ['0.8', '10', 'latest', '0.10.x', '3.0-IV', '']) {
      const r = TopicConfigs.validate(map(['message.format.version', v]));
      assert.equal(r.ok, false, v);
    }
  });

  it('checks min against max compaction lag, including the broker default', () => {
    const r = TopicConfigs.validate(map(['min.compaction.lag.ms', '10'], ['max.compaction.lag.ms', '5']));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.message, 'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)');
    assert.equal(TopicConfigs.validate(map(['min.compaction.lag.ms', '10']), broker('log.cleaner.max.compaction.lag.ms=5')).ok, false);
    assert.equal(TopicConfigs.validate(map(['min.compaction.lag.ms', '10'])).ok, true);
  });

  it('refuses tiered storage', () => {
    const r = TopicConfigs.validate(map(['remote.storage.enable', 'true']));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /Tiered Storage functionality is disabled/);
  });

  it('knows every Kafka 3.9 topic config', () => {
    const expected = [
      'cleanup.policy', 'compression.gzip.level', 'compression.lz4.level', 'compression.type', 'compression.zstd.level',
      'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas',
      'index.interval.bytes', 'leader.replication.throttled.replicas', 'local.retention.bytes', 'local.retention.ms',
      'max.compaction.lag.ms', 'max.message.bytes', 'message.downconversion.enable', 'message.format.version',
      'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.difference.max.ms',
      'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
      'remote.log.copy.disable', 'remote.log.delete.on.disable', 'remote.storage.enable', 'retention.bytes', 'retention.ms',
      'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms', 'unclean.leader.election.enable',
    ];
    assert.deepEqual(TOPIC_CONFIG_DEF.names().sort(), expected);
  });
});

describe('TopicConfigs.describe', () => {
  it('puts the topic override first, then broker synonyms', () => {
    const b = broker('log.retention.hours=48');
    const all = TopicConfigs.describe(map(['retention.ms', '1000']), b, undefined, true, true);
    const retention = entry(all, 'retention.ms');
    assert.equal(retention.value, '1000');
    assert.equal(retention.source, 'DYNAMIC_TOPIC_CONFIG');
    assert.equal(retention.readOnly, false);
    assert.equal(retention.type, 'LONG');
    assert.deepEqual(retention.synonyms, [
      { name: 'retention.ms', value: '1000', source: 'DYNAMIC_TOPIC_CONFIG' },
      { name: 'log.retention.hours', value: '48', source: 'STATIC_BROKER_CONFIG' },
      // Kafka lists a name's built-in default too, after every set value.
      { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG' },
    ]);
    assert.ok(retention.documentation.length > 0);
  });

  it('takes the value from the broker when there is no override', () => {
    const [retention] = TopicConfigs.describe(new Map(), broker('log.retention.hours=48'), ['retention.ms'], true);
    assert.equal(retention.value, String(48 * 3_600_000));
    assert.equal(retention.source, 'STATIC_BROKER_CONFIG');
    const [segment] = TopicConfigs.describe(new Map(), broker(), ['segment.bytes'], true);
    assert.deepEqual(
      { value: segment.value, source: segment.source, synonyms: segment.synonyms },
      { value: '1073741824', source: 'DEFAULT_CONFIG', synonyms: [{ name: 'log.segment.bytes', value: '1073741824', source: 'DEFAULT_CONFIG' }] },
    );
  });

  it('shows Long.MAX_VALUE defaults exactly and canonicalises lists', () => {
    const all = TopicConfigs.describe(map(['cleanup.policy', ' compact ,delete']), broker());
    assert.equal(entry(all, 'flush.messages').value, LONG_MAX_TEXT);
    assert.equal(entry(all, 'cleanup.policy').value, 'compact,delete');
    assert.equal(entry(all, 'remote.storage.enable').source, 'DEFAULT_CONFIG');
    assert.deepEqual(entry(all, 'retention.ms').synonyms, []);
  });

  it('returns only requested known names, sorted', () => {
    const got = TopicConfigs.describe(new Map(), broker(), ['segment.ms', 'bogus', 'cleanup.policy']);
    assert.deepEqual(got.map((e) => e.name), ['cleanup.policy', 'segment.ms']);
  });
});

describe('TopicConfigs.toLogConfig', () => {
  it('resolves defaults, capping Long.MAX_VALUE at MAX_SAFE_INTEGER', () => {
    assert.deepEqual(TopicConfigs.toLogConfig(new Map(), broker()), {
      segmentBytes: 1073741824,
      segmentMs: 604800000,
      retentionMs: 604800000,
      retentionBytes: -1,
      indexIntervalBytes: 4096,
      segmentIndexBytes: 10485760,
      flushMessages: Number.MAX_SAFE_INTEGER,
      flushMs: Number.MAX_SAFE_INTEGER,
      messageTimestampType: 'CreateTime',
      fileDeleteDelayMs: 60000,
      cleanupPolicy: 'delete',
      maxMessageBytes: 1048588,
      preallocate: false,
      messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
      messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
      deleteRetentionMs: 86400000,
      minCleanableDirtyRatio: 0.5,
      minCompactionLagMs: 0,
      maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
    });
  });

  it('applies overrides over broker values', () => {
    const b = broker('log.segment.bytes=1048576\nlog.roll.hours=1\nlog.message.timestamp.type=LogAppendTime');
    const c = TopicConfigs.toLogConfig(map(['segment.bytes', '2048'], ['cleanup.policy', 'compact'], ['flush.messages', '1']), b);
    assert.equal(c.segmentBytes, 2048);
    assert.equal(c.segmentMs, 3_600_000);
    assert.equal(c.messageTimestampType, 'LogAppendTime');
    assert.equal(c.cleanupPolicy, 'compact');
    assert.equal(c.flushMessages, 1);
  });

  it('exposes every effective topic value', () => {
    const eff = TopicConfigs.effective(map(['min.insync.replicas', '2']), broker('compression.type=zstd'));
    assert.equal(eff.get('min.insync.replicas'), 2);
    assert.equal(eff.get('compression.type'), 'zstd');
  });
});

describe('applyIncrementalAlterOps', () => {
  it('applies SET, DELETE, APPEND and SUBTRACT', () => {
    const r = applyIncrementalAlterOps(TOPIC_CONFIG_DEF, map(['retention.ms', '1'], ['segment.ms', '5']), [
      { name: 'retention.ms', configOperation: ALTER_CONFIG_OP.DELETE, value: null },
      { name: 'segment.ms', configOperation: ALTER_CONFIG_OP.SET, value: '10' },
      { name: 'cleanup.policy', configOperation: ALTER_CONFIG_OP.APPEND, value: 'compact,delete' },
    ]);
    assert.ok(r.ok);
    assert.deepEqual([...r.configs], [['segment.ms', '10'], ['cleanup.policy', 'delete,compact']]);
    const sub = applyIncrementalAlterOps(TOPIC_CONFIG_DEF, r.configs, [{ name: 'cleanup.policy', configOperation: ALTER_CONFIG_OP.SUBTRACT, value: 'delete' }]);
    assert.ok(sub.ok);
    assert.equal(sub.configs.get('cleanup.policy'), 'compact');
  });

  it('rejects APPEND on a non-list config and duplicate keys', () => {
    assert.deepEqual(applyIncrementalAlterOps(TOPIC_CONFIG_DEF, new Map(), [{ name: 'retention.ms', configOperation: 2, value: '1' }]), {
      ok: false, errorCode: 40, message: 'Config value append is not allowed for config key: retention.ms',
    });
    const dup = applyIncrementalAlterOps(TOPIC_CONFIG_DEF, new Map(), [
      { name: 'retention.ms', configOperation: 0, value: '1' },
      { name: 'retention.ms', configOperation: 1, value: null },
    ]);
    assert.equal(!dup.ok && dup.errorCode, 42);
  });

  it('diffs stored configs into dynamic changes', () => {
    assert.deepEqual([...diffConfigs(map(['a', '1'], ['b', '2']), map(['b', '3'], ['c', '4']))], [['b', '3'], ['c', '4'], ['a', null]]);
  });
});
