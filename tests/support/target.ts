import type { TestContext } from 'node:test';
import { kafkajs } from './kafkajs-driver.js';
import { startMockCluster } from './mock-cluster.js';
import { kcatMetadata } from './run-kcat.js';
import { startSamsa, type SamsaProcess } from './samsa-process.js';
import { waitFor } from './wait-for.js';

/** Which broker the compat suite runs against: env SAMSA_COMPAT_TARGET=mock|samsa (default samsa). */
export type TargetKind = 'samsa' | 'mock';

export function targetKind(): TargetKind {
  const v = process.env.SAMSA_COMPAT_TARGET ?? 'samsa';
  if (v !== 'samsa' && v !== 'mock') throw new Error(`SAMSA_COMPAT_TARGET must be samsa or mock, not ${v}`);
  return v;
}

/** Options of {@link startTarget}. */
export interface TargetOptions {
  /** Broker settings for Samsa (`--set`); ignored by the mock. */
  settings?: Record<string, string | number | boolean>;
  /** Brokers of the mock cluster (1 by default). */
  mockBrokers?: number;
}

/** A running broker the clients talk to. */
export interface Target {
  readonly kind: TargetKind;
  readonly bootstrap: string;
  /** The Samsa process (kill -9, restart, data dir), or null for the mock. */
  readonly samsa: SamsaProcess | null;
  logTail(chars?: number): string;
  stop(): Promise<void>;
  /**
   * Creates a topic and resolves with its partition count once its leaders are known. On
   * Samsa this is CreateTopics through the kafkajs admin (with `configs`). The mock has no
   * CreateTopics: the topic is auto-created by a metadata request and gets the mock's
   * default of 4 partitions, whatever was asked; tests use the returned count.
   */
  createTopic(name: string, options?: { partitions?: number; configs?: Record<string, string> }): Promise<number>;
}

/** Starts Samsa (default) or, with SAMSA_COMPAT_TARGET=mock, librdkafka's mock cluster. */
export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  if (targetKind() === 'mock') {
    const mock = await startMockCluster(options.mockBrokers ?? 1);
    return {
      kind: 'mock',
      bootstrap: mock.bootstrap,
      samsa: null,
      logTail: (chars) => mock.logTail(chars),
      stop: () => mock.stop(),
      async createTopic(name) {
        let partitions = 0;
        await waitFor(
          async () => {
            const md = await kcatMetadata(mock.bootstrap, name);
            partitions = md.partitions.length;
            return partitions > 0 && md.partitions.every((p) => p.leader >= 0);
          },
          { timeoutMs: 15_000, intervalMs: 100, message: `mock auto-created ${name}` },
        );
        return partitions;
      },
    };
  }
  const samsa = await startSamsa({ settings: options.settings });
  return {
    kind: 'samsa',
    bootstrap: samsa.bootstrap,
    samsa,
    logTail: (chars) => samsa.logTail(chars),
    stop: () => samsa.stop(),
    async createTopic(name, opts = {}) {
      const admin = kafkajs(samsa.bootstrap).admin();
      await admin.connect();
      try {
        await admin.createTopics({
          topics: [
            {
              topic: name,
              numPartitions: opts.partitions ?? 1,
              replicationFactor: 1,
              configEntries: Object.entries(opts.configs ?? {}).map(([n, value]) => ({ name: n, value })),
            },
          ],
          waitForLeaders: true,
          timeout: 30_000,
        });
        const md = await admin.fetchTopicMetadata({ topics: [name] });
        return md.topics[0].partitions.length;
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/**
 * Runs `fn` against a fresh target and stops it afterwards (also via t.after, should the test
 * time out). On failure the broker's log tail goes to stderr next to the test's error.
 */
export async function withTarget<T>(t: TestContext, options: TargetOptions, fn: (target: Target) => Promise<T>): Promise<T> {
  const target = await startTarget(options);
  t.after(() => target.stop());
  try {
    return await fn(target);
  } catch (err) {
    process.stderr.write(`\n--- ${target.kind} log tail (${t.name}) ---\n${target.logTail()}\n--- end of log tail ---\n`);
    throw err;
  } finally {
    await target.stop();
  }
}

/**
 * For tests that need the Samsa process itself (kill -9, data dir, broker settings): true
 * when the target is Samsa; under SAMSA_COMPAT_TARGET=mock it marks the test skipped.
 */
export function needsSamsa(t: TestContext): boolean {
  if (targetKind() === 'samsa') return true;
  t.skip('needs the Samsa process (SAMSA_COMPAT_TARGET=mock)');
  return false;
}

/**
 * Runs `fn` for a test that shares a target started in `before`: on failure it prints the
 * broker's log tail to stderr before rethrowing.
 */
export async function logOnFailure<T>(target: Target, t: TestContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    process.stderr.write(`\n--- ${target.kind} log tail (${t.name}) ---\n${target.logTail()}\n--- end of log tail ---\n`);
    throw err;
  }
}
