import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, LONG_MAX_TEXT } from '../../src/config/config-def.js';
import { BrokerConfig } from '../../src/config/broker-config.js';
import type { ConfigEntryView } from '../../src/config/config-view.js';
import { parseProperties } from '../../src/config/properties.js';

const broker = (text = ''): BrokerConfig => BrokerConfig.fromProperties(parseProperties(text));

function entry(entries: ConfigEntryView[], name: string): ConfigEntryView {
  const found = entries.find((e) => e.name === name);
  assert.ok(found, `no entry for ${name}`);
  return found;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, 'expected a ConfigError');
    return e;
  }
  assert.fail('expected a throw');
}

describe('BrokerConfig defaults', () => {
  it('has Samsa\'s single-node defaults', () => {
    const c = broker();
    assert.equal(c.nodeId, 0);
    assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }]);
    assert.deepEqual(c.advertisedListeners, c.listeners);
    assert.deepEqual(c.logDirs, ['./data']);
    assert.equal(c.clusterId, null);
    assert.equal(c.offsetsTopicReplicationFactor, 1);
    assert.equal(c.transactionStateLogMinIsr, 1);
  });

  it('has Kafka\'s defaults elsewhere', () => {
    const c = broker();
    assert.equal(c.numPartitions, 1);
    assert.equal(c.defaultReplicationFactor, 1);
    assert.equal(c.autoCreateTopicsEnable, true);
    assert.equal(c.deleteTopicEnable, true);
    assert.equal(c.messageMaxBytes, 1048588);
    assert.equal(c.socketRequestMaxBytes, 104857600);
    assert.equal(c.logRetentionCheckIntervalMs, 300000);
    assert.equal(c.offsetsTopicNumPartitions, 50);
    assert.equal(c.offsetsRetentionMs, 10080 * 60_000);
    assert.equal(c.groupInitialRebalanceDelayMs, 3000);
    assert.equal(c.groupMinSessionTimeoutMs, 6000);
    assert.equal(c.groupMaxSessionTimeoutMs, 1800000);
    assert.equal(c.transactionStateLogNumPartitions, 50);
    assert.equal(c.fetchMaxBytes, 57671680);
    assert.equal(c.queuedMaxRequests, 500);
    assert.equal(c.connectionsMaxIdleMs, 600000);
    assert.equal(c.minInsyncReplicas, 1);
    assert.equal(c.get('log.segment.bytes'), 1073741824);
    assert.equal(c.getText('log.flush.interval.messages'), LONG_MAX_TEXT);
    assert.deepEqual(c.get('log.cleanup.policy'), ['delete']);
  });

  it('collects unknown keys with a warning, and warns about keys with no effect', () => {
    const c = broker('zookeeper.connect=localhost:2181\nnum.io.threads=16\n');
    assert.deepEqual(c.unknownKeys, ['zookeeper.connect']);
    assert.equal(c.warnings.length, 2);
    assert.match(c.warnings[1], /num\.io\.threads.*no effect/);
  });
});

