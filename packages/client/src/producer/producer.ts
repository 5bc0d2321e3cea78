/**
 * The producer: kafkajs' shape (`connect`, `send`, `sendBatch`,
 * `disconnect`, `transaction`) on top of batching per partition,
 * compression, retries and, by default, idempotence.
 *
 * A send validates every message first (nothing is sent when one is
 * invalid), waits for the metadata of its topics, picks each record's
 * partition, appends the records to their partitions' batches and resolves
 * once all of them were acknowledged. See record-accumulator.ts (batching),
 * sender.ts (requests, retries, ordering), producer-identity.ts
 * (idempotence) and transaction-manager.ts (transactions).
 */
import { CompressionCodec } from '@samsa/protocol';
import { clusterOptions, type ClientConfig } from '../client-config.js';
import { Cluster, type TopicMetadata } from '../cluster/cluster.js';
import { ClientError } from '../client-error.js';
import { retryPolicy, type RetryOptions, type RetryPolicy } from '../retry.js';
import { normalizeMessage, toAcks, toCodec, type Acks, type CompressionType, type Message, type NormalizedMessage, type RecordMetadata } from './message.js';
import { estimateRecordBytes, type PendingRecord, type ProducerBatch } from './producer-batch.js';
import { ProducerIdentity } from './producer-identity.js';
import { DefaultPartitioner, type BatchAwarePartitioner, type Partitioner, type PartitionerInput } from './partitioners.js';
import { RecordAccumulator } from './record-accumulator.js';
import { SendOperation } from './send-operation.js';
import { MAX_IN_FLIGHT_IDEMPOTENT, Sender } from './sender.js';
import { Transaction } from './transaction.js';
import type { TransactionError } from './transaction-error.js';
import { TransactionManager } from './transaction-manager.js';

/** Options of `kafka.producer()`. Defaults in brackets. */
export interface ProducerOptions {
  /**
   * Idempotent writes [true]: the broker drops duplicates of a retried batch
   * and refuses gaps, so each record is written once and in order. Needs
   * acks -1, at most 5 requests in flight and retries > 0; when those options
   * say otherwise and `idempotent` is not set explicitly, idempotence is
   * turned off (as in Kafka's Java client). If the broker does not implement
   * InitProducerId, the producer warns through the logger and continues
   * without idempotence.
   */
  idempotent?: boolean;
  /** Default acks of sends [-1]. */
  acks?: Acks;
  /** Default compression of sends ['none']. */
  compression?: CompressionType;
  /** How long a batch waits for more records before it is sent [0]. */
  lingerMs?: number;
  /** Target size of a batch in bytes, before compression [16384]. */
  batchSize?: number;
  /** Produce requests awaiting an answer, per broker [5]. */
  maxInFlightRequests?: number;
  /** Upper bound of a Produce request's record bytes (one batch is always allowed) [1 MiB]. */
  maxRequestSize?: number;
  /** Bytes of records buffered before `send` waits for room [32 MiB]. */
  maxBufferedBytes?: number;
  /** Per-request timeout, also the broker's ack timeout [the Kafka client's, 30 s]. */
  requestTimeoutMs?: number;
  /** Bound on the time from `send` until a record is acknowledged or failed, retries included [120 s]. */
  deliveryTimeoutMs?: number;
  /** Retries of failed batches and metadata lookups [the Kafka client's]. */
  retry?: RetryOptions;
  /** Where records without a partition go [murmur2 for keys, sticky for keyless]. */
  partitioner?: Partitioner;
  /** Ask brokers to create unknown topics (they may refuse) [true]. */
  allowAutoTopicCreation?: boolean;
  /** Refresh cached metadata older than this [300000]. */
  metadataMaxAgeMs?: number;
  /** Source of randomness (sticky partitioner, retry jitter), for reproducible tests [Math.random]. */
  random?: () => number;
  /**
   * Makes the producer transactional: records are sent in transactions
   * (`producer.transaction()`) that commit or abort as a whole. Implies
   * idempotence (so acks -1, at most 5 requests in flight, retries > 0);
   * `idempotent: false` or conflicting options are a config error. A newer
   * producer with the same id fences this one. See docs/client.md.
   */
  transactionalId?: string;
  /**
   * How long the transaction coordinator lets a transaction stay open before
   * it aborts it (and fences this producer) [60000]; the broker caps it with
   * transaction.max.timeout.ms. Also bounds how long one coordinator request
   * is retried.
   */
  transactionTimeoutMs?: number;
}

