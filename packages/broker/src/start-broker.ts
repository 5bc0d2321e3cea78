/**
 * Embeddable broker for test suites: a real single-node Samsa in the current
 * process, on a free port of 127.0.0.1 and a temporary data dir unless given.
 *
 *   const broker = await startBroker();
 *   const kafka = new Kafka({ brokers: [broker.bootstrap] });
 *   ...
 *   await broker.stop(); // also removes the temporary data dir
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Broker } from './broker.js';
import { BrokerConfig } from './config/broker-config.js';

export interface StartBrokerOptions {
  /** Data directory; a temporary one (removed on stop) when absent. */
  dataDir?: string;
  /** Port on 127.0.0.1; a free one when absent or 0. */
  port?: number;
  /** Extra broker configs by Kafka name, e.g. { 'num.partitions': '3' }. */
  config?: Record<string, string>;
  logger?: Logger;
  /** Fetches that may long-poll at once (see BrokerStartOptions). */
  fetchWaiterLimit?: number;
}

export interface StartedBroker {
  /** host:port to give clients as bootstrap servers. */
  readonly bootstrap: string;
  readonly port: number;
  readonly dataDir: string;
  readonly broker: Broker;
  stop(): Promise<void>;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<StartedBroker> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'samsa-')));
  const props = new Map<string, string>([
    ['listeners', `PLAINTEXT://127.0.0.1:${opts.port ?? 0}`],
    ['log.dirs', dataDir],
    ...Object.entries(opts.config ?? {}),
  ]);
  const config = BrokerConfig.fromProperties(props);
  const broker = await Broker.start(config, { logger: opts.logger ?? pino({ level: process.env.SAMSA_LOG_LEVEL ?? 'warn' }), fetchWaiterLimit: opts.fetchWaiterLimit });
  const port = broker.ports[0];
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    dataDir,
    broker,
    async stop() {
      await broker.stop();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
