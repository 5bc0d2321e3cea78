/**
 * `samsa txn <list|describe|producers>`: the transaction admin views of
 * Kafka's kafka-transactions.sh (list, describe, describe-producers), with
 * its column names.
 *
 *   list        ListTransactions to every broker; --state, --producer-id and
 *               --min-duration-ms filters (KIP-994, brokers with v1)
 *   describe    DescribeTransactions of each id at its coordinator; unknown
 *               ids get one error line each and exit code 1, the others are
 *               still shown
 *   producers   DescribeProducers of each selected partition at its leader
 */
import type { Admin, TransactionDescription } from '@samsa/client';
import { KafkaError } from '@samsa/client';
import { bootstrapServer, withAdmin } from '../broker-connection.js';
import { CommandError } from '../command-error.js';
import { intFlag, parseFlags } from '../flags.js';
import { table } from '../table.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage:
  samsa txn list [--state STATE[,STATE...]] [--producer-id N ...] [--min-duration-ms MS]
  samsa txn describe <transactional-id> [<transactional-id> ...]
  samsa txn producers --topic T[:P,P...] [--topic ...]     (alias: describe-producers)
states: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead, PrepareEpochFence
common options: --bootstrap-server/-b host:port (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

/** Kafka's transaction states (TransactionState.java), as ListTransactions filters take them. */
const STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];
/** States in which a transaction is running (its duration is shown). */
const RUNNING = new Set(['Ongoing', 'PrepareCommit', 'PrepareAbort', 'PrepareEpochFence']);
const SUBCOMMANDS = ['list', 'describe', 'producers', 'describe-producers'];

/** Runs `samsa txn <list|describe|producers>`; resolves with the exit code. */
export async function runTxn(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`unknown txn command '${sub}': expected list, describe or producers. Run 'samsa txn --help'.`);
  const { values, positionals } = parseFlags('txn', rest, {
    'bootstrap-server': { type: 'string', short: 'b' },
    state: { type: 'string', multiple: true },
    'producer-id': { type: 'string', multiple: true },
    'min-duration-ms': { type: 'string' },
    topic: { type: 'string', short: 't', multiple: true },
  });
  const bootstrap = bootstrapServer(values['bootstrap-server']);
  const misplaced = (flags: string[]): void => {
    const given = flags.find((f) => values[f as keyof typeof values] !== undefined);
    if (given) throw new UsageError(`--${given} does not apply to 'samsa txn ${sub}'. Run 'samsa txn --help'.`);
  };
  switch (sub) {
    case 'list': {
      misplaced(['topic']);
      if (positionals.length > 0) throw new UsageError(`txn list takes no arguments, got '${positionals[0]}' (filter with --state Ongoing)`);
      const states = parseStates(values.state);
      const producerIds = (values['producer-id'] ?? []).flatMap((s) => s.split(',')).map((s) => intFlag('producer-id', s, { min: 0 }) as number);
      const minDurationMs = intFlag('min-duration-ms', values['min-duration-ms'], { min: 0 });
      const listed = await withAdmin(bootstrap, (admin) => admin.listTransactions({ states, producerIds, minDurationMs }));
      process.stdout.write(
        table(
          ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'],
          listed.map((t) => [t.transactionalId, String(t.coordinatorId), String(t.producerId), t.transactionState]),
        ),
      );
      return 0;
    }
    case 'describe': {
      misplaced(['topic', 'state', 'producer-id', 'min-duration-ms']);
      if (positionals.length === 0) throw new UsageError(`txn describe needs a transactional id, e.g. 'samsa txn describe my-txn-id'`);
      return withAdmin(bootstrap, (admin) => describe(admin, positionals));
    }
    default: {
      misplaced(['state', 'producer-id', 'min-duration-ms']);
      if (positionals.length > 0) throw new UsageError(`txn ${sub} takes partitions with --topic, not arguments: got '${positionals[0]}' (example: --topic orders:0,1)`);
      const selections = (values.topic ?? []).map(parseTopicSelection);
      if (selections.length === 0) throw new UsageError(`txn ${sub} needs --topic T (or T:0,1 for some partitions)`);
      return withAdmin(bootstrap, (admin) => producers(admin, selections));
    }
  }
}