/** One topic's messages of a send. */
export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /** Overrides the producer's acks for this send. */
  acks?: Acks;
  /** Overrides the producer's compression for this send. */
  compression?: CompressionType;
}

/** The messages of several topics, sent as one operation. */
export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** Argument of `sendBatch`, as kafkajs' ProducerBatch. */
export interface SendBatchInput {
  topicMessages: TopicMessages[];
  acks?: Acks;
  compression?: CompressionType;
}

interface Settings {
  idempotent: boolean;
  transactionalId: string | null;
  transactionTimeoutMs: number;
  acks: Acks;
  compression: CompressionCodec;
  lingerMs: number;
  batchSize: number;
  maxInFlightRequests: number;
  maxRequestSize: number;
  maxBufferedBytes: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  retry: RetryPolicy;
  allowAutoTopicCreation: boolean;
  metadataMaxAgeMs: number;
}

/** Everything that exists only between connect() and disconnect(). */
interface Session {
  cluster: Cluster;
  accumulator: RecordAccumulator;
  sender: Sender;
  identity: ProducerIdentity;
  /** The transaction state machine of a transactional producer, else null. */
  transactions: TransactionManager | null;
}

/** One topic's validated messages of a send. */
interface TopicWork {
  topic: string;
  messages: NormalizedMessage[];
  /** Sum of the messages' estimated bytes. */
  totalBytes: number;
  /** The highest explicit partition among the messages, -1 when none has one. */
  highestPartition: number;
}

/** A send whose input was checked and whose messages were validated, ready to be appended. */
interface PreparedSend {
  session: Session;
  txn: TransactionManager | null;
  /** The transaction the send belongs to (-1 without transactions). */
  txnNumber: number;
  acks: Acks;
  compression: CompressionCodec;
  work: TopicWork[];
}

function partitionerInput(topic: string, md: TopicMetadata, r: PendingRecord): PartitionerInput {
  return { topic, partitionCount: md.partitions.length, availablePartitions: md.availablePartitions, key: r.key, value: r.value, headers: r.headers };
}

function checkPartition(partition: number, topic: string, partitionCount: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `the partitioner returned ${String(partition)} for ${topic}, which has ${partitionCount} partitions`);
  }
  return partition;
}

function invalid(message: string): ClientError {
  return new ClientError('SAMSA_ERR_INVALID_CONFIG', message);
}

function positiveInt(name: string, v: number | undefined, fallback: number, min = 1): number {
  const x = v ?? fallback;
  if (!Number.isSafeInteger(x) || x < min) throw invalid(`${name} must be a whole number >= ${min}, got ${String(v)}`);
  return x;
}

/** Validates producer options against each other (Java's rules for idempotence). */
function settingsOf(client: ClientConfig, o: ProducerOptions): Settings {
  const acks = toAcks(o.acks, -1);
  // Producer retry options override the Kafka client's field by field.
  const retry = retryPolicy({ ...client.retry, ...o.retry });
  const maxInFlightRequests = positiveInt('maxInFlightRequests', o.maxInFlightRequests, 5);
  const conflicts: string[] = [];
  if (acks !== -1) conflicts.push(`acks is ${acks} (idempotence needs -1)`);
  if (maxInFlightRequests > MAX_IN_FLIGHT_IDEMPOTENT) conflicts.push(`maxInFlightRequests is ${maxInFlightRequests} (idempotence allows at most ${MAX_IN_FLIGHT_IDEMPOTENT})`);
  if (retry.retries === 0) conflicts.push('retry.retries is 0 (idempotence needs retries)');
  if (o.idempotent === true && conflicts.length > 0) throw invalid(`idempotent: true conflicts with other options: ${conflicts.join('; ')}`);
  const transactionalId = o.transactionalId ?? null;
  if (transactionalId !== null) {
    if (typeof transactionalId !== 'string' || transactionalId === '') throw invalid(`transactionalId must be a non-empty string, got ${JSON.stringify(transactionalId)}`);
    if (o.idempotent === false) throw invalid('transactionalId needs idempotence: remove idempotent: false');
    if (conflicts.length > 0) throw invalid(`transactionalId needs idempotence, which conflicts with other options: ${conflicts.join('; ')}`);
  } else if (o.transactionTimeoutMs !== undefined) {
    throw invalid('transactionTimeoutMs needs a transactionalId');
  }
  const requestTimeoutMs = positiveInt('requestTimeoutMs', o.requestTimeoutMs, client.requestTimeoutMs);
  return {
    idempotent: transactionalId !== null || (o.idempotent ?? conflicts.length === 0),
    transactionalId,
    transactionTimeoutMs: positiveInt('transactionTimeoutMs', o.transactionTimeoutMs, 60_000),
    acks,
    compression: toCodec(o.compression, CompressionCodec.None),
    lingerMs: positiveInt('lingerMs', o.lingerMs, 0, 0),
    batchSize: positiveInt('batchSize', o.batchSize, 16_384),
    maxInFlightRequests,
    maxRequestSize: positiveInt('maxRequestSize', o.maxRequestSize, 1_048_576),
    maxBufferedBytes: positiveInt('maxBufferedBytes', o.maxBufferedBytes, 32 * 1_048_576),
    requestTimeoutMs,
    deliveryTimeoutMs: positiveInt('deliveryTimeoutMs', o.deliveryTimeoutMs, 120_000),
    retry,
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? true,
    metadataMaxAgeMs: positiveInt('metadataMaxAgeMs', o.metadataMaxAgeMs, 300_000, 0),
  };
}

