/**
 * Internal topics: what exists, what to create, how many tasks.
 *
 * - Every user source topic must exist (Kafka's MissingSourceTopicException).
 * - A repartition topic `<app>-<name>-repartition` gets the number of
 *   partitions given by `repartition({ numberOfPartitions })`, else the
 *   largest partition count among the source topics of the sub-topologies
 *   writing to it (resolved until nothing changes, as Kafka does).
 * - A sub-topology has as many tasks as its largest source topic has
 *   partitions; task `<subtopology>_<p>` reads partition p of each source.
 * - A changelog `<app>-<store>-changelog` has one partition per task of the
 *   store's sub-topology.
 *
 * Configs, as Kafka Streams creates them:
 *
 * | topic | cleanup.policy | other |
 * | --- | --- | --- |
 * | repartition | delete | retention.ms=-1, segment.bytes=52428800, message.timestamp.type=CreateTime |
 * | key-value changelog | compact | message.timestamp.type=CreateTime, plus the store's logging configs |
 * | window changelog | compact,delete | retention.ms = store retention + 1 day, message.timestamp.type=CreateTime |
 *
 * Existing internal topics are reused when their partition count is right;
 * a wrong count is an error (the data in them would be partitioned wrongly).
 */
import type { Admin, Logger } from '@samsa/client';
import { StreamsError } from '../streams-error.js';
import type { Topology } from '../topology/topology.js';
import { changelogTopicName } from './streams-config.js';

/** One internal topic to have. */
export interface InternalTopicSpec {
  name: string;
  partitions: number;
  configs: Record<string, string>;
  kind: 'repartition' | 'changelog';
}

/** What the runtime needs to know about topics. */
export interface TopicPlan {
  /** Task count per sub-topology id. */
  tasksPerSubtopology: Map<number, number>;
  /** Sub-topology id by consumed topic name (internal topics with the application id prefix). */
  subtopologyByTopic: Map<string, number>;
  /** Partition counts of every source, sink and internal topic known. */
  partitionCounts: Map<string, number>;
  internalTopics: InternalTopicSpec[];
}

const REPARTITION_CONFIGS: Record<string, string> = {
  'cleanup.policy': 'delete',
  'retention.ms': '-1',
  'segment.bytes': '52428800',
  'message.timestamp.type': 'CreateTime',
};


function topicsError(message: string, cause?: unknown): StreamsError {
  return new StreamsError('SAMSA_ERR_STREAMS_TOPICS', message, { cause });
}

/** Partition counts of the topics that exist among `names`. */
async function existingPartitionCounts(admin: Admin, names: string[]): Promise<Map<string, number>> {
  const all = new Set(await admin.listTopics());
  const present = names.filter((n) => all.has(n));
  const out = new Map<string, number>();
  if (present.length === 0) return out;
  for (const d of await admin.describeTopics(present)) out.set(d.name, d.partitions.length);
  return out;
}