function parseStates(items: string[] | undefined): string[] {
  return (items ?? [])
    .flatMap((s) => s.split(','))
    .map((item) => {
      const state = STATES.find((s) => s.toLowerCase() === item.trim().toLowerCase());
      if (!state) throw new UsageError(`unknown transaction state '${item}': expected one of ${STATES.join(', ')}`);
      return state;
    });
}

function parseTopicSelection(arg: string): { topic: string; partitions: number[] | null } {
  const colon = arg.lastIndexOf(':');
  if (colon < 0) {
    if (arg === '') throw new UsageError(`--topic needs a topic name (example: --topic orders or --topic orders:0,2)`);
    return { topic: arg, partitions: null };
  }
  const topic = arg.slice(0, colon);
  const list = arg.slice(colon + 1).split(',');
  if (topic === '' || list.some((p) => !/^\d+$/.test(p))) {
    throw new UsageError(`--topic expects T or T:P,P with partition numbers, got '${arg}' (example: --topic orders:0,2)`);
  }
  return { topic, partitions: [...new Set(list.map(Number))].sort((a, b) => a - b) };
}

async function describe(admin: Admin, ids: string[]): Promise<number> {
  const found: TransactionDescription[] = [];
  const failed: string[] = [];
  // One id at a time, so an unknown id does not hide the others.
  for (const id of ids) {
    try {
      found.push(...(await admin.describeTransactions([id])));
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      failed.push(err.type === 'TRANSACTIONAL_ID_NOT_FOUND' ? `transactional id '${id}' does not exist (list them with 'samsa txn list')` : err.message);
    }
  }
  const now = Date.now();
  if (found.length > 0) {
    process.stdout.write(
      table(
        ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
        found.map((t) => {
          const running = RUNNING.has(t.transactionState) && t.transactionStartTimeMs !== null;
          return [
            String(t.coordinatorId),
            t.transactionalId,
            String(t.producerId),
            String(t.producerEpoch),
            t.transactionState,
            String(t.transactionTimeoutMs),
            running ? String(t.transactionStartTimeMs) : '-',
            running ? String(Math.max(0, now - (t.transactionStartTimeMs as number))) : '-',
            t.topicPartitions.map((p) => `${p.topic}-${p.partition}`).join(',') || '-',
          ];
        }),
      ),
    );
  }
  for (const line of failed) process.stderr.write(`samsa: ${line}\n`);
  return failed.length > 0 ? 1 : 0;
}

async function producers(admin: Admin, selections: { topic: string; partitions: number[] | null }[]): Promise<number> {
  const wanted: { topic: string; partition: number }[] = [];
  for (const s of selections) {
    const [t] = await admin.describeTopics([s.topic]);
    const all = t.partitions.map((p) => p.partition);
    const missing = (s.partitions ?? []).filter((p) => !all.includes(p));
    if (missing.length > 0) throw new CommandError(`topic ${s.topic} has no partition ${missing.join(', ')} (it has ${all.length}: 0-${all.length - 1})`);
    for (const partition of s.partitions ?? all) wanted.push({ topic: s.topic, partition });
  }
  const described = await admin.describeProducers(wanted);
  const dash = (n: number | null): string => (n === null ? '-' : String(n));
  process.stdout.write(
    table(
      ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
      described.flatMap((d) =>
        d.activeProducers.map((p) => [
          d.topic,
          String(d.partition),
          String(p.producerId),
          String(p.producerEpoch),
          dash(p.coordinatorEpoch),
          dash(p.lastSequence),
          dash(p.lastTimestamp),
          dash(p.currentTxnStartOffset),
        ]),
      ),
    ),
  );
  return 0;
}
