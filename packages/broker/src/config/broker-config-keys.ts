// Broker-level configs Samsa reads now or soon, with Kafka's names, types,
// defaults, valid values and dynamic update modes (Kafka 3.9 reference, as in
// topic-config.ts).
//
// Deliberate deviations from Kafka's defaults, each because Samsa is a single
// node that should be safe to start on a laptop (docs/configuration.md lists
// them for users):
//   - node.id defaults to 0 (Kafka: required); broker.id is accepted as its alias;
//   - listeners defaults to PLAINTEXT://127.0.0.1:9092 (Kafka: every interface);
//   - log.dir defaults to ./data (Kafka: /tmp/kafka-logs, which tmp cleaners erase);
//   - offsets.topic.replication.factor, transaction.state.log.replication.factor
//     and transaction.state.log.min.isr default to 1 (Kafka: 3, 3, 2, which a
//     single node can never satisfy);
//   - listeners, advertised.listeners and listener.security.protocol.map are
//     read-only (Kafka: per-broker), because sockets are not rebound live;
//   - cluster.id is a Samsa key; Kafka keeps the id in meta.properties,
//     written by `kafka-storage format`.
//
// Configs marked `ignored` are accepted so a Kafka server.properties loads
// unchanged, and have no effect; the broker logs each one that is set at
// startup ("accepted, no effect"), and its doc says why: thread-pool sizes
// mean nothing in a Node process with one event loop, controller and
// replication settings nothing in a single node, and a few features (socket
// buffer sizes, recompression, TLS) are not there. A value a single node
// could never honour (internal-topic replication above 1, TLS listeners) is
// refused rather than ignored. docs/configuration.md, "What is honoured",
// lists them; its reference table is generated from this file.

import {
  atLeast,
  between,
  ConfigDef,
  custom,
  LONG_MAX_TEXT,
  listOf,
  oneOf,
  type ConfigKey,
} from './config-def.js';
import {
  CLEANUP_POLICIES,
  COMPRESSION_TYPES,
  gzipLevel,
  lz4Level,
  TIMESTAMP_TYPES,
  zstdLevel,
  type BrokerSynonym,
} from './topic-config.js';
import { parsePerIpOverrides } from './per-ip-overrides.js';

/** Kafka's Integer.MAX_VALUE, the "unlimited" default of several int configs. */
const INT_MAX_TEXT = '2147483647';

/** Cluster ids are Kafka Uuids in URL-safe base64 in practice; any URL-safe token is accepted. */
const clusterIdRule = custom('[A-Za-z0-9_-]+', (p) =>
  /^[A-Za-z0-9_-]+$/.test(p.value as string) ? undefined : 'Cluster id must be non-empty and use only A-Z, a-z, 0-9, _ and -',
);

/**
 * Samsa's default for queued.max.request.bytes (Kafka: -1, unbounded). 512 MiB
 * keeps a 2-core 24 GiB machine safe: requests being handled are mostly
 * Produce batches waiting for their append, and 512 MiB of them is seconds of
 * disk writes; a connection that was receiving when the bound was hit may add
 * one frame (socket.request.max.bytes, 100 MiB) on top.
 */
const SAMSA_QUEUED_MAX_REQUEST_BYTES = String(512 * 1024 * 1024);

const minusOneOrPositive = custom('-1 or [1,...]', (p) =>
  p.exact === -1n || (p.exact !== undefined && p.exact >= 1n) ? undefined : 'Value must be -1 (no bound) or at least 1',
);

const perIpOverridesRule = custom('address:limit,...', (p) => {
  const parsed = parsePerIpOverrides(p.value as string);
  return typeof parsed === 'string' ? parsed : undefined;
});

/** Internal topics of a single node have one replica; a larger value could never be met, so it is refused rather than ignored. */
const singleReplica = custom('[1]', (p) =>
  p.exact === 1n ? undefined : 'Samsa runs as a single node, so internal topics have exactly one replica; set 1',
);