/** Works out tasks and internal topics, and creates the internal topics that are missing. */
export async function planTopics(admin: Admin, topology: Topology, applicationId: string, replicationFactor: number, logger: Logger): Promise<TopicPlan> {
  const subs = topology.subtopologies();
  const internal = topology.internalTopics();
  const full = (t: string): string => (internal.has(t) ? `${applicationId}-${t}` : t);
  const userSources = [...new Set(subs.flatMap((s) => s.sourceTopics).filter((t) => !internal.has(t)))];
  const staticSinks = [...new Set(subs.flatMap((s) => s.sinkTopics).filter((t) => !internal.has(t)))];
  const changelogs = [...topology.storeBuilders().values()].filter((b) => b.logging.enabled).map((b) => changelogTopicName(applicationId, b.name));
  const counts = await existingPartitionCounts(admin, [...userSources, ...staticSinks, ...[...internal.keys()].map(full), ...changelogs]);

  const missing = userSources.filter((t) => !counts.has(t));
  if (missing.length > 0) throw topicsError(`source topics ${missing.join(', ')} do not exist; create them before starting the application`);

  // Repartition topic sizes: fixed ones first, then from their writers, until nothing changes.
  const repartitionCount = new Map<string, number>();
  for (const def of internal.values()) if (def.numPartitions !== undefined) repartitionCount.set(def.name, def.numPartitions);
  const sourceCount = (t: string): number | undefined => (internal.has(t) ? repartitionCount.get(t) : counts.get(t));
  for (let changed = true; changed; ) {
    changed = false;
    for (const def of internal.values()) {
      if (repartitionCount.has(def.name)) continue;
      const writers = subs.filter((s) => s.sinkTopics.includes(def.name));
      const sizes = writers.flatMap((w) => w.sourceTopics.map(sourceCount));
      if (writers.length === 0 || sizes.some((n) => n === undefined)) continue;
      repartitionCount.set(def.name, Math.max(...(sizes as number[])));
      changed = true;
    }
  }
  // Joins: the topics of each co-partition group must have one partition count; repartition
  // topics in a group take it (Kafka's CopartitionedTopicsEnforcer).
  for (const group of topology.copartitionGroups()) {
    const userCounts = new Set(group.filter((t) => !internal.has(t)).map((t) => counts.get(t) as number));
    if (userCounts.size > 1) {
      throw topicsError(`topics ${group.join(', ')} are joined but not co-partitioned (partition counts ${group.map((t) => `${t}: ${sourceCount(t) ?? '?'}`).join(', ')}); give them the same number of partitions`);
    }
    const target = userCounts.size === 1 ? [...userCounts][0] : Math.max(...group.map((t) => sourceCount(t) ?? 0));
    for (const t of group.filter((x) => internal.has(x))) {
      const fixed = internal.get(t)?.numPartitions;
      if (fixed !== undefined && fixed !== target) throw topicsError(`repartition topic ${t} has ${fixed} partitions but is joined with topics of ${target}`);
      if (target > 0) repartitionCount.set(t, target);
    }
  }
  const unresolved = [...internal.keys()].filter((t) => !repartitionCount.has(t));
  if (unresolved.length > 0) throw topicsError(`cannot work out the partition count of ${unresolved.join(', ')} (no writer with known source topics)`);

  const tasksPerSubtopology = new Map<number, number>();
  const subtopologyByTopic = new Map<string, number>();
  for (const s of subs) {
    tasksPerSubtopology.set(s.id, Math.max(...s.sourceTopics.map((t) => sourceCount(t) as number)));
    for (const t of s.sourceTopics) subtopologyByTopic.set(full(t), s.id);
  }

  const specs: InternalTopicSpec[] = [];
  for (const [name, partitions] of repartitionCount) specs.push({ name: full(name), partitions, configs: { ...REPARTITION_CONFIGS }, kind: 'repartition' });
  for (const s of subs) {
    for (const store of s.stores) {
      const builder = topology.storeBuilders().get(store);
      if (builder === undefined || !builder.logging.enabled) continue;
      specs.push({
        name: changelogTopicName(applicationId, store),
        partitions: tasksPerSubtopology.get(s.id) as number,
        configs: { ...builder.changelogDefaults, ...builder.logging.topicConfig },
        kind: 'changelog',
      });
    }
  }

  const toCreate: InternalTopicSpec[] = [];
  for (const spec of specs) {
    const existing = counts.get(spec.name);
    if (existing === undefined) toCreate.push(spec);
    else if (existing !== spec.partitions) {
      throw topicsError(`internal topic ${spec.name} has ${existing} partitions but the topology needs ${spec.partitions}; delete it (application reset) or fix the input topics`);
    }
  }
  if (toCreate.length > 0) {
    logger.info('creating internal topics', { topics: toCreate.map((t) => `${t.name} (${t.partitions})`) });
    try {
      await admin.createTopics(toCreate.map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor, configs: t.configs })));
    } catch (err) {
      // Another instance may have created them at the same time: accept them if they now look right.
      const now = await existingPartitionCounts(admin, toCreate.map((t) => t.name));
      const wrong = toCreate.filter((t) => now.get(t.name) !== t.partitions);
      if (wrong.length > 0) throw topicsError(`could not create internal topics ${wrong.map((t) => t.name).join(', ')}`, err);
    }
  }
  for (const spec of specs) counts.set(spec.name, spec.partitions);
  return { tasksPerSubtopology, subtopologyByTopic, partitionCounts: counts, internalTopics: specs };
}