/**
 * A producer; create it with `kafka.producer(options)`, then `connect()`.
 * Sends may run concurrently: records of one partition are written in the
 * order their `send` calls were made.
 */
export class Producer {
  readonly #client: ClientConfig;
  readonly #settings: Settings;
  readonly #partitioner: Partitioner | BatchAwarePartitioner;
  readonly #random: () => number;
  #session: Session | null = null;
  /** Set once a transactional producer failed fatally (fenced, ...): it stays unusable. */
  #fatal: TransactionError | null = null;
  #connecting: Promise<void> | null = null;
  #disconnecting: Promise<void> | null = null;
  /** Sends called but not yet appended (waiting for metadata or buffer room). */
  readonly #queueing = new Set<Promise<void>>();

  /** Use `kafka.producer(options)`. Throws ClientError(SAMSA_ERR_INVALID_CONFIG) for bad options. */
  constructor(client: ClientConfig, options: ProducerOptions = {}) {
    this.#client = client;
    this.#settings = settingsOf(client, options);
    this.#random = options.random ?? Math.random;
    if (options.partitioner !== undefined && typeof options.partitioner !== 'function') throw invalid('partitioner must be a function');
    this.#partitioner = options.partitioner ?? new DefaultPartitioner(this.#random);
  }

  /**
   * Whether the producer writes idempotently: requested (or defaulted) and,
   * once connected, supported by the broker.
   */
  get idempotent(): boolean {
    return this.#session === null ? this.#settings.idempotent : this.#session.identity.idempotent;
  }

  /** Whether the producer was created with a `transactionalId`. */
  get transactional(): boolean {
    return this.#settings.transactionalId !== null;
  }

