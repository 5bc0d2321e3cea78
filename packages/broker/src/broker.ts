/**
 * A Samsa broker: listeners, request router, topic metadata and partition
 * logs in one process. Single-node mode: this node is every partition's
 * leader and the controller; topic metadata lives in a metadata log in the
 * first log dir (see metadata/metadata-log.ts).
 */
import { mkdir } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { LogManager, type Fs } from '@samsa/storage';
import type { BrokerServices, Endpoint } from './broker-services.js';
import { BrokerConfig } from './config/broker-config.js';
import { TopicConfigs } from './config/effective-config.js';
import { DEFAULT_OFFSET_METADATA_MAX_BYTES, GroupCoordinator } from './coordinators/group/group-coordinator.js';
import { OffsetsTopic } from './coordinators/group/offsets-topic.js';
import { systemGroupTimers } from './coordinators/group/timers.js';
import { AppendNotifier } from './fetch/append-notifier.js';
import { clampTimerDelay } from './timer-delay.js';
import { alterConfigsHandler, incrementalAlterConfigsHandler } from './handlers/alter-configs.js';
import { apiVersionsHandler } from './handlers/api-versions.js';
import { createPartitionsHandler } from './handlers/create-partitions.js';
import { createTopicsHandler } from './handlers/create-topics.js';
import { deleteGroupsHandler } from './handlers/delete-groups.js';
import { deleteRecordsHandler } from './handlers/delete-records.js';
import { deleteTopicsHandler } from './handlers/delete-topics.js';
import { describeClusterHandler } from './handlers/describe-cluster.js';
import { describeConfigsHandler } from './handlers/describe-configs.js';
import { describeGroupsHandler } from './handlers/describe-groups.js';
import { describeLogDirsHandler } from './handlers/describe-log-dirs.js';
import { fetchHandler } from './handlers/fetch.js';
import { findCoordinatorHandler } from './handlers/find-coordinator.js';
import { heartbeatHandler } from './handlers/heartbeat.js';
import { initProducerIdHandler } from './handlers/init-producer-id.js';
import { describeProducersHandler } from './handlers/describe-producers.js';
import { joinGroupHandler } from './handlers/join-group.js';
import { leaveGroupHandler } from './handlers/leave-group.js';
import { listGroupsHandler } from './handlers/list-groups.js';
import { listOffsetsHandler } from './handlers/list-offsets.js';
import { metadataHandler } from './handlers/metadata.js';
import { offsetCommitHandler } from './handlers/offset-commit.js';
import { offsetDeleteHandler } from './handlers/offset-delete.js';
import { offsetFetchHandler } from './handlers/offset-fetch.js';
import { produceHandler } from './handlers/produce.js';
import { syncGroupHandler } from './handlers/sync-group.js';
import { FileMetadataStore } from './metadata/metadata-store.js';
import { ConnectionQuotas } from './network/connection-quotas.js';
import { Listener } from './network/listener.js';
import { RequestBudget } from './network/request-budget.js';
import { Router } from './router.js';
import { TopicManager } from './topic-manager.js';
import { ProducerIdManager } from './coordinators/txn/producer-id-manager.js';
import { LogMarkerWriter } from './coordinators/txn/log-marker-writer.js';
import { TransactionCoordinator } from './coordinators/txn/transaction-coordinator.js';
import { TransactionStateTopic } from './coordinators/txn/transaction-state-topic.js';
import { addOffsetsToTxnHandler } from './handlers/add-offsets-to-txn.js';
import { addPartitionsToTxnHandler } from './handlers/add-partitions-to-txn.js';
import { describeTransactionsHandler } from './handlers/describe-transactions.js';
import { endTxnHandler } from './handlers/end-txn.js';
import { listTransactionsHandler } from './handlers/list-transactions.js';
import { txnOffsetCommitHandler } from './handlers/txn-offset-commit.js';

export interface BrokerStartOptions {
  logger?: Logger;
  /** Fetches that may long-poll at once; beyond it a fetch answers with what it has (default 100,000). */
  fetchWaiterLimit?: number;
  /** The file system of the partition logs (tests inject faults through it); node:fs by default. */
  fs?: Fs;
}

