/**
 * The producer the CLI's produce and perf commands use: the client's
 * Producer with the CLI's connect bound, its warnings as `samsa: warning:`
 * lines, and an unreachable broker reported like every other command's.
 */
import { Kafka, KafkaError, type Logger, type Producer, type ProducerOptions } from '@samsa/client';
import { CLI_CLIENT_ID, connectTimeoutMs, unreachable, withAdmin } from './broker-connection.js';
import { CommandError } from './command-error.js';

/** Warnings of the producer, one line each; debug and info dropped. */
const cliLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message) => process.stderr.write(`samsa: warning: ${message}\n`),
  error: (message) => process.stderr.write(`samsa: warning: ${message}\n`),
};

/**
 * A connected producer. The broker is probed with an admin connection first:
 * the producer's own bootstrap retries (with backoff) would take seconds to
 * give up on an address where nothing listens.
 */
export async function connectProducer(bootstrap: string, options: ProducerOptions): Promise<Producer> {
  await withAdmin(bootstrap, async () => {});
  const kafka = new Kafka({ brokers: bootstrap, clientId: CLI_CLIENT_ID, connectionTimeoutMs: connectTimeoutMs(), logger: cliLogger });
  const producer = kafka.producer(options);
  try {
    await producer.connect();
  } catch (err) {
    throw unreachable(bootstrap, err);
  }
  return producer;
}

/**
 * The one-line error for a failed send: the failure, the fix when there is
 * an obvious one, and how many records made it before.
 */
export function sendFailed(failure: unknown, topic: string, acknowledged: number, total: number): CommandError {
  const what = (failure instanceof Error ? failure.message : String(failure)).replace(/\.$/, '');
  const hint = failure instanceof KafkaError && failure.type === 'UNKNOWN_TOPIC_OR_PARTITION' ? ` Create the topic with 'samsa topic create ${topic}'.` : '';
  return new CommandError(`${what}.${hint} ${acknowledged} of ${total} records were acknowledged before it`, { cause: failure });
}