/** No ConsumerGroupHeartbeat handler exists, so listing `consumer` would promise something not served. */
const classicGroupsOnly = custom('[classic]', (p) => {
  const bad = (p.value as readonly string[]).find((v) => v !== 'classic');
  return bad === undefined ? undefined : `Samsa serves only the classic group protocol, not '${bad}' (KIP-848 consumer groups are not implemented)`;
});

/** Samsa has no remote storage manager; accepting `true` would silently keep data local. */
const noTieredStorage = custom('[false]', (p) =>
  p.value === false ? undefined : 'Samsa does not support tiered storage; this must be false',
);

/** The broker config definitions. */
export const BROKER_CONFIG_KEYS: readonly ConfigKey[] = [
  // -- Identity and listeners ------------------------------------------------
  {
    name: 'node.id', type: 'int', default: '0', validator: atLeast(0), importance: 'high', dynamic: 'read-only',
    doc: 'Id of this node. Samsa defaults to 0 because it runs as one node; broker.id is accepted as an alias.',
  },
  {
    name: 'broker.id', type: 'int', default: null, validator: atLeast(0), importance: 'high', dynamic: 'read-only',
    doc: 'Legacy name of node.id. If both are set they must be equal.',
  },
  {
    name: 'cluster.id', type: 'string', default: null, validator: clusterIdRule, importance: 'high', dynamic: 'read-only',
    doc: 'Samsa extension: the cluster id reported in Metadata. When unset, the broker generates one on first start and keeps it in its data directory.',
  },
  { name: 'broker.rack', type: 'string', default: null, importance: 'medium', dynamic: 'read-only', ignored: true, doc: 'Rack of this broker in Kafka. Samsa does not report it in Metadata yet (a single node has no rack-aware placement).' },
  {
    name: 'process.roles', type: 'list', default: 'broker,controller', validator: listOf('broker', 'controller'), importance: 'high',
    dynamic: 'read-only', ignored: true, doc: 'KRaft roles. Samsa is always a combined broker and controller.',
  },
  {
    name: 'controller.listener.names', type: 'list', default: null, importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'KRaft controller listeners. Samsa has no separate controller.',
  },
  {
    name: 'controller.quorum.voters', type: 'list', default: '', importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'KRaft quorum voters. Samsa has no controller quorum.',
  },
  {
    name: 'controller.quorum.bootstrap.servers', type: 'list', default: '', importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'KRaft quorum bootstrap servers. Samsa has no controller quorum.',
  },
  {
    name: 'listeners', type: 'string', default: 'PLAINTEXT://127.0.0.1:9092', importance: 'high', dynamic: 'read-only',
    doc: 'Comma-separated NAME://host:port addresses to listen on. An empty host means every interface. Samsa defaults to loopback only.',
  },
  {
    name: 'advertised.listeners', type: 'string', default: null, importance: 'high', dynamic: 'read-only',
    doc: 'Addresses given to clients in Metadata, when they differ from listeners. Defaults to listeners.',
  },
  {
    name: 'listener.security.protocol.map', type: 'string', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    importance: 'low', dynamic: 'read-only', doc: 'Security protocol of each listener name, as NAME:PROTOCOL pairs.',
  },
  {
    name: 'inter.broker.listener.name', type: 'string', default: null, importance: 'medium', dynamic: 'read-only', ignored: true,
    doc: 'Listener used between brokers. Unused by a single node.',
  },

  // -- Network and request limits --------------------------------------------
  {
    name: 'num.network.threads', type: 'int', default: '3', validator: atLeast(1), importance: 'high', dynamic: 'cluster-wide', ignored: true,
    doc: 'Network thread count in Kafka. Samsa serves sockets from the Node event loop.',
  },
  {
    name: 'num.io.threads', type: 'int', default: '8', validator: atLeast(1), importance: 'high', dynamic: 'cluster-wide', ignored: true,
    doc: 'Request handler thread count in Kafka. Samsa handles requests on the Node event loop.',
  },
  {
    name: 'background.threads', type: 'int', default: '10', validator: atLeast(1), importance: 'high', dynamic: 'cluster-wide', ignored: true,
    doc: 'Background thread count in Kafka. Samsa schedules background work on the event loop.',
  },
  {
    name: 'num.replica.fetchers', type: 'int', default: '1', importance: 'high', dynamic: 'cluster-wide', ignored: true,
    doc: 'Replica fetcher thread count in Kafka. Unused by a single node.',
  },
  {
    name: 'num.recovery.threads.per.data.dir', type: 'int', default: '1', validator: atLeast(1), importance: 'high', dynamic: 'cluster-wide',
    ignored: true, doc: 'Log recovery thread count in Kafka. Samsa recovers logs on the event loop.',
  },
  {
    name: 'queued.max.requests', type: 'int', default: '500', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Requests being handled across all connections before a connection that already has one in progress stops starting more (one with none may always start one).',
  },
  {
    name: 'queued.max.request.bytes', type: 'long', default: SAMSA_QUEUED_MAX_REQUEST_BYTES, validator: minusOneOrPositive, importance: 'medium',
    dynamic: 'read-only',
    doc: 'Bytes of requests being handled across all connections above which no socket is read until handlers finish; -1 means no bound. Samsa defaults to 512 MiB (Kafka: -1).',
  },
  {
    name: 'socket.send.buffer.bytes', type: 'int', default: '102400', importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'SO_SNDBUF of accepted sockets in Kafka. Node cannot set it on TCP sockets, so Samsa keeps the OS default (autotuned on Linux).',
  },
  {
    name: 'socket.receive.buffer.bytes', type: 'int', default: '102400', importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'SO_RCVBUF of accepted sockets in Kafka. Node cannot set it on TCP sockets, so Samsa keeps the OS default (autotuned on Linux).',
  },
  {
    name: 'socket.request.max.bytes', type: 'int', default: '104857600', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Largest request frame accepted; a larger size prefix closes the connection.',
  },
  {
    name: 'socket.listen.backlog.size', type: 'int', default: '50', validator: atLeast(1), importance: 'medium', dynamic: 'read-only',
    doc: 'Accept backlog of listening sockets (the kernel caps it at net.core.somaxconn).',
  },
  {
    name: 'connections.max.idle.ms', type: 'long', default: '600000', importance: 'medium', dynamic: 'read-only',
    doc: 'A connection with no bytes read or written for this long is closed; 0 or less never closes one.',
  },
  {
    name: 'max.connections', type: 'int', default: INT_MAX_TEXT, validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Most connections the broker holds at once, across listeners. A connection beyond it is closed at once (Kafka: it waits in the accept backlog).',
  },
  {
    name: 'max.connections.per.ip', type: 'int', default: INT_MAX_TEXT, validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Most connections from one IP address; a connection beyond it is closed at once. 0 needs max.connections.per.ip.overrides.',
  },
  {
    name: 'max.connections.per.ip.overrides', type: 'string', default: '', validator: perIpOverridesRule, importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Per-address exceptions to max.connections.per.ip, as address:limit pairs separated by commas. Samsa takes IP addresses only (Kafka also host names).',
  },
  {
    name: 'message.max.bytes', type: 'int', default: '1048588', validator: atLeast(0), importance: 'high', dynamic: 'cluster-wide',
    doc: 'Largest record batch (after compression) accepted; the default for max.message.bytes.',
  },
  {
    name: 'fetch.max.bytes', type: 'int', default: '57671680', validator: atLeast(1024), importance: 'medium', dynamic: 'read-only',
    doc: 'Most bytes returned by one Fetch response.',
  },
  {
    name: 'replica.fetch.max.bytes', type: 'int', default: '1048576', validator: atLeast(0), importance: 'medium', dynamic: 'read-only', ignored: true,
    doc: 'Bytes a follower fetches per partition and request. A single node has no followers.',
  },
  {
    name: 'replica.lag.time.max.ms', type: 'long', default: '30000', importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'A follower that has not caught up for this long leaves the ISR. A single node has no followers.',
  },
  {
    name: 'max.incremental.fetch.session.cache.slots', type: 'int', default: '1000', validator: atLeast(0), importance: 'medium',
    dynamic: 'read-only', ignored: true, doc: 'Most incremental fetch sessions kept. Samsa creates no fetch sessions (every Fetch is a full fetch), so it keeps none.',
  },

  // -- Topic creation and replication defaults -------------------------------
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true', importance: 'high', dynamic: 'read-only', doc: 'Create unknown topics when a client asks for their metadata.' },
  { name: 'delete.topic.enable', type: 'boolean', default: 'true', importance: 'high', dynamic: 'read-only', doc: 'Allow DeleteTopics. When false, deletion requests are refused.' },
  { name: 'num.partitions', type: 'int', default: '1', validator: atLeast(1), importance: 'medium', dynamic: 'read-only', doc: 'Partition count of automatically created topics.' },
  { name: 'default.replication.factor', type: 'int', default: '1', importance: 'medium', dynamic: 'read-only', doc: 'Replication factor of automatically created topics.' },
  {
    name: 'min.insync.replicas', type: 'int', default: '1', validator: atLeast(1), importance: 'high', dynamic: 'cluster-wide', ignored: true,
    doc: 'Default min.insync.replicas of topics. A single node\'s ISR is its one replica, and Samsa does not refuse acks=all produce when this is above 1 (Kafka answers NOT_ENOUGH_REPLICAS).',
  },
  {
    name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', importance: 'high', dynamic: 'cluster-wide', ignored: true,
    doc: 'Default unclean.leader.election.enable of topics. A single node has no leader elections.',
  },

  // -- Log ----------------------------------------------------------------------
  {
    name: 'log.dirs', type: 'list', default: null, importance: 'high', dynamic: 'read-only',
    doc: 'Directories holding partition data. When unset, log.dir is used.',
  },
  {
    name: 'log.dir', type: 'list', default: './data', importance: 'high', dynamic: 'read-only',
    doc: 'Data directory used when log.dirs is unset. Samsa defaults to ./data (Kafka: /tmp/kafka-logs).',
  },
  { name: 'log.segment.bytes', type: 'int', default: '1073741824', validator: atLeast(14), importance: 'high', dynamic: 'cluster-wide', doc: 'Default segment.bytes of topics.' },
  { name: 'log.roll.ms', type: 'long', default: null, importance: 'high', dynamic: 'cluster-wide', doc: 'Default segment.ms of topics. When unset, log.roll.hours is used.' },
  { name: 'log.roll.hours', type: 'int', default: '168', validator: atLeast(1), importance: 'high', dynamic: 'read-only', doc: 'Default segment.ms of topics, in hours; lower precedence than log.roll.ms.' },
  { name: 'log.roll.jitter.ms', type: 'long', default: null, importance: 'high', dynamic: 'cluster-wide', ignored: true, doc: 'Default segment.jitter.ms of topics. Samsa rolls segments at segment.ms without jitter.' },
  {
    name: 'log.roll.jitter.hours', type: 'int', default: '0', validator: atLeast(0), importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'Default segment.jitter.ms of topics, in hours. Samsa rolls segments at segment.ms without jitter.',
  },
  {
    name: 'log.retention.ms', type: 'long', default: null, importance: 'high', dynamic: 'cluster-wide',
    doc: 'Default retention.ms of topics; -1 (or any negative value) means no time limit. Takes precedence over log.retention.minutes and log.retention.hours.',
  },
  {
    name: 'log.retention.minutes', type: 'int', default: null, importance: 'high', dynamic: 'read-only',
    doc: 'Default retention time in minutes; used when log.retention.ms is unset, and takes precedence over log.retention.hours.',
  },
  {
    name: 'log.retention.hours', type: 'int', default: '168', importance: 'high', dynamic: 'read-only',
    doc: 'Default retention time in hours; used when neither log.retention.ms nor log.retention.minutes is set.',
  },
  { name: 'log.retention.bytes', type: 'long', default: '-1', importance: 'high', dynamic: 'cluster-wide', doc: 'Default retention.bytes of topics.' },
  {
    name: 'log.retention.check.interval.ms', type: 'long', default: '300000', validator: atLeast(1), importance: 'medium', dynamic: 'read-only',
    doc: 'How often segments are checked against the retention limits.',
  },
  {
    name: 'log.max.open.files', type: 'int', default: '-1', validator: atLeast(-1), importance: 'medium', dynamic: 'read-only',
    doc: 'Samsa extension (Kafka keeps every segment open): most segment files kept open at once (least recently used ones are closed and reopened on demand). -1 or 0: half the process open-file soft limit (RLIMIT_NOFILE).',
  },
  {
    name: 'log.cleanup.policy', type: 'list', default: 'delete', validator: listOf(...CLEANUP_POLICIES), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Default cleanup.policy of topics.',
  },
  { name: 'log.cleaner.enable', type: 'boolean', default: 'true', importance: 'medium', dynamic: 'read-only', doc: 'Run the log cleaner, which compacted topics need.' },
  { name: 'log.cleaner.threads', type: 'int', default: '1', validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide', ignored: true, doc: 'Cleaner thread count in Kafka.' },
  { name: 'log.cleaner.backoff.ms', type: 'long', default: '15000', validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide', doc: 'Pause of the cleaner when there is nothing to clean.' },
  {
    name: 'log.cleaner.delete.retention.ms', type: 'long', default: '86400000', validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Default delete.retention.ms of topics.',
  },
  {
    name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: '0', validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Default min.compaction.lag.ms of topics.',
  },
  {
    name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(1), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Default max.compaction.lag.ms of topics.',
  },
  {
    name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: '0.5', validator: between(0, 1), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Default min.cleanable.dirty.ratio of topics.',
  },
  {
    name: 'log.cleaner.dedupe.buffer.size', type: 'long', default: '134217728', importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Memory of the cleaner\'s key map (24 bytes per key); a clean stops where the map fills and the next one continues from there.',
  },
  {
    name: 'log.cleaner.io.buffer.load.factor', type: 'double', default: '0.9', validator: between(0.01, 1), importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Fill ratio of the cleaner\'s key map before it counts as full.',
  },
  {
    name: 'log.cleaner.io.max.bytes.per.second', type: 'double', default: '1.7976931348623157E308', importance: 'medium', dynamic: 'cluster-wide',
    doc: 'Cap on the cleaner\'s read plus write rate.',
  },
  {
    name: 'log.cleaner.io.buffer.size', type: 'int', default: '524288', validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide', ignored: true,
    doc: 'I/O buffer size of the cleaner in Kafka. Samsa reads segments 1 MiB at a time.',
  },
  { name: 'log.segment.delete.delay.ms', type: 'long', default: '60000', validator: atLeast(0), importance: 'high', dynamic: 'cluster-wide', ignored: true, doc: 'Default file.delete.delay.ms of topics. Samsa unlinks a deleted segment\'s files at once; readers that hold them open keep reading.' },
  {
    name: 'log.flush.interval.messages', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(1), importance: 'high', dynamic: 'cluster-wide',
    doc: 'Default flush.messages of topics.',
  },
  {
    name: 'log.flush.interval.ms', type: 'long', default: null, importance: 'high', dynamic: 'cluster-wide',
    doc: 'Default flush.ms of topics. When unset, log.flush.scheduler.interval.ms is used.',
  },
  {
    name: 'log.flush.scheduler.interval.ms', type: 'long', default: LONG_MAX_TEXT, importance: 'high', dynamic: 'read-only',
    doc: 'How often logs are checked for a due flush; also the flush.ms default when log.flush.interval.ms is unset.',
  },
  {
    name: 'log.flush.offset.checkpoint.interval.ms', type: 'int', default: '60000', validator: atLeast(0), importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'How often Kafka writes the recovery-point checkpoint. Samsa keeps none: recovery after an unclean stop checks the segments (docs/storage-format.md, Recovery).',
  },
  {
    name: 'log.flush.start.offset.checkpoint.interval.ms', type: 'int', default: '60000', validator: atLeast(0), importance: 'high',
    dynamic: 'read-only', ignored: true, doc: 'How often Kafka writes the log-start-offset checkpoint. Samsa writes and fsyncs a partition\'s log start offset when it changes.',
  },
  { name: 'log.index.interval.bytes', type: 'int', default: '4096', validator: atLeast(0), importance: 'medium', dynamic: 'cluster-wide', doc: 'Default index.interval.bytes of topics.' },
  { name: 'log.index.size.max.bytes', type: 'int', default: '10485760', validator: atLeast(4), importance: 'medium', dynamic: 'cluster-wide', doc: 'Default segment.index.bytes of topics.' },
  { name: 'log.preallocate', type: 'boolean', default: 'false', importance: 'medium', dynamic: 'cluster-wide', ignored: true, doc: 'Default preallocate of topics. Samsa does not preallocate segment files.' },
  {
    name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', validator: oneOf(...TIMESTAMP_TYPES), importance: 'medium',
    dynamic: 'cluster-wide', doc: 'Default message.timestamp.type of topics.',
  },
  {
    name: 'log.message.timestamp.after.max.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(0), importance: 'medium',
    dynamic: 'cluster-wide', doc: 'Default message.timestamp.after.max.ms of topics.',
  },
  {
    name: 'log.message.timestamp.before.max.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(0), importance: 'medium',
    dynamic: 'cluster-wide', doc: 'Default message.timestamp.before.max.ms of topics.',
  },
  {
    name: 'log.message.timestamp.difference.max.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(0), importance: 'medium',
    dynamic: 'cluster-wide', ignored: true, doc: 'Default message.timestamp.difference.max.ms of topics (deprecated). Samsa applies message.timestamp.before.max.ms and message.timestamp.after.max.ms only.',
  },
  { name: 'log.message.format.version', type: 'string', default: '3.0-IV1', importance: 'medium', dynamic: 'read-only', ignored: true, doc: 'Default message.format.version of topics; deprecated, and ignored by Kafka 3 for v2 records, as by Samsa.' },
  {
    name: 'log.message.downconversion.enable', type: 'boolean', default: 'true', importance: 'low', dynamic: 'cluster-wide',
    doc: 'Default message.downconversion.enable of topics: whether Fetch v0-v3 (message formats 0 and 1) may be served by down-converting stored batches.',
  },
  { name: 'log.local.retention.ms', type: 'long', default: '-2', validator: atLeast(-2), importance: 'medium', dynamic: 'cluster-wide', ignored: true, doc: 'Default local.retention.ms of topics (tiered storage, which Samsa does not have).' },
  { name: 'log.local.retention.bytes', type: 'long', default: '-2', validator: atLeast(-2), importance: 'medium', dynamic: 'cluster-wide', ignored: true, doc: 'Default local.retention.bytes of topics (tiered storage, which Samsa does not have).' },
  {
    name: 'remote.log.storage.system.enable', type: 'boolean', default: 'false', validator: noTieredStorage, importance: 'medium', dynamic: 'read-only',
    doc: 'Tiered storage on this broker. Samsa has none, so only false is accepted.',
  },
  {
    name: 'compression.type', type: 'string', default: 'producer', validator: oneOf(...COMPRESSION_TYPES), importance: 'high', dynamic: 'cluster-wide',
    doc: 'Default compression.type of topics. Applied when Produce v0-v2 message sets are converted to v2 batches; v2 batches (Produce v3+) are stored with the producer\'s codec (Samsa does not recompress them yet).',
  },
  { name: 'compression.gzip.level', type: 'int', default: '-1', validator: gzipLevel, importance: 'medium', dynamic: 'cluster-wide', ignored: true, doc: 'Default compression.gzip.level of topics. Samsa does not recompress, so no level is used.' },
  { name: 'compression.lz4.level', type: 'int', default: '9', validator: lz4Level, importance: 'medium', dynamic: 'cluster-wide', ignored: true, doc: 'Default compression.lz4.level of topics. Samsa does not recompress, so no level is used.' },
  { name: 'compression.zstd.level', type: 'int', default: '3', validator: zstdLevel, importance: 'medium', dynamic: 'cluster-wide', ignored: true, doc: 'Default compression.zstd.level of topics. Samsa does not recompress, so no level is used.' },

  // -- Group coordinator -----------------------------------------------------
  {
    name: 'offsets.topic.num.partitions', type: 'int', default: '50', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Partitions of __consumer_offsets. Fixed once the topic exists.',
  },
  {
    name: 'offsets.topic.replication.factor', type: 'short', default: '1', validator: singleReplica, importance: 'high', dynamic: 'read-only',
    doc: 'Replication factor of __consumer_offsets. Samsa is one node, so only 1 is accepted (Kafka default: 3).',
  },
  { name: 'offsets.topic.segment.bytes', type: 'int', default: '104857600', validator: atLeast(1), importance: 'high', dynamic: 'read-only', doc: 'Segment size of __consumer_offsets.' },
  {
    name: 'offsets.retention.minutes', type: 'int', default: '10080', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Committed offsets of a group are dropped this long after the group becomes empty.',
  },
  {
    name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'How often expired offsets are looked for.',
  },
  {
    name: 'offsets.commit.timeout.ms', type: 'int', default: '5000', validator: atLeast(1), importance: 'high', dynamic: 'read-only', ignored: true,
    doc: 'How long an offset commit waits for replication in Kafka. Samsa answers a commit once its local append completes.',
  },
  {
    name: 'offsets.load.buffer.size', type: 'int', default: '5242880', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Read size used when loading offsets into the cache.',
  },
  {
    name: 'group.initial.rebalance.delay.ms', type: 'int', default: '3000', importance: 'medium', dynamic: 'read-only',
    doc: 'How long the first rebalance of an empty group waits for more members to join.',
  },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '6000', importance: 'medium', dynamic: 'read-only', doc: 'Smallest session timeout a member may ask for.' },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000', importance: 'medium', dynamic: 'read-only', doc: 'Largest session timeout a member may ask for.' },
  { name: 'group.max.size', type: 'int', default: INT_MAX_TEXT, validator: atLeast(1), importance: 'medium', dynamic: 'read-only', doc: 'Most members one group may have.' },
  {
    name: 'group.coordinator.rebalance.protocols', type: 'list', default: 'classic', validator: classicGroupsOnly, importance: 'medium',
    dynamic: 'read-only', doc: 'Group protocols served. Samsa serves classic (JoinGroup/SyncGroup) only; the consumer protocol (KIP-848) is refused.',
  },

  // -- Transactions and producer ids ----------------------------------------
  {
    name: 'transaction.state.log.num.partitions', type: 'int', default: '50', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Partitions of __transaction_state. Fixed once the topic exists.',
  },
  {
    name: 'transaction.state.log.replication.factor', type: 'short', default: '1', validator: singleReplica, importance: 'high', dynamic: 'read-only',
    doc: 'Replication factor of __transaction_state. Samsa is one node, so only 1 is accepted (Kafka default: 3).',
  },
  {
    name: 'transaction.state.log.min.isr', type: 'int', default: '1', validator: singleReplica, importance: 'high', dynamic: 'read-only',
    doc: 'min.insync.replicas of __transaction_state. Samsa is one node, so only 1 is accepted (Kafka default: 2).',
  },
  {
    name: 'transaction.state.log.segment.bytes', type: 'int', default: '104857600', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Segment size of __transaction_state.',
  },
  {
    name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'A transactional id with no transaction activity for this long is expired.',
  },
  {
    name: 'transaction.max.timeout.ms', type: 'int', default: '900000', validator: atLeast(1), importance: 'high', dynamic: 'read-only',
    doc: 'Largest transaction timeout a producer may ask for; larger requests fail in InitProducerId.',
  },
  {
    name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'int', default: '10000', validator: atLeast(1), importance: 'low',
    dynamic: 'read-only', doc: 'How often timed-out transactions are looked for and aborted.',
  },
  {
    name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: 'int', default: '3600000', validator: atLeast(1), importance: 'low',
    dynamic: 'read-only', ignored: true, doc: 'How often Kafka removes expired transactional ids. Samsa removes them in the timed-out-transaction sweep (transaction.abort.timed.out.transaction.cleanup.interval.ms).',
  },
  {
    name: 'producer.id.expiration.ms', type: 'int', default: '86400000', validator: atLeast(1), importance: 'low', dynamic: 'cluster-wide',
    doc: 'Producer id state of an idle producer is dropped after this long, which ends idempotence for it.',
  },
  {
    name: 'producer.id.expiration.check.interval.ms', type: 'int', default: '600000', validator: atLeast(1), importance: 'low', dynamic: 'read-only',
    doc: 'How often expired producer ids are removed.',
  },

  // -- Security --------------------------------------------------------------
  {
    name: 'sasl.enabled.mechanisms', type: 'list', default: 'GSSAPI', importance: 'medium', dynamic: 'per-broker', ignored: true,
    doc: 'SASL mechanisms offered to clients. Samsa has no SASL yet (SASL listeners are refused).',
  },
  { name: 'principal.builder.class', type: 'class', default: null, importance: 'medium', dynamic: 'per-broker', ignored: true, doc: 'Kafka principal builder class. Not pluggable in Samsa.' },
  { name: 'ssl.client.auth', type: 'string', default: 'none', validator: oneOf('required', 'requested', 'none'), importance: 'medium', dynamic: 'per-broker', ignored: true, doc: 'Whether TLS clients must present a certificate. Samsa has no TLS yet (SSL listeners are refused).' },
  { name: 'ssl.keystore.location', type: 'string', default: null, importance: 'high', dynamic: 'per-broker', ignored: true, doc: 'Path of the key store. Samsa has no TLS yet (SSL listeners are refused).' },
  { name: 'ssl.keystore.password', type: 'password', default: null, importance: 'high', dynamic: 'per-broker', ignored: true, doc: 'Password of the key store. Samsa has no TLS yet (SSL listeners are refused).' },
  { name: 'ssl.key.password', type: 'password', default: null, importance: 'high', dynamic: 'per-broker', ignored: true, doc: 'Password of the private key in the key store. Samsa has no TLS yet (SSL listeners are refused).' },
  { name: 'ssl.truststore.location', type: 'string', default: null, importance: 'high', dynamic: 'per-broker', ignored: true, doc: 'Path of the trust store. Samsa has no TLS yet (SSL listeners are refused).' },
  { name: 'ssl.truststore.password', type: 'password', default: null, importance: 'high', dynamic: 'per-broker', ignored: true, doc: 'Password of the trust store. Samsa has no TLS yet (SSL listeners are refused).' },
];

/** The broker config definitions. */
export const BROKER_CONFIG_DEF = new ConfigDef(BROKER_CONFIG_KEYS);

/**
 * Broker configs that are read together, highest precedence first (Kafka's
 * `KafkaConfig.brokerConfigSynonyms`), keyed by the head of each group. Each
 * member carries the factor converting its unit into the head's.
 *
 * node.id/broker.id and log.dirs/log.dir are Samsa additions that make
 * DescribeConfigs show where those values came from.
 */
export const BROKER_CONFIG_SYNONYMS: ReadonlyMap<string, readonly BrokerSynonym[]> = new Map([
  ['node.id', [{ name: 'node.id', factor: 1n }, { name: 'broker.id', factor: 1n }]],
  ['log.dirs', [{ name: 'log.dirs', factor: 1n }, { name: 'log.dir', factor: 1n }]],
  ['log.roll.ms', [{ name: 'log.roll.ms', factor: 1n }, { name: 'log.roll.hours', factor: 3_600_000n }]],
  ['log.roll.jitter.ms', [{ name: 'log.roll.jitter.ms', factor: 1n }, { name: 'log.roll.jitter.hours', factor: 3_600_000n }]],
  ['log.flush.interval.ms', [{ name: 'log.flush.interval.ms', factor: 1n }, { name: 'log.flush.scheduler.interval.ms', factor: 1n }]],
  [
    'log.retention.ms',
    [
      { name: 'log.retention.ms', factor: 1n },
      { name: 'log.retention.minutes', factor: 60_000n },
      { name: 'log.retention.hours', factor: 3_600_000n },
    ],
  ],
]);
