// The broker under fuzz: a real `samsa server` process with a fresh data directory, a few
// topics (some with records, one compacted) and two transactional ids, so fuzzed requests
// that name them reach the produce, fetch, offset, config and transaction code.
import { CreateTopicsApi, ErrorCode, InitProducerIdApi, ProduceApi } from '@samsa/protocol';
import { apiVersionsWorks } from '../raw-kafka.js';
import { startSamsa, type SamsaProcess } from '../samsa-process.js';
import type { ServedApi } from './frame-generator.js';
import type { FuzzVocabulary } from './field-values.js';
import { RequestClient } from './request-client.js';
import { createTopicsRequest, initProducerIdRequest, produceRequest } from './well-formed-requests.js';

/** The topic only the watchdog uses; fuzzed frames never name it, so its probes stay meaningful. */
export const WATCHDOG_TOPIC = 'live-fuzz-watchdog';

const FUZZ_TOPICS = [
  { name: 'fuzz-a', partitions: 1, records: 20 },
  { name: 'fuzz-b', partitions: 4, records: 10 },
  { name: 'fuzz-compacted', partitions: 2, records: 10, configs: { 'cleanup.policy': 'compact' } },
  { name: 'fuzz-empty', partitions: 2, records: 0 },
  // The topic the golden frames were captured against.
  { name: 'golden-frames', partitions: 1, records: 5 },
];

export const FUZZ_VOCABULARY: FuzzVocabulary = {
  topics: [...FUZZ_TOPICS.map((t) => t.name), 'fuzz-missing'],
  groups: ['fuzz-group-a', 'fuzz-group-b', ''],
  transactionalIds: ['fuzz-txn-a', 'fuzz-txn-b'],
};

const SETUP_TIMEOUT_MS = 30_000;

/** A started broker and the APIs it serves (its ApiVersions answer). */
export interface FuzzTarget {
  samsa: SamsaProcess;
  served: ServedApi[];
}

/** Starts a broker and creates the fuzz topics, their records and transactional ids. */
export async function startFuzzTarget(settings: Record<string, string | number | boolean> = {}): Promise<FuzzTarget> {
  const samsa = await startSamsa({ settings });
  let served: ServedApi[];
  try {
    served = (await apiVersionsWorks(samsa.bootstrap, SETUP_TIMEOUT_MS)).apiKeys;
    const client = await RequestClient.open(samsa.bootstrap, SETUP_TIMEOUT_MS);
    try {
      const created = await client.request(
        CreateTopicsApi,
        5,
        createTopicsRequest([...FUZZ_TOPICS, { name: WATCHDOG_TOPIC, partitions: 1 }]),
        SETUP_TIMEOUT_MS,
      );
      for (const t of created.topics) {
        if (t.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics ${t.name}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
      }
      for (const topic of FUZZ_TOPICS) {
        for (let p = 0; p < topic.partitions && topic.records > 0; p++) {
          const produced = await client.request(ProduceApi, 7, produceRequest(topic.name, p, topic.records, 'seed'), SETUP_TIMEOUT_MS);
          const code = produced.responses[0]?.partitionResponses[0]?.errorCode;
          if (code !== ErrorCode.NONE) throw new Error(`Produce to ${topic.name}-${p}: error ${code}`);
        }
      }
      for (const id of FUZZ_VOCABULARY.transactionalIds) {
        const init = await client.request(InitProducerIdApi, 3, initProducerIdRequest(id), SETUP_TIMEOUT_MS);
        if (init.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId ${id}: error ${init.errorCode}`);
      }
    } finally {
      client.close();
    }
  } catch (err) {
    await samsa.stop();
    throw err;
  }
  return { samsa, served };
}