/** How long shutdown waits for dispatched requests before closing the logs anyway. */
const SHUTDOWN_DRAIN_TIMEOUT_MS = 10_000;

/** Requests started on one connection and not yet written, before it starts no more. */
const MAX_IN_FLIGHT_PER_CONNECTION = 100;

/**
 * Unsent response bytes of one connection above which it starts no further
 * request. With the one-Fetch-at-a-time rule a client that never reads holds
 * about one response (Kafka holds exactly one while the channel is muted).
 */
const MAX_UNSENT_RESPONSE_BYTES_PER_CONNECTION = 1024 * 1024;

export class Broker {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly #listeners: Listener[];
  readonly #logs: LogManager;
  readonly #notifier: AppendNotifier;
  readonly #groups: GroupCoordinator;
  readonly #txns: TransactionCoordinator;
  readonly #router: Router;
  #stopping: Promise<void> | null = null;

  private constructor(
    config: BrokerConfig,
    logger: Logger,
    listeners: Listener[],
    logs: LogManager,
    notifier: AppendNotifier,
    groups: GroupCoordinator,
    txns: TransactionCoordinator,
    router: Router,
  ) {
    this.config = config;
    this.logger = logger;
    this.#listeners = listeners;
    this.#logs = logs;
    this.#notifier = notifier;
    this.#groups = groups;
    this.#txns = txns;
    this.#router = router;
  }

