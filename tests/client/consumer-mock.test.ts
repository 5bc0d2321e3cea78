// Our consumer against librdkafka's mock cluster (3 brokers, hosted by kcat): a group
// coordinator and partition leaders that are not ours, leaders spread over three brokers.
// Plain produce/consume in every delivery mode, three member processes with one SIGKILLed,
// a cooperative group growing under load, and a handler slower than the session timeout.
import { after, before, describe, test } from 'node:test';
import { Connection, parseHostPort } from '@samsa/client';
import { MetadataApi, ZERO_UUID } from '@samsa/protocol';
import { startMockCluster, type MockCluster } from '../support/mock-cluster.js';
import { waitFor } from '../support/wait-for.js';
import { cooperativeScenario, memberLossScenario, produceConsumeScenario, slowHandlerScenario, type ScenarioTarget } from './consumer-scenarios.js';

/** Asks the mock for the topic's metadata until it auto-created it (4 partitions in librdkafka 2.0.2); returns the count. */
async function autoCreate(bootstrap: string, topic: string): Promise<number> {
  const { host, port } = parseHostPort(bootstrap);
  const conn = await Connection.open(host, port, { timeoutMs: 10_000 });
  let partitions = 0;
  try {
    await waitFor(
      async () => {
        const res = await conn.request(MetadataApi, {
          topics: [{ name: topic, topicId: ZERO_UUID }],
          allowAutoTopicCreation: true,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        });
        const t = res.topics.find((x) => x.name === topic);
        partitions = t !== undefined && t.errorCode === 0 ? t.partitions.filter((p) => p.leaderId >= 0).length : 0;
        return partitions > 0;
      },
      { timeoutMs: 15_000, message: `the mock created ${topic}` },
    );
  } finally {
    conn.close();
  }
  return partitions;
}

describe('consumer against the librdkafka mock cluster', { timeout: 600_000 }, () => {
  let mock: MockCluster | undefined;
  before(async () => {
    mock = await startMockCluster(3);
  });
  after(() => mock?.stop());
  const target: ScenarioTarget = {
    bootstrap: () => {
      if (mock === undefined) throw new Error('mock did not start');
      return mock.bootstrap;
    },
    // The mock has no CreateTopics: topics appear on first use with its default partition count.
    createTopic: (name) => autoCreate(target.bootstrap(), name),
    logTail: () => mock?.logTail() ?? '',
  };

  test('records read back identically through eachMessage, eachBatch and the iterator', { timeout: 120_000 }, (t) => produceConsumeScenario(t, target));

  test('3 members (cooperative-sticky), one SIGKILLed: the others take its partitions, every record is read', { timeout: 180_000 }, (t) =>
    memberLossScenario(t, target, ['cooperative-sticky']),
  );

  test('cooperative-sticky: members join one by one under load; only moved partitions stop; never two owners', { timeout: 180_000 }, (t) => cooperativeScenario(t, target));

  test('a handler slower than the session timeout keeps its membership', { timeout: 120_000 }, (t) => slowHandlerScenario(t, target));
});