describe('BrokerConfig validation', () => {
  it('names the key, the value and the rule', () => {
    const e = configError(() => broker('num.partitions=zero\n'));
    assert.equal(e.key, 'num.partitions');
    assert.equal(e.message, 'Invalid value zero for configuration num.partitions: Not a number of type INT');
    assert.equal(configError(() => broker('num.partitions=0')).message, 'Invalid value 0 for configuration num.partitions: Value must be at least 1');
    assert.equal(
      configError(() => broker('log.message.timestamp.type=Now')).message,
      'Invalid value Now for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime',
    );
  });

  it('accepts broker.id as node.id, and requires them to match when both are set', () => {
    assert.equal(broker('broker.id=7').nodeId, 7);
    assert.equal(broker('broker.id=7\nnode.id=7').nodeId, 7);
    assert.equal(configError(() => broker('broker.id=7\nnode.id=8')).key, 'node.id');
  });

  it('prefers log.dirs over log.dir', () => {
    assert.deepEqual(broker('log.dir=/a').logDirs, ['/a']);
    assert.deepEqual(broker('log.dir=/a\nlog.dirs=/b, /c').logDirs, ['/b', '/c']);
  });

  it('parses listeners with protocols from the map', () => {
    const c = broker('listeners=plaintext://:9092,INTERNAL://[::1]:9093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT\n' +
      'advertised.listeners=PLAINTEXT://kafka.example:9092');
    assert.deepEqual(c.listeners, [
      { name: 'PLAINTEXT', host: '', port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'INTERNAL', host: '::1', port: 9093, securityProtocol: 'PLAINTEXT' },
    ]);
    assert.deepEqual(c.advertisedListeners, [{ name: 'PLAINTEXT', host: 'kafka.example', port: 9092, securityProtocol: 'PLAINTEXT' }]);
  });

  it('rejects bad listener settings with the key named', () => {
    assert.match(configError(() => broker('listeners=localhost:9092')).message, /configuration listeners: Unable to parse localhost:9092/);
    assert.match(configError(() => broker('listeners=FOO://:9092')).message, /No security protocol defined for listener FOO/);
    assert.match(configError(() => broker('listeners=PLAINTEXT://:9092,SSL://:9092')).message, /different port/);
    assert.match(configError(() => broker('listeners=PLAINTEXT://:70000')).message, /outside 0\.\.65535/);
    assert.equal(configError(() => broker('advertised.listeners=SSL://h:9093')).key, 'advertised.listeners');
    assert.match(configError(() => broker('listeners=PLAINTEXT://0.0.0.0:9092')).message, /nonroutable meta-address 0\.0\.0\.0/);
  });

  it('refuses listeners Samsa cannot serve: TLS and SASL', () => {
    const e = configError(() => broker('listeners=PLAINTEXT://:9092,SSL://:9093'));
    assert.equal(e.key, 'listeners');
    assert.match(e.message, /listener SSL uses security protocol SSL; Samsa serves PLAINTEXT listeners only/);
    assert.match(configError(() => broker('listeners=SASL_PLAINTEXT://:9092')).message, /SASL_PLAINTEXT; Samsa serves PLAINTEXT/);
  });

  it('refuses what a single node cannot do instead of ignoring it', () => {
    assert.match(configError(() => broker('offsets.topic.replication.factor=3')).message, /single node.*exactly one replica/);
    assert.match(configError(() => broker('transaction.state.log.min.isr=2')).message, /single node/);
    assert.equal(broker('offsets.topic.replication.factor=1').offsetsTopicReplicationFactor, 1);
    assert.match(configError(() => broker('group.coordinator.rebalance.protocols=classic,consumer')).message, /only the classic group protocol, not 'consumer'/);
  });

  it('validates the network limits', () => {
    const c = broker('max.connections.per.ip.overrides=127.0.0.2:5, ::1:7\nqueued.max.request.bytes=-1');
    assert.deepEqual([...c.maxConnectionsPerIpOverrides], [['127.0.0.2', 5], ['::1', 7]]);
    assert.equal(c.queuedMaxRequestBytes, -1);
    assert.equal(broker().queuedMaxRequestBytes, 512 * 1024 * 1024);
    assert.equal(broker().socketListenBacklogSize, 50);
    assert.match(configError(() => broker('queued.max.request.bytes=0')).message, /-1 \(no bound\) or at least 1/);
    assert.match(configError(() => broker('max.connections.per.ip.overrides=db.example:5')).message, /not an IP address/);
    assert.match(configError(() => broker('max.connections.per.ip.overrides=127.0.0.2')).message, /not address:limit/);
    assert.equal(configError(() => broker('max.connections.per.ip=0')).key, 'max.connections.per.ip');
    assert.equal(broker('max.connections.per.ip=0\nmax.connections.per.ip.overrides=10.0.0.1:3').maxConnectionsPerIp, 0);
  });

  it('warns at startup about every key it accepts without effect', () => {
    const c = broker('socket.send.buffer.bytes=102400\ncompression.gzip.level=5\nssl.keystore.location=/k\nqueued.max.requests=10');
    assert.deepEqual(
      c.warnings.map((w) => /'([^']+)'/.exec(w)?.[1]),
      ['socket.send.buffer.bytes', 'compression.gzip.level', 'ssl.keystore.location'],
    );
    assert.match(c.warnings[0], /accepted, no effect.*Node cannot set it/);
  });

  it('accepts only false for remote.log.storage.system.enable', () => {
    assert.match(configError(() => broker('remote.log.storage.system.enable=true')).message, /does not support tiered storage/);
  });
});

describe('BrokerConfig synonyms', () => {
  const retention = (text: string): number => broker(text).topicDefault('retention.ms').value.value as number;

  it('resolves retention through ms, then minutes, then hours', () => {
    assert.equal(retention(''), 168 * 3_600_000);
    assert.equal(retention('log.retention.hours=1'), 3_600_000);
    assert.equal(retention('log.retention.hours=1\nlog.retention.minutes=5'), 300_000);
    assert.equal(retention('log.retention.hours=1\nlog.retention.minutes=5\nlog.retention.ms=1234'), 1234);
  });

  it('maps any negative retention to -1', () => {
    assert.equal(retention('log.retention.hours=-5'), -1);
    assert.equal(retention('log.retention.ms=-100'), -1);
  });

  it('resolves segment.ms and flush.ms through their chains', () => {
    const c = broker('log.roll.hours=2\nlog.flush.scheduler.interval.ms=500');
    assert.equal(c.topicDefault('segment.ms').value.value, 7_200_000);
    assert.equal(c.topicDefault('flush.ms').value.value, 500);
    assert.equal(broker('log.roll.hours=2\nlog.roll.ms=10').topicDefault('segment.ms').value.value, 10);
    assert.equal(broker('log.flush.interval.ms=9').topicDefault('flush.ms').value.value, 9);
  });

  it('exposes every topic config\'s broker default in Kafka\'s string form', () => {
    const defaults = broker('message.max.bytes=2000\nlog.cleanup.policy=compact\nlog.segment.bytes=1048576').topicDefaults();
    assert.equal(defaults.get('max.message.bytes'), '2000');
    assert.equal(defaults.get('cleanup.policy'), 'compact');
    assert.equal(defaults.get('segment.bytes'), '1048576');
    assert.equal(defaults.get('flush.messages'), LONG_MAX_TEXT);
    assert.equal(defaults.get('retention.ms'), '604800000');
    assert.equal(defaults.get('remote.storage.enable'), 'false');
    assert.equal(defaults.get('min.cleanable.dirty.ratio'), '0.5');
  });
});

