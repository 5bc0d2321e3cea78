/**
 * Fills the stores of newly assigned tasks from their changelog partitions
 * before the tasks process anything.
 *
 * A consumer without a group reads each changelog partition from its start
 * to the end offset looked up when restoration begins. With
 * exactly_once_v2 it reads read_committed, so aborted writes are never
 * restored; transaction markers take offsets but are never delivered, which
 * is why completion is judged by the consumer's position (which passes
 * them), not by the last record seen.
 */
import type { Kafka, Logger } from '@samsa/client';
import { StreamsError } from '../streams-error.js';
import type { StreamTask } from './stream-task.js';
import { changelogTopicName } from './streams-config.js';

/** How much was restored. */
export interface RestoreResult {
  partitions: number;
  records: number;
  durationMs: number;
}

interface Target {
  topic: string;
  partition: number;
  endOffset: number;
  task: StreamTask;
  store: string;
}

const POSITION_CHECK_MS = 20;

export async function restoreTasks(
  kafka: Kafka,
  tasks: readonly StreamTask[],
  options: { applicationId: string; readCommitted: boolean; timeoutMs: number; logger: Logger },
): Promise<RestoreResult> {
  const started = Date.now();
  const wanted: Array<Omit<Target, 'endOffset'>> = [];
  for (const task of tasks) {
    for (const store of task.restorers().keys()) {
      wanted.push({ topic: changelogTopicName(options.applicationId, store), partition: task.id.partition, task, store });
    }
  }
  if (wanted.length === 0) return { partitions: 0, records: 0, durationMs: 0 };
  const admin = kafka.admin();
  await admin.connect();
  const targets: Target[] = [];
  try {
    for (const topic of new Set(wanted.map((w) => w.topic))) {
      const [latest, earliest] = await Promise.all([admin.listOffsets(topic, 'latest'), admin.listOffsets(topic, 'earliest')]);
      for (const w of wanted.filter((x) => x.topic === topic)) {
        const end = latest.find((o) => o.partition === w.partition)?.offset;
        const start = earliest.find((o) => o.partition === w.partition)?.offset;
        if (end === undefined || start === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_TOPICS', `changelog ${topic} has no partition ${w.partition}`);
        if (end > start) targets.push({ ...w, endOffset: end });
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (targets.length === 0) return { partitions: 0, records: 0, durationMs: Date.now() - started };

  const byKey = new Map(targets.map((t) => [`${t.topic}\0${t.partition}`, t]));
  const consumer = kafka.consumer({ isolationLevel: options.readCommitted ? 'read_committed' : 'read_uncommitted', allowAutoTopicCreation: false, maxWaitTimeMs: 100 });
  let records = 0;
  let failure: Error | null = null;
  await consumer.connect();
  try {
    const byTopic = new Map<string, number[]>();
    for (const t of targets) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), t.partition]);
    await consumer.assign([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
    for (const t of targets) consumer.seek({ topic: t.topic, partition: t.partition, offset: 'earliest' });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const t = byKey.get(`${batch.topic}\0${batch.partition}`);
        if (t === undefined) return;
        for (const m of batch.messages) {
          if (m.offset >= t.endOffset) break;
          if (m.key === null) continue; // a changelog record without a key cannot be a store entry
          t.task.restore(t.store, Buffer.from(m.key), m.value === null ? null : Buffer.from(m.value));
          records++;
        }
      },
    });
    consumer.on(consumer.events.CRASH, (e) => {
      failure = e.payload.error;
    });
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + options.timeoutMs;
      const timer = setInterval(() => {
        if (failure !== null) {
          clearInterval(timer);
          reject(new StreamsError('SAMSA_ERR_STREAMS_STATE', `restoring from changelogs failed: ${failure.message}`, { cause: failure }));
          return;
        }
        const behind = targets.filter((t) => (consumer.position({ topic: t.topic, partition: t.partition }) ?? -1) < t.endOffset);
        if (behind.length === 0) {
          clearInterval(timer);
          resolve();
        } else if (Date.now() > deadline) {
          clearInterval(timer);
          reject(
            new StreamsError(
              'SAMSA_ERR_STREAMS_STATE',
              `restoring did not finish within ${options.timeoutMs} ms; behind: ${behind.map((t) => `${t.topic}-${t.partition} at ${consumer.position({ topic: t.topic, partition: t.partition })} of ${t.endOffset}`).join(', ')}`,
            ),
          );
        }
      }, POSITION_CHECK_MS);
    });
  } finally {
    await consumer.disconnect();
  }
  const result = { partitions: targets.length, records, durationMs: Date.now() - started };
  options.logger.info('restored state stores from changelogs', { ...result });
  return result;
}
