/**
 * The client's entry point, shaped like kafkajs' `Kafka`:
 *
 *   const kafka = new Kafka({ clientId: 'app', brokers: ['127.0.0.1:9092'] });
 *   const producer = kafka.producer();
 *   await producer.connect();
 *   await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] });
 *   await producer.disconnect();
 *
 *   const consumer = kafka.consumer({ groupId: 'billing' });
 *   await consumer.connect();
 *   await consumer.subscribe({ topics: ['orders'] });
 *   await consumer.run({ eachMessage: async ({ message }) => { ... } });
 *
 * A `Kafka` holds configuration only; each producer or admin client it
 * creates has its own connections.
 */
import { Admin } from './admin.js';
import { bootstrapList, parseHostPort } from './broker-address.js';
import { ClientError } from './client-error.js';
import type { ClientConfig } from './client-config.js';
import { Consumer } from './consumer/consumer.js';
import type { ConsumerOptions } from './consumer/consumer-options.js';
import { consoleLogger, type Logger } from './logger.js';
import { Producer, type ProducerOptions } from './producer/producer.js';
import { retryPolicy, type RetryOptions } from './retry.js';

/** Options of `new Kafka()`. */
export interface KafkaConfig {
  /** Bootstrap brokers: `host:port` strings, or one comma-separated string. */
  brokers: string | string[];
  /** Sent with every request (brokers log it, quotas use it) ['samsa']. */
  clientId?: string;
  /** Bound on opening a TCP connection and exchanging ApiVersions [10000]. */
  connectionTimeoutMs?: number;
  /** Bound on waiting for any response [30000]. */
  requestTimeoutMs?: number;
  /** Default retry policy of producers and consumers ({@link RetryOptions}). */
  retry?: RetryOptions;
  /** Where warnings and debug output go [stderr for warn and error]. */
  logger?: Logger;
}

/** Client configuration and the factory of producers, consumers and admin clients. */
export class Kafka {
  readonly #clientId: string;
  readonly #brokers: string[];
  readonly #connectionTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #retry: RetryOptions | undefined;
  readonly #logger: Logger;

  /** Throws ClientError(SAMSA_ERR_INVALID_CONFIG) for bad options. */
  constructor(config: KafkaConfig) {
    if (config === null || typeof config !== 'object') throw new ClientError('SAMSA_ERR_INVALID_CONFIG', 'new Kafka() takes { brokers, ... }');
    this.#brokers = bootstrapList(config.brokers ?? []);
    if (this.#brokers.length === 0) throw new ClientError('SAMSA_ERR_INVALID_CONFIG', 'brokers: at least one host:port is needed');
    for (const b of this.#brokers) {
      try {
        parseHostPort(b);
      } catch (err) {
        throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `brokers: ${(err as Error).message}`);
      }
    }
    this.#clientId = config.clientId ?? 'samsa';
    this.#connectionTimeoutMs = positive('connectionTimeoutMs', config.connectionTimeoutMs, 10_000);
    this.#requestTimeoutMs = positive('requestTimeoutMs', config.requestTimeoutMs, 30_000);
    if (config.retry !== undefined) retryPolicy(config.retry); // validate now, not at first use
    this.#retry = config.retry;
    this.#logger = config.logger ?? consoleLogger;
  }

  /** A new producer (not connected yet); with `transactionalId` it is transactional (`producer.transaction()`, see docs/client.md). */
  producer(options: ProducerOptions = {}): Producer {
    return new Producer(this.#clientConfig(), options);
  }

  /** A new consumer (not connected yet); see docs/client.md. */
  consumer(options: ConsumerOptions = {}): Consumer {
    return new Consumer(this.#clientConfig(), options);
  }

  #clientConfig(): ClientConfig {
    return {
      clientId: this.#clientId,
      brokers: this.#brokers,
      connectionTimeoutMs: this.#connectionTimeoutMs,
      requestTimeoutMs: this.#requestTimeoutMs,
      retry: this.#retry,
      logger: this.#logger,
    };
  }

  /** A new admin client (call `connect()` on it), the same `Admin` the CLI uses. */
  admin(): Admin {
    return new Admin(this.#brokers, { clientId: this.#clientId, timeoutMs: this.#requestTimeoutMs, connectTimeoutMs: this.#connectionTimeoutMs, retry: this.#retry, logger: this.#logger });
  }
}

function positive(name: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (!Number.isSafeInteger(x) || x <= 0) throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `${name} must be a whole number of ms > 0, got ${String(v)}`);
  return x;
}
