// One member of a consumer group in its own process, so a test can SIGKILL it (a member lost
// without leaving). Spec: JSON in argv[2] (see MemberSpec). Prints one JSON object per line:
//   { type: 'assigned' | 'revoked' | 'lost', partitions: number[], t }   from the rebalance listener
//   { type: 'join', memberId, generationId, t }
//   { type: 'record', partition, offset, value, t }                       after the handler ran
//   { type: 'commit', partitions: [{ partition, offset }], t }
//   { type: 'running' } once run() resolved, { type: 'crash', message }, { type: 'stopped' }
// SIGTERM disconnects cleanly (commit, leave) and exits 0.
import { Kafka, type Logger } from '@samsa/client';

/** What the member is told to do. */
export interface MemberSpec {
  bootstrap: string;
  groupId: string;
  topic: string;
  assignors?: Array<'range' | 'roundrobin' | 'cooperative-sticky'>;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  groupInstanceId?: string;
  /** Pause of the handler per record. */
  handlerDelayMs?: number;
  autoCommitIntervalMs?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as MemberSpec;
const print = (o: object): void => {
  process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);
};
const fields = (f: Record<string, unknown> | undefined): string => (f === undefined ? '' : JSON.stringify(f, (_k, v: unknown) => (v instanceof Error ? v.message : v)));
const logger: Logger = {
  debug: process.env.SAMSA_MEMBER_DEBUG === '1' ? (m, f) => process.stderr.write(`debug ${Date.now()}: ${m} ${fields(f)}\n`) : () => {},
  info: () => {},
  warn: (m, f) => process.stderr.write(`warn: ${m} ${fields(f)}\n`),
  error: (m, f) => process.stderr.write(`error: ${m} ${fields(f)}\n`),
};
const partitionsOf = (tps: Array<{ topic: string; partitions: number[] }>): number[] => tps.filter((tp) => tp.topic === spec.topic).flatMap((tp) => tp.partitions);

const kafka = new Kafka({ brokers: [spec.bootstrap], clientId: 'consumer-member', connectionTimeoutMs: 5_000, requestTimeoutMs: 15_000, logger });
const consumer = kafka.consumer({
  groupId: spec.groupId,
  groupInstanceId: spec.groupInstanceId,
  partitionAssigners: spec.assignors,
  sessionTimeoutMs: spec.sessionTimeoutMs,
  heartbeatIntervalMs: spec.heartbeatIntervalMs,
  rebalanceTimeoutMs: 30_000,
  maxWaitTimeMs: 200,
  retry: { retries: 8, initialRetryTimeMs: 100, maxRetryTimeMs: 2_000 },
  rebalanceListener: {
    onPartitionsAssigned: (tps) => print({ type: 'assigned', partitions: partitionsOf(tps) }),
    onPartitionsRevoked: (tps) => print({ type: 'revoked', partitions: partitionsOf(tps) }),
    onPartitionsLost: (tps) => print({ type: 'lost', partitions: partitionsOf(tps) }),
  },
});
consumer.on(consumer.events.GROUP_JOIN, (e) => print({ type: 'join', memberId: e.payload.memberId, generationId: e.payload.generationId }));
consumer.on(consumer.events.COMMIT_OFFSETS, (e) => print({ type: 'commit', partitions: e.payload.topics.flatMap((t) => t.partitions) }));
if (process.env.SAMSA_MEMBER_DEBUG === '1') {
  consumer.on(consumer.events.FETCH, (e) => logger.debug('fetch', { ...e.payload, partitions: e.payload.partitions.filter((p) => p.messages > 0) }));
}
consumer.on(consumer.events.CRASH, (e) => print({ type: 'crash', message: e.payload.error.message }));

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void consumer.disconnect().finally(() => {
    print({ type: 'stopped' });
    process.exit(0);
  });
});

await consumer.connect();
await consumer.subscribe({ topics: [spec.topic], fromBeginning: true });
await consumer.run({
  autoCommitIntervalMs: spec.autoCommitIntervalMs ?? 500,
  partitionsConsumedConcurrently: 4,
  eachMessage: async ({ partition, message }) => {
    if (spec.handlerDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, spec.handlerDelayMs));
    print({ type: 'record', partition, offset: message.offset, value: message.value?.toString() ?? null });
  },
});
print({ type: 'running' });
