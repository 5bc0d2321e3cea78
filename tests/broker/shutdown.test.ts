// Shutdown with requests in flight: a fetch long-polling when the broker stops
// must not read a log after it was closed, and stop() must complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import { FetchApi, ZERO_UUID } from '@samsa/protocol';

const LONGEST_MAX_WAIT_MS = 600;

test('stopping with long polls in flight closes the logs only after they finished', { timeout: 30_000 }, async () => {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  const broker = await startBroker({ logger: pino({ level: 'info' }, sink) });
  const admin = await Admin.connect(broker.bootstrap);
  await admin.createTopics([{ name: 'idle', numPartitions: 3 }]);
  admin.close();
  const conns = await Promise.all([0, 1, 2].map(() => Connection.open('127.0.0.1', broker.port)));
  const polls = conns.map((c, i) =>
    c
      .send(FetchApi, 12, {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        // Staggered waits, so some end by timer while the broker stops and some are woken by it.
        maxWaitMs: (LONGEST_MAX_WAIT_MS / 3) * (i + 1),
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'idle', topicId: ZERO_UUID, partitions: [{ partition: i, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID, highWatermark: 9223372036854775807n }] }],
        forgottenTopicsData: [],
        rackId: '',
      })
      .catch(() => null),
  );
  // A round trip on another connection: by its answer the broker has read the fetches sent before it.
  const probe = await Admin.connect(broker.bootstrap);
  await probe.describeTopics(['idle']);
  probe.close();
  // stop() returns only after every dispatched request settled, so nothing can log after it.
  await broker.stop();
  await Promise.all(polls);
  for (const c of conns) c.close();
  // Observation window, not a synchronisation: a handler left running by a
  // premature log close would read and log once its max wait (600 ms at most) ran out.
  await new Promise((resolve) => setTimeout(resolve, LONGEST_MAX_WAIT_MS + 300));
  const errors = lines.filter((l) => l.level >= 50);
  assert.deepEqual(errors, [], 'no errors logged during or after shutdown');
  assert.ok(lines.some((l) => l.msg === 'shut down cleanly'));
});