describe('BrokerConfig.describe', () => {
  it('reports sources and synonyms, highest precedence first', () => {
    const c = broker('log.retention.minutes=30\nnum.partitions=3');
    const all = c.describe(undefined, true, true);
    const ms = entry(all, 'log.retention.ms');
    assert.equal(ms.value, '1800000');
    assert.equal(ms.source, 'STATIC_BROKER_CONFIG');
    assert.equal(ms.readOnly, false);
    assert.equal(ms.type, 'LONG');
    assert.deepEqual(ms.synonyms, [
      { name: 'log.retention.minutes', value: '30', source: 'STATIC_BROKER_CONFIG' },
      { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG' },
    ]);
    const partitions = entry(all, 'num.partitions');
    assert.deepEqual(
      { value: partitions.value, source: partitions.source, readOnly: partitions.readOnly, type: partitions.type },
      { value: '3', source: 'STATIC_BROKER_CONFIG', readOnly: true, type: 'INT' },
    );
    assert.ok(partitions.documentation.length > 0);
    const sorted = all.map((e) => e.name);
    assert.deepEqual(sorted, [...sorted].sort());
  });

  it('reports unset configs with a DEFAULT_CONFIG source and null value', () => {
    const [rack] = broker().describe(['broker.rack'], true);
    assert.deepEqual(rack, {
      name: 'broker.rack', value: null, source: 'DEFAULT_CONFIG', readOnly: true, isSensitive: false, synonyms: [], type: 'STRING', documentation: '',
    });
  });

  it('hides password values everywhere', () => {
    const [pw] = broker('ssl.keystore.password=hunter2').describe(['ssl.keystore.password'], true);
    assert.equal(pw.value, null);
    assert.equal(pw.isSensitive, true);
    assert.equal(pw.type, 'PASSWORD');
    assert.deepEqual(pw.synonyms, [{ name: 'ssl.keystore.password', value: null, source: 'STATIC_BROKER_CONFIG' }]);
  });

  it('skips unknown names and omits synonyms and docs unless asked', () => {
    const got = broker().describe(['nope', 'message.max.bytes']);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].synonyms, []);
    assert.equal(got[0].documentation, '');
  });
});

describe('BrokerConfig dynamic updates', () => {
  it('rejects read-only configs with Kafka\'s wording and INVALID_REQUEST', () => {
    const c = broker();
    assert.deepEqual(c.validateDynamicUpdate(new Map([['num.partitions', '3'], ['log.retention.hours', '1']])), {
      ok: false,
      errorCode: 42,
      message: "Invalid config value for resource ConfigResource(type=BROKER, name='0'): Cannot update these configs dynamically: Set(num.partitions, log.retention.hours)",
    });
  });

  it('rejects per-broker configs at the cluster-default level', () => {
    const r = broker().validateDynamicUpdate(new Map([['ssl.keystore.location', '/k']]), 'cluster-default');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /name=''\): Cannot update these configs at default cluster level, broker id must be specified: Set\(ssl\.keystore\.location\)/);
  });

  it('rejects unknown names and bad values without applying anything', () => {
    const c = broker();
    const bad = c.applyDynamicUpdate(new Map([['message.max.bytes', '5'], ['log.retention.ms', 'soon']]));
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.message : '', /Invalid value soon for configuration log\.retention\.ms: Not a number of type LONG/);
    assert.equal(c.messageMaxBytes, 1048588);
    assert.equal(c.validateDynamicUpdate(new Map([['log.retention.msec', '1']])).ok, false);
  });

  it('layers per-broker over cluster default over static, and deletes with null', () => {
    const c = broker('log.retention.ms=100');
    assert.deepEqual(c.applyDynamicUpdate(new Map([['log.retention.ms', '200']]), 'cluster-default'), { ok: true });
    assert.equal(c.topicDefault('retention.ms').value.value, 200);
    c.applyDynamicUpdate(new Map([['log.retention.ms', '300']]));
    const [view] = c.describe(['log.retention.ms'], true);
    assert.equal(view.value, '300');
    assert.equal(view.source, 'DYNAMIC_BROKER_CONFIG');
    assert.deepEqual(view.synonyms.map((s) => s.source), [
      'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG',
    ]);
    assert.deepEqual([...c.dynamicConfigs('broker')], [['log.retention.ms', '300']]);
    c.applyDynamicUpdate(new Map([['log.retention.ms', null]]));
    assert.equal(c.topicDefault('retention.ms').value.value, 200);
    assert.equal(c.dynamicConfigs('broker').size, 0);
  });

  it('lets a dynamic message.max.bytes reach the typed getter', () => {
    const c = broker();
    c.applyDynamicUpdate(new Map([['message.max.bytes', '2048']]));
    assert.equal(c.messageMaxBytes, 2048);
  });
});