  static async start(config: BrokerConfig, opts: BrokerStartOptions = {}): Promise<Broker> {
    const logger = opts.logger ?? pino({ name: 'samsa', level: process.env.SAMSA_LOG_LEVEL ?? 'info' });
    // Unknown keys and keys Samsa accepts without effect are never taken silently.
    for (const warning of config.warnings) logger.warn(warning);
    const logDirs = config.logDirs;
    for (const dir of logDirs) await mkdir(dir, { recursive: true });
    const metadata = await FileMetadataStore.open(logDirs[0], { clusterId: config.clusterId ?? undefined });
    const recovery = metadata.recovery;
    if (recovery.truncatedBytes > 0) logger.warn({ ...recovery }, 'cut a torn or corrupt tail (changes never acknowledged) from the metadata log');
    if (recovery.migratedLegacyFile) logger.info('converted __samsa_metadata.json to the metadata log and snapshot');
    for (const scope of ['cluster-default', 'broker'] as const) {
      const persisted = metadata.brokerConfigs(scope);
      if (persisted.size === 0) continue;
      const applied = config.applyDynamicUpdate(persisted, scope);
      if (!applied.ok) logger.warn({ scope, problem: applied.message }, 'ignoring persisted dynamic broker configs');
      for (const name of persisted.keys()) {
        const noEffect = BrokerConfig.noEffectWarning(name);
        if (applied.ok && noEffect !== null) logger.warn(noEffect);
      }
    }
    const logs = await LogManager.open({
      logDirs,
      fs: opts.fs,
      defaultConfig: TopicConfigs.toLogConfig(new Map(), config),
      maxOpenFiles: config.getNumber('log.max.open.files'),
      retentionCheckIntervalMs: clampTimerDelay(config.logRetentionCheckIntervalMs),
      // Kafka's default scheduler interval is Long.MAX_VALUE (flush.ms then never fires); checking every
      // second at most makes a topic's flush.ms work as documented, and costs nothing when no topic sets it.
      flushCheckIntervalMs: Math.min(config.logFlushSchedulerIntervalMs, 1000),
      producerIdExpirationMs: () => config.getNumber('producer.id.expiration.ms'),
      producerIdExpirationCheckIntervalMs: clampTimerDelay(config.getNumber('producer.id.expiration.check.interval.ms')),
      // The log cleaner of compacted topics; the dynamic log.cleaner.* configs are read at each use.
      cleaner: {
        enabled: config.logCleanerEnable,
        backoffMs: () => config.getNumber('log.cleaner.backoff.ms'),
        dedupeBufferBytes: () => config.getNumber('log.cleaner.dedupe.buffer.size'),
        loadFactor: () => config.getNumber('log.cleaner.io.buffer.load.factor'),
        ioMaxBytesPerSecond: () => config.getNumber('log.cleaner.io.max.bytes.per.second'),
      },
      // Storage failures come with their level (warn, error); an offline log dir is logged at error with its path.
      log: (msg, fields, level = 'info') => logger[level](fields ?? {}, msg),
    });
    const topics = new TopicManager(metadata, logs, config);
    await topics.reconcile();
    const notifier = new AppendNotifier(opts.fetchWaiterLimit);
    const offsetsTopic = new OffsetsTopic({
      metadata,
      topics,
      numPartitions: config.offsetsTopicNumPartitions,
      segmentBytes: config.offsetsTopicSegmentBytes,
      loadBufferBytes: config.getNumber('offsets.load.buffer.size'),
      nowMs: () => Date.now(),
      onAppend: (topic, partition) => notifier.notify(topic, partition),
    });
    const groups = new GroupCoordinator({
      timers: systemGroupTimers(),
      log: offsetsTopic,
      config: {
        initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        maxGroupSize: config.groupMaxSize,
        offsetMetadataMaxBytes: DEFAULT_OFFSET_METADATA_MAX_BYTES,
        offsetsRetentionMs: config.offsetsRetentionMs,
        offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
      },
      partitionExists: (topic, partition) => {
        const t = metadata.topic(topic);
        return t !== undefined && partition >= 0 && partition < t.partitions;
      },
      onError: (message, err) => logger.error({ err }, message),
    });
    const loadedGroupRecords = await offsetsTopic.load(
      (record) => groups.replay(record),
      (err, partition, offset) => logger.warn({ err: String(err), partition, offset }, 'skipping an unreadable __consumer_offsets record'),
      (producerId, record) => groups.replayPendingTxnOffset(producerId, record),
    );
    groups.finishLoading();
    if (loadedGroupRecords > 0) logger.info({ records: loadedGroupRecords }, 'loaded group coordinator state from __consumer_offsets');
    const transactionStateTopic = new TransactionStateTopic({
      metadata,
      topics,
      numPartitions: config.transactionStateLogNumPartitions,
      segmentBytes: config.transactionStateLogSegmentBytes,
      loadBufferBytes: config.getNumber('offsets.load.buffer.size'),
      nowMs: () => Date.now(),
    });
    const producerIds = new ProducerIdManager(metadata);
    const markers = new LogMarkerWriter(topics, (topic, partition) => notifier.notify(topic, partition));
    markers.onOffsetsMarker = (_partition, producerId, commit) => groups.completeTransaction(producerId, commit);
    const txns = new TransactionCoordinator({
      log: transactionStateTopic,
      producerIds,
      markers,
      timers: systemGroupTimers(),
      config: {
        maxTimeoutMs: config.transactionMaxTimeoutMs,
        idExpirationMs: config.transactionalIdExpirationMs,
        abortCheckIntervalMs: config.getNumber('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
      },
      partitionExists: (topic, partition) => {
        const t = metadata.topic(topic);
        return t !== undefined && partition >= 0 && partition < t.partitions;
      },
      onError: (message, err) => logger.error({ err }, message),
    });
    const txnStates = await transactionStateTopic.load((err, partition, offset) =>
      logger.warn({ err: String(err), partition, offset }, 'skipping an unreadable __transaction_state record'),
    );
    await txns.load(txnStates);
    if (txnStates.size > 0) logger.info({ transactionalIds: txnStates.size }, 'loaded transaction coordinator state from __transaction_state');
    const router = new Router();
    const advertised = new Map<string, Endpoint>();
    const listeners: Listener[] = [];
    const services: BrokerServices = {
      nodeId: config.nodeId,
      config,
      metadata,
      topics,
      notifier,
      groups,
      offsetsTopic,
      producerIds,
      txns,
      transactionStateTopic,
      logger,
      logDirs,
      advertisedEndpoint: (listenerName) => advertised.get(listenerName) ?? advertised.values().next().value ?? { host: '127.0.0.1', port: 9092 },
      supportedVersions: () => router.supportedVersions(),
    };
    for (const make of [
      produceHandler,
      fetchHandler,
      listOffsetsHandler,
      metadataHandler,
      apiVersionsHandler,
      createTopicsHandler,
      deleteTopicsHandler,
      deleteRecordsHandler,
      describeConfigsHandler,
      alterConfigsHandler,
      describeLogDirsHandler,
      createPartitionsHandler,
      incrementalAlterConfigsHandler,
      describeClusterHandler,
      findCoordinatorHandler,
      joinGroupHandler,
      syncGroupHandler,
      heartbeatHandler,
      leaveGroupHandler,
      offsetCommitHandler,
      offsetFetchHandler,
      listGroupsHandler,
      describeGroupsHandler,
      deleteGroupsHandler,
      offsetDeleteHandler,
      initProducerIdHandler,
      describeProducersHandler,
      addPartitionsToTxnHandler,
      addOffsetsToTxnHandler,
      endTxnHandler,
      listTransactionsHandler,
      describeTransactionsHandler,
      txnOffsetCommitHandler,
    ] as const) {
      router.register(make(services) as Parameters<Router['register']>[0]);
    }

    let nextConnectionId = 0;
    const handleFrame = router.handleFrame.bind(router);
    const budget = new RequestBudget({ maxBytes: config.queuedMaxRequestBytes, maxRequests: config.queuedMaxRequests });
    // Read at each accept, so AlterConfigs on these cluster-wide keys applies to the next connection.
    const quotas = new ConnectionQuotas({
      maxConnections: () => config.maxConnections,
      maxConnectionsPerIp: () => config.maxConnectionsPerIp,
      perIpOverrides: () => config.maxConnectionsPerIpOverrides,
    });
    for (const spec of config.listeners) {
      const listener = new Listener(
        spec,
        handleFrame,
        {
          maxFrameBytes: config.socketRequestMaxBytes,
          maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION,
          maxUnsentResponseBytes: MAX_UNSENT_RESPONSE_BYTES_PER_CONNECTION,
          idleTimeoutMs: config.connectionsMaxIdleMs,
          budget,
          quotas,
          backlog: config.socketListenBacklogSize,
          onError: (conn, err) => logger.warn({ connection: conn.id, remote: `${conn.remoteAddress}:${conn.remotePort}`, err: String(err) }, 'closing connection after a bad request'),
          // Kafka logs these at info: a flood would otherwise flood the log at warn.
          onRefused: (socket, reason) => logger.info({ remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`, limit: reason }, `refused a connection over ${reason}`),
        },
        () => ++nextConnectionId,
      );
      await listener.listen();
      listeners.push(listener);
    }
    for (const listener of listeners) {
      const adv = config.advertisedListeners.find((a) => a.name === listener.spec.name);
      advertised.set(listener.spec.name, {
        host: adv?.host || listener.spec.host || '127.0.0.1',
        port: adv && adv.port !== 0 ? adv.port : listener.port,
      });
    }
    logs.startBackgroundTasks();
    const broker = new Broker(config, logger, listeners, logs, notifier, groups, txns, router);
    for (const listener of listeners) {
      logger.info(
        { listener: listener.spec.name, dataDirs: logDirs, clusterId: metadata.clusterId, nodeId: config.nodeId },
        `listening on ${listener.spec.host || '0.0.0.0'}:${listener.port} (${listener.spec.securityProtocol}), data in ${logDirs.join(', ')}`,
      );
    }
    return broker;
  }

  /** Ports actually bound, in listener order (useful with port 0). */
  /** Fetches long-polling right now. */
  get fetchWaiters(): number {
    return this.#notifier.waiting;
  }

  get ports(): number[] {
    return this.#listeners.map((l) => l.port);
  }

  /**
   * Clean shutdown, in Kafka's order: stop accepting and drop connections,
   * end long polls and pending joins, let requests already dispatched finish
   * (they may still read or append), then flush and close every log (which
   * writes the clean-shutdown markers).
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.logger.info('shutting down');
      await Promise.all(this.#listeners.map((l) => l.close()));
      this.#notifier.close();
      this.#groups.shutdown();
      this.#txns.shutdown();
      await this.#router.drain(SHUTDOWN_DRAIN_TIMEOUT_MS);
      await this.#logs.close();
      this.logger.info('shut down cleanly');
    })();
    return this.#stopping;
  }
}