  /**
   * Connects to the cluster and, if idempotent, gets a producer id; a
   * transactional producer gets it from its transaction coordinator
   * (FindCoordinator, InitProducerId), which also aborts a transaction a
   * previous producer with the same id left open and fences that producer.
   * Rejects with the fatal TransactionError once the producer failed fatally.
   */
  async connect(): Promise<void> {
    if (this.#fatal !== null) throw this.#fatal;
    if (this.#session !== null) return;
    if (this.#disconnecting !== null) await this.#disconnecting;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const s = this.#settings;
    const now = Date.now;
    const cluster = new Cluster(clusterOptions(this.#client, s, this.#random));
    let transactions: TransactionManager | null = null;
    const identity = new ProducerIdentity(
      s.idempotent,
      cluster,
      s.retry,
      this.#client.logger,
      this.#random,
      s.transactionalId === null ? undefined : (reason: string) => transactions?.sequenceLost(reason),
    );
    // Its callbacks, like the accumulator's, run only after `sender` exists.
    if (s.transactionalId !== null) {
      transactions = new TransactionManager({
        transactionalId: s.transactionalId,
        transactionTimeoutMs: s.transactionTimeoutMs,
        cluster,
        identity,
        clientId: this.#client.clientId,
        connectionTimeoutMs: this.#client.connectionTimeoutMs,
        requestTimeoutMs: s.requestTimeoutMs,
        retry: s.retry,
        logger: this.#client.logger,
        random: this.#random,
        now,
        flush: () => this.flush(),
        wake: () => sender.schedule(),
        onFatal: (err) => {
          this.#fatal ??= err;
        },
      });
    }
    const txn = transactions;
    // The accumulator's callbacks run only after `sender` exists (encoding starts at the first send).
    const accumulator = new RecordAccumulator({
      batchSize: s.batchSize,
      maxBufferedBytes: s.maxBufferedBytes,
      deliveryTimeoutMs: s.deliveryTimeoutMs,
      now,
      onEncoded: () => sender.schedule(),
      onEncodeFailed: (batch: ProducerBatch, err: Error) => sender.encodeFailed(batch, err),
    });
    const sender = new Sender({
      cluster,
      accumulator,
      identity,
      lingerMs: s.lingerMs,
      maxInFlightRequests: s.maxInFlightRequests,
      maxRequestSize: s.maxRequestSize,
      requestTimeoutMs: s.requestTimeoutMs,
      retry: s.retry,
      logger: this.#client.logger,
      now,
      random: this.#random,
      transactions: txn,
    });
    try {
      await cluster.connect();
      if (txn !== null) await txn.initialize();
      else await identity.init();
    } catch (err) {
      txn?.close();
      cluster.close();
      throw err;
    }
    cluster.onChange(() => sender.schedule());
    this.#session = { cluster, accumulator, sender, identity, transactions: txn };
  }

  /**
   * Starts a transaction (transactional producers only; one at a time) and
   * returns its handle: `send`, `sendBatch`, `sendOffsets`, `commit`,
   * `abort`, `isActive`. Rejects with TransactionError SAMSA_ERR_TXN_STATE
   * while another transaction is active, SAMSA_ERR_TXN_FATAL once the
   * producer failed fatally.
   */
  async transaction(): Promise<Transaction> {
    if (this.#fatal !== null) throw this.#fatal;
    const session = this.#activeSession();
    const txn = session.transactions;
    if (txn === null) throw invalid('transaction() needs a producer created with a transactionalId');
    const number = txn.begin();
    return new Transaction(number, txn, { sendBatch: (input, transaction) => this.#send(input, transaction, txn) });
  }

  /** Sends messages to one topic; resolves once all are acknowledged (see {@link RecordMetadata}). */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (record === null || typeof record !== 'object') {
      return Promise.reject(new ClientError('SAMSA_ERR_INVALID_MESSAGE', 'send() takes { topic, messages }'));
    }
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: record.acks, compression: record.compression });
  }

  /**
   * Sends messages to several topics as one operation. On a transactional
   * producer the messages join the active transaction (and the call is
   * refused when none is active).
   */
  sendBatch(input: SendBatchInput): Promise<RecordMetadata[]> {
    return this.#send(input, null, null);
  }

  /**
   * `transaction`: the number of the transaction the send belongs to (null:
   * the active one, if any); `owner`: the TransactionManager that started it.
   *
   * Fast path: when no earlier send is still waiting (for metadata or buffer
   * room), the topics' metadata is cached and the buffer has room, the
   * records are appended synchronously, inside this call. Otherwise the send
   * waits its turn asynchronously. Either way the records of one partition
   * are appended in the order of the send calls: a send takes the fast path
   * only when nothing is queued before it, and queued sends append in the
   * order they were called (they wait on the same metadata refresh and on
   * the first-come, first-served room waiters).
   */
  #send(input: SendBatchInput, transaction: number | null, owner: TransactionManager | null): Promise<RecordMetadata[]> {
    const op = new SendOperation();
    let prepared: PreparedSend;
    try {
      prepared = this.#prepare(input, transaction, owner);
      if (this.#queueing.size === 0 && this.#appendNow(prepared, op)) return op.promise;
    } catch (err) {
      op.abort(err);
      return op.promise;
    }
    const queued = this.#appendLater(prepared, op).catch((err: unknown) => op.abort(err));
    // disconnect() waits for sends that were called before it to be queued, then flushes them.
    this.#queueing.add(queued);
    void queued.finally(() => this.#queueing.delete(queued));
    return op.promise;
  }

  /** Checks the producer's state and validates every message (nothing is appended when one is invalid). */
  #prepare(input: SendBatchInput, transaction: number | null, owner: TransactionManager | null): PreparedSend {
    if (this.#fatal !== null) throw this.#fatal;
    // A transaction of an earlier connection: its (closed) manager refuses.
    if (owner !== null && owner !== this.#session?.transactions) {
      owner.sendable(transaction);
      throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'this transaction belongs to an earlier connection of the producer');
    }
    const session = this.#activeSession();
    const txn = session.transactions;
    const txnNumber = txn === null ? -1 : txn.sendable(transaction);
    if (input === null || typeof input !== 'object' || !Array.isArray(input.topicMessages)) {
      throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', 'sendBatch() takes { topicMessages: [{ topic, messages }] }');
    }
    const s = this.#settings;
    const acks = toAcks(input.acks, s.acks);
    const compression = toCodec(input.compression, s.compression);
    if (session.identity.idempotent && acks !== -1) {
      throw invalid(`acks ${acks} on an idempotent producer: idempotence needs acks -1 (create the producer with idempotent: false to use acks 0 or 1)`);
    }
    const now = Date.now();
    const work: TopicWork[] = [];
    for (let ti = 0; ti < input.topicMessages.length; ti++) {
      const tm = input.topicMessages[ti];
      if (tm === null || typeof tm !== 'object' || typeof tm.topic !== 'string' || tm.topic === '') {
        throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `topicMessages[${ti}]: topic must be a non-empty string`);
      }
      if (!Array.isArray(tm.messages)) throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${tm.topic}: messages must be an array`);
      const messages: NormalizedMessage[] = new Array(tm.messages.length);
      let totalBytes = 0;
      let highestPartition = -1;
      for (let i = 0; i < messages.length; i++) {
        const m = normalizeMessage(tm.messages[i], now, tm.topic, i);
        m.bytes = estimateRecordBytes(m.record);
        totalBytes += m.bytes;
        if (m.partition > highestPartition) highestPartition = m.partition;
        messages[i] = m;
      }
      work.push({ topic: tm.topic, messages, totalBytes, highestPartition });
    }
    return { session, txn, txnNumber, acks, compression, work };
  }

  /**
   * The fast path: appends the records now and returns true when every
   * topic's metadata is cached and covers the explicit partitions and the
   * buffer has room; else returns false having changed nothing (the
   * partitioner has not been called).
   */
  #appendNow(p: PreparedSend, op: SendOperation): boolean {
    const cluster = p.session.cluster;
    let totalBytes = 0;
    let metadata: TopicMetadata | undefined;
    let metadataByTopic: Map<string, TopicMetadata> | undefined;
    for (const w of p.work) {
      const md = cluster.cachedTopicMetadata(w.topic);
      if (md === undefined || w.highestPartition >= md.partitions.length) return false;
      if (p.work.length === 1) metadata = md;
      else (metadataByTopic ??= new Map()).set(w.topic, md);
      totalBytes += w.totalBytes;
    }
    if (!p.session.accumulator.hasRoom(totalBytes)) return false;
    if (p.txn !== null) p.txn.assertAppendable(p.txnNumber);
    this.#append(p, op, (topic) => metadata ?? (metadataByTopic as Map<string, TopicMetadata>).get(topic) as TopicMetadata);
    return true;
  }

  /** The slow path: waits for metadata (refreshing it for unknown partitions) and buffer room, then appends. */
  async #appendLater(p: PreparedSend, op: SendOperation): Promise<void> {
    const { session, txn } = p;
    const topics = [...new Set(p.work.map((w) => w.topic))];
    const metadata = new Map(await Promise.all(topics.map(async (t) => [t, await session.cluster.topicMetadata(t)] as const)));
    // Explicit partitions beyond the known count: the topic may have grown; look once more.
    for (const w of p.work) {
      let md = metadata.get(w.topic);
      if (md !== undefined && w.highestPartition >= md.partitions.length) {
        md = await session.cluster.topicMetadata(w.topic, { refresh: true });
        metadata.set(w.topic, md);
        if (w.highestPartition >= md.partitions.length) {
          throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${w.topic}: partition ${w.highestPartition} does not exist (the topic has ${md.partitions.length})`);
        }
      }
    }
    const totalBytes = p.work.reduce((sum, w) => sum + w.totalBytes, 0);
    // A custom partitioner runs before waiting for room, so one that throws fails the send early.
    const partitions = this.#customPartitions(p, (topic) => metadata.get(topic) as TopicMetadata);
    const wait = session.accumulator.waitForRoom(totalBytes);
    if (wait !== undefined) await wait;
    if (this.#session !== session) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the producer disconnected before the messages were queued');
    // The transaction may have failed or ended while this send waited.
    if (txn !== null) txn.assertAppendable(p.txnNumber);
    this.#append(p, op, (topic) => metadata.get(topic) as TopicMetadata, partitions);
  }

  /**
   * The partitions a custom partitioner chooses, per work item and message
   * (-1: none chosen), or null for the default partitioner. Called before
   * anything is appended, so one that throws or answers nonsense fails the
   * whole send and sends nothing.
   */
  #customPartitions(p: PreparedSend, metadataOf: (topic: string) => TopicMetadata): number[][] | null {
    const custom = typeof this.#partitioner === 'function' ? this.#partitioner : null;
    if (custom === null) return null;
    return p.work.map((w) => {
      const md = metadataOf(w.topic);
      return w.messages.map((m) => (m.partition >= 0 ? m.partition : checkPartition(custom(partitionerInput(w.topic, md, m.record)), w.topic, md.partitions.length)));
    });
  }

  /**
   * Appends every record of a prepared send (synchronously: the records of
   * one send stay together) and wakes the sender. `partitions` are a custom
   * partitioner's choices when already made.
   */
  #append(p: PreparedSend, op: SendOperation, metadataOf: (topic: string) => TopicMetadata, partitions = this.#customPartitions(p, metadataOf)): void {
    const { session, txn, acks, compression } = p;
    const acc = session.accumulator;
    for (let wi = 0; wi < p.work.length; wi++) {
      const w = p.work[wi];
      const md = metadataOf(w.topic);
      const chosen = partitions === null ? null : partitions[wi];
      for (let i = 0; i < w.messages.length; i++) {
        const m = w.messages[i];
        let partition = chosen === null ? m.partition : chosen[i];
        if (partition < 0) partition = this.#stickyOrKeyed(w.topic, md, m.record, m.bytes, acks, compression, acc);
        const { batch, segment, isNew } = acc.append(w.topic, partition, m.record, m.bytes, acks, compression, op);
        op.appended(batch, segment, isNew);
        // A new segment is this send's first record in the batch: at most once per partition and batch.
        if (txn !== null && isNew) txn.addPartition(w.topic, partition);
      }
    }
    session.sender.schedule();
    op.doneAppending();
  }

