/**
 * `samsa group <list|describe|reset-offsets|delete|delete-offsets>`: consumer
 * group admin over the Kafka protocol, modelled on Kafka's
 * kafka-consumer-groups.sh (same columns, same dry-run default for resets,
 * same refusal to reset an active group).
 * Broker address: --bootstrap-server, else $SAMSA_BOOTSTRAP, else 127.0.0.1:9092.
 */
import { parseArgs } from 'node:util';
import { ConnectionError, KafkaError, type Admin, type CommittedOffset, type GroupDescription } from '@samsa/client';
import { bootstrapServer, connectAdmin } from '../broker-connection.js';
import { CommandError } from '../command-error.js';
import { table } from '../table.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage:
  samsa group list [--state STATE[,STATE...]]
  samsa group describe <group> [<group> ...]
  samsa group reset-offsets <group> (--topic T[:P,P...] ... | --all-topics)
        (--to-earliest | --to-latest | --to-offset N | --to-datetime ISO-8601 | --shift-by N)
        [--execute]          dry run (prints the plan) unless --execute is given
  samsa group delete <group> [<group> ...]
  samsa group delete-offsets <group> --topic T[:P,P...] ...
common options: --bootstrap-server/-b host:port (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

const SUBCOMMANDS = ['list', 'describe', 'reset-offsets', 'delete', 'delete-offsets'];
/** Group states a broker reports (classic protocol), as Kafka's tool accepts them for --state. */
const STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty'];
const RESET_MODES = ['to-earliest', 'to-latest', 'to-offset', 'to-datetime', 'shift-by'] as const;
type ResetMode = (typeof RESET_MODES)[number];

/** A --topic argument: a topic and its chosen partitions (null = all). */
interface TopicSelection {
  topic: string;
  partitions: number[] | null;
}

export async function runGroup(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`unknown group command '${sub}'. Run 'samsa group --help'.`);
  const args = joinNegativeValues(rest);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'bootstrap-server': { type: 'string', short: 'b' },
        state: { type: 'string', multiple: true },
        topic: { type: 'string', short: 't', multiple: true },
        'all-topics': { type: 'boolean' },
        'to-earliest': { type: 'boolean' },
        'to-latest': { type: 'boolean' },
        'to-offset': { type: 'string' },
        'to-datetime': { type: 'string' },
        'shift-by': { type: 'string' },
        execute: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0].replace(/\.$/, '')}. Run 'samsa group --help'.`);
  }
  const { values, positionals } = parsed;
  const bootstrap = bootstrapServer(values['bootstrap-server']);

  // Validate everything that needs no broker before connecting.
  const groups = sub === 'list' ? [] : positionals;
  if (sub !== 'list' && groups.length === 0) throw new UsageError(`group ${sub} needs a group id, e.g. 'samsa group ${sub} my-group'`);
  if ((sub === 'reset-offsets' || sub === 'delete-offsets') && groups.length > 1) {
    throw new UsageError(`group ${sub} takes one group, got ${groups.length}: ${groups.join(' ')}`);
  }
  if (sub === 'list' && positionals.length > 0) throw new UsageError(`group list takes no arguments, got '${positionals[0]}' (filter with --state Stable)`);
  const states = sub === 'list' ? parseStates(values.state) : null;
  const topics = (values.topic ?? []).map(parseTopicSelection);
  let reset: { mode: ResetMode; arg: number } | null = null;
  if (sub === 'reset-offsets') {
    reset = parseResetMode(values);
    if (topics.length === 0 && !values['all-topics']) throw new UsageError('reset-offsets needs --topic T (or T:0,1 for some partitions) or --all-topics');
    if (topics.length > 0 && values['all-topics']) throw new UsageError('give either --topic or --all-topics, not both');
    if (values.execute && values['dry-run']) throw new UsageError('give either --execute or --dry-run, not both');
  } else {
    const misplaced = ['all-topics', ...RESET_MODES, 'execute', 'dry-run'].find((k) => values[k as keyof typeof values] !== undefined);
    if (misplaced) throw new UsageError(`--${misplaced} only applies to 'samsa group reset-offsets'`);
    if (sub === 'delete-offsets' && topics.length === 0) throw new UsageError('delete-offsets needs --topic T (or T:0,1 for some partitions)');
    if (sub !== 'delete-offsets' && topics.length > 0) throw new UsageError(`--topic only applies to reset-offsets and delete-offsets`);
  }
  if (sub !== 'list' && values.state !== undefined) throw new UsageError(`--state only applies to 'samsa group list'`);

  const admin: Admin = await connectAdmin(bootstrap);
  try {
    switch (sub) {
      case 'list':
        await list(admin, states ?? []);
        return 0;
      case 'describe':
        return await describe(admin, groups);
      case 'reset-offsets':
        await resetOffsets(admin, groups[0], topics, reset!, values.execute === true);
        return 0;
      case 'delete':
        await admin.deleteGroups(groups);
        process.stdout.write(`Deletion of requested consumer groups (${groups.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
        return 0;
      case 'delete-offsets':
        await deleteOffsets(admin, groups[0], topics);
        return 0;
    }
    return 2;
  } catch (err) {
    if (err instanceof KafkaError || err instanceof AggregateError || err instanceof ConnectionError || err instanceof CommandError) {
      process.stderr.write(`samsa: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    admin.close();
  }
}

/** Options whose value may be negative. */
const NUMERIC_OPTIONS = new Set(['--shift-by', '--to-offset']);

/**
 * Kafka's tool takes '--shift-by -2', but parseArgs would read '-2' as a flag:
 * rewrite it as '--shift-by=-2'.
 */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (NUMERIC_OPTIONS.has(args[i]) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

function parseStates(items: string[] | undefined): string[] {
  const out: string[] = [];
  for (const item of (items ?? []).flatMap((s) => s.split(','))) {
    const state = STATES.find((s) => s.toLowerCase() === item.trim().toLowerCase());
    if (!state) throw new UsageError(`unknown group state '${item}': expected one of ${STATES.join(', ')}`);
    out.push(state);
  }
  return out;
}

function parseTopicSelection(arg: string): TopicSelection {
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

function parseResetMode(values: Record<string, string | boolean | string[] | undefined>): { mode: ResetMode; arg: number } {
  const given = RESET_MODES.filter((m) => values[m] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'reset-offsets needs one of --to-earliest, --to-latest, --to-offset N, --to-datetime 2024-01-31T12:00:00Z, --shift-by N'
        : `give only one reset mode, got ${given.map((m) => `--${m}`).join(' and ')}`,
    );
  }
  const mode = given[0];
  const raw = values[mode];
  switch (mode) {
    case 'to-earliest':
    case 'to-latest':
      return { mode, arg: 0 };
    case 'to-offset':
    case 'shift-by': {
      const s = String(raw);
      if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s)) || (mode === 'to-offset' && Number(s) < 0)) {
        throw new UsageError(`--${mode} expects a whole number${mode === 'to-offset' ? ' >= 0' : ''}, got '${s}'`);
      }
      return { mode, arg: Number(s) };
    }
    case 'to-datetime': {
      const s = String(raw);
      // Kafka's tool takes yyyy-MM-ddTHH:mm:SS.sss with an optional zone; without a zone it is local time, as here.
      const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s) ? Date.parse(s) : NaN;
      if (Number.isNaN(ms) || ms < 0) throw new UsageError(`--to-datetime expects an ISO-8601 time like 2024-01-31T12:00:00.000Z, got '${s}'`);
      return { mode, arg: ms };
    }
  }
}

async function list(admin: Admin, states: string[]): Promise<void> {
  const groups = await admin.listGroups(states);
  if (states.length === 0) {
    for (const g of groups) process.stdout.write(`${g.groupId}\n`);
    return;
  }
  process.stdout.write(table(['GROUP', 'STATE'], groups.map((g) => [g.groupId, g.groupState])));
}

/**
 * Kafka's --describe layout: one row per partition the group has a commit for
 * or a member is assigned, then the group's state and its members.
 */
async function describe(admin: Admin, groupIds: string[]): Promise<number> {
  const descriptions = await admin.describeGroups(groupIds);
  let code = 0;
  for (const [i, d] of descriptions.entries()) {
    if (i > 0) process.stdout.write('\n');
    const committed = await admin.fetchOffsets(d.groupId);
    if (d.groupState === 'Dead' && d.members.length === 0 && committed.length === 0) {
      process.stderr.write(`samsa: consumer group '${d.groupId}' does not exist.\n`);
      code = 1;
      continue;
    }
    process.stdout.write(await offsetsTable(admin, d, committed));
    if (d.members.length === 0) process.stdout.write(`\nConsumer group '${d.groupId}' has no active members.\n`);
    process.stdout.write('\n');
    const c = d.coordinator;
    process.stdout.write(
      table(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[d.groupId, `${c.host}:${c.port} (${c.nodeId})`, d.protocolData || '-', d.groupState, String(d.members.length)]]),
    );
    if (d.members.length > 0) {
      process.stdout.write('\n');
      process.stdout.write(
        table(
          ['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'],
          d.members.map((m) => [
            d.groupId,
            m.memberId,
            m.groupInstanceId ?? '-',
            m.clientHost,
            m.clientId,
            m.assignment ? String(m.assignment.reduce((n, a) => n + a.partitions.length, 0)) : '-',
            m.assignment ? m.assignment.map((a) => `${a.topic}(${a.partitions.join(',')})`).join(',') || '-' : '-',
          ]),
        ),
      );
    }
  }
  return code;
}

async function offsetsTable(admin: Admin, d: GroupDescription, committed: CommittedOffset[]): Promise<string> {
  type Row = { topic: string; partition: number; current: number | null; member: GroupDescription['members'][number] | null };
  const rows = new Map<string, Row>();
  const key = (topic: string, partition: number): string => `${topic}\0${partition}`;
  for (const m of d.members) {
    for (const a of m.assignment ?? []) {
      for (const p of a.partitions) rows.set(key(a.topic, p), { topic: a.topic, partition: p, current: null, member: m });
    }
  }
  for (const c of committed) {
    const row = rows.get(key(c.topic, c.partition));
    if (row) row.current = c.offset;
    else rows.set(key(c.topic, c.partition), { topic: c.topic, partition: c.partition, current: c.offset, member: null });
  }
  const logEnd = new Map<string, number>();
  for (const topic of new Set([...rows.values()].map((r) => r.topic))) {
    try {
      for (const p of await admin.listOffsets(topic, 'latest')) logEnd.set(key(topic, p.partition), p.offset);
    } catch (err) {
      // A deleted topic can still have commits: show '-' for its log end, as Kafka's tool does.
      if (!(err instanceof KafkaError || err instanceof AggregateError)) throw err;
    }
  }
  const sorted = [...rows.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return table(
    ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
    sorted.map((r) => {
      const end = logEnd.get(key(r.topic, r.partition));
      return [
        d.groupId,
        r.topic,
        String(r.partition),
        r.current === null ? '-' : String(r.current),
        end === undefined ? '-' : String(end),
        r.current === null || end === undefined ? '-' : String(Math.max(0, end - r.current)),
        r.member?.memberId ?? '-',
        r.member?.clientHost ?? '-',
        r.member?.clientId ?? '-',
      ];
    }),
  );
}

/** The partitions a --topic selection names, checked against the topic's partitions. */
async function resolvePartitions(admin: Admin, selections: TopicSelection[]): Promise<{ topic: string; partitions: number[] }[]> {
  const out: { topic: string; partitions: number[] }[] = [];
  for (const s of selections) {
    const [t] = await admin.describeTopics([s.topic]);
    const all = t.partitions.map((p) => p.partition);
    const missing = (s.partitions ?? []).filter((p) => !all.includes(p));
    if (missing.length > 0) throw new CommandError(`topic ${s.topic} has no partition ${missing.join(', ')} (it has ${all.length}: 0-${all.length - 1})`);
    out.push({ topic: s.topic, partitions: s.partitions ?? all });
  }
  return out;
}

/**
 * Computes the new offset of each selected partition and, with --execute,
 * commits them. New offsets are clamped into [log start, log end], as
 * Kafka's tool does for --to-offset and --shift-by; a --to-datetime later
 * than every record goes to the log end.
 */
async function resetOffsets(admin: Admin, groupId: string, selections: TopicSelection[], reset: { mode: ResetMode; arg: number }, execute: boolean): Promise<void> {
  const [d] = await admin.describeGroups([groupId]);
  if (d.groupState !== 'Empty' && d.groupState !== 'Dead') {
    throw new CommandError(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.groupState}.`);
  }
  const committed = await admin.fetchOffsets(groupId);
  if (selections.length === 0) {
    // --all-topics: every topic the group has committed offsets for.
    selections = [...new Set(committed.map((c) => c.topic))].map((topic) => ({ topic, partitions: null }));
    if (selections.length === 0) throw new CommandError(`group '${groupId}' has no committed offsets; name the topics with --topic`);
  }
  const plan: { topic: string; partition: number; offset: number }[] = [];
  for (const { topic, partitions } of await resolvePartitions(admin, selections)) {
    const earliest = new Map((await admin.listOffsets(topic, 'earliest')).map((p) => [p.partition, p.offset]));
    const latest = new Map((await admin.listOffsets(topic, 'latest')).map((p) => [p.partition, p.offset]));
    const atTime = reset.mode === 'to-datetime' ? new Map((await admin.listOffsets(topic, reset.arg)).map((p) => [p.partition, p.offset])) : null;
    for (const partition of partitions) {
      const lo = earliest.get(partition) ?? 0;
      const hi = latest.get(partition) ?? 0;
      let target: number;
      switch (reset.mode) {
        case 'to-earliest':
          target = lo;
          break;
        case 'to-latest':
          target = hi;
          break;
        case 'to-offset':
          target = reset.arg;
          break;
        case 'to-datetime': {
          const found = atTime?.get(partition) ?? -1;
          target = found >= 0 ? found : hi;
          break;
        }
        case 'shift-by': {
          const current = committed.find((c) => c.topic === topic && c.partition === partition);
          if (!current) throw new CommandError(`cannot shift ${topic}-${partition}: group '${groupId}' has no committed offset for it (use --to-earliest, --to-latest or --to-offset)`);
          target = current.offset + reset.arg;
          break;
        }
      }
      plan.push({ topic, partition, offset: Math.min(Math.max(target, lo), hi) });
    }
  }
  if (execute) await admin.commitOffsets(groupId, plan);
  process.stdout.write(table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [groupId, p.topic, String(p.partition), String(p.offset)])));
  if (!execute) process.stderr.write('Dry run: no offsets were changed. Add --execute to commit these offsets.\n');
}

async function deleteOffsets(admin: Admin, groupId: string, selections: TopicSelection[]): Promise<void> {
  for (const { topic, partitions } of await resolvePartitions(admin, selections)) {
    await admin.deleteOffsets(groupId, topic, partitions);
    process.stdout.write(`Deleted offsets of group '${groupId}' for ${topic} partition${partitions.length > 1 ? 's' : ''} ${partitions.join(',')}.\n`);
  }
}