  /** The default partitioner's choice (KIP-480: a keyless record that would open a new batch moves the sticky partition first). */
  #stickyOrKeyed(topic: string, md: TopicMetadata, record: PendingRecord, bytes: number, acks: number, compression: CompressionCodec, acc: RecordAccumulator): number {
    const p = this.#partitioner as BatchAwarePartitioner;
    const input = partitionerInput(topic, md, record);
    let partition = p.partition(input);
    if (p.isSticky(input) && acc.wouldOpenBatch(input.topic, partition, bytes, acks, compression)) {
      p.onNewBatch(input.topic, partition, input);
      partition = p.partition(input);
    }
    return checkPartition(partition, input.topic, input.partitionCount);
  }

  /**
   * Sends every buffered record now (ignoring lingerMs) and resolves when all
   * of them settled, including those of sends called before flush() that
   * were still waiting for metadata.
   */
  async flush(): Promise<void> {
    if (this.#queueing.size > 0) await Promise.allSettled([...this.#queueing]);
    const session = this.#session;
    if (session === null) return;
    session.sender.beginFlush();
    try {
      await session.accumulator.flush();
    } finally {
      session.sender.endFlush();
    }
  }

  /**
   * Stops taking sends, delivers what is buffered (each record still bounded
   * by the delivery timeout), then closes the connections. A running commit
   * or abort is waited for; a transaction still open is left to the
   * coordinator, which aborts it after transactionTimeoutMs or when a
   * producer with the same transactional id connects.
   */
  disconnect(): Promise<void> {
    if (this.#disconnecting !== null) return this.#disconnecting;
    const session = this.#session;
    if (session === null) return this.#connecting === null ? Promise.resolve() : this.#connecting.then(() => this.disconnect(), () => {});
    this.#disconnecting = (async () => {
      try {
        while (this.#queueing.size > 0) await Promise.allSettled([...this.#queueing]);
        if (session.transactions !== null) await session.transactions.idle();
        await this.flush();
      } finally {
        session.transactions?.close();
        session.sender.close();
        session.cluster.close();
        this.#session = null;
        this.#disconnecting = null;
      }
    })();
    return this.#disconnecting;
  }

  #activeSession(): Session {
    if (this.#session === null || this.#disconnecting !== null) {
      throw new ClientError('SAMSA_ERR_NOT_CONNECTED', this.#disconnecting !== null ? 'the producer is disconnecting' : 'the producer is not connected: call connect() first');
    }
    return this.#session;
  }
}
