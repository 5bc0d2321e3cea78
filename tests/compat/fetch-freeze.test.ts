// Issue 16: a Fetch with nothing to wait on (no topics, or a topic with no partitions) used to
// re-read in a loop of already-resolved promises until max_wait_ms, freezing the whole broker:
// 40 bytes with max_wait_ms = 2^31-1 froze it for 24 days. Against a broker process: such
// fetches, in pairs, for max waits from 0 to 2^31-1, are answered at once while a new client
// is still answered within 1 s; long polls that do wait cost no CPU and are woken by a
// third-party producer's append. Frames are built by hand (Fetch v4, request header v1).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuTimeMs } from '../support/process-usage.js';
import { apiVersionsWorks, RawConnection, requestFrame } from '../support/raw-kafka.js';
import { kcatProduce } from '../support/run-kcat.js';
import { b64 } from '../support/records.js';
import { startSamsa } from '../support/samsa-process.js';

const FETCH = 1;
const MAX_INT32 = 2 ** 31 - 1;

interface FetchTopic {
  name: string;
  partitions: number[];
}

/** A Fetch v4 body: replica id, max wait, min bytes, max bytes, isolation level, topics. */
function fetchV4(maxWaitMs: number, topics: FetchTopic[], minBytes = 1): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(21);
  head.writeInt32BE(-1, 0);
  head.writeInt32BE(maxWaitMs, 4);
  head.writeInt32BE(minBytes, 8);
  head.writeInt32BE(1 << 20, 12);
  head.writeInt8(0, 16);
  head.writeInt32BE(topics.length, 17);
  parts.push(head);
  for (const t of topics) {
    const name = Buffer.from(t.name);
    const th = Buffer.alloc(2 + name.length + 4);
    th.writeInt16BE(name.length, 0);
    name.copy(th, 2);
    th.writeInt32BE(t.partitions.length, 2 + name.length);
    parts.push(th);
    for (const p of t.partitions) {
      const pb = Buffer.alloc(16);
      pb.writeInt32BE(p, 0);
      pb.writeBigInt64BE(0n, 4);
      pb.writeInt32BE(1 << 20, 12);
      parts.push(pb);
    }
  }
  return Buffer.concat(parts);
}

async function expectResponse(conn: RawConnection, correlationId: number, withinMs: number, what: string): Promise<void> {
  const frame = await conn.next(withinMs).catch((err: Error) => {
    throw new Error(`${what}: ${err.message}`);
  });
  assert.notEqual(frame, 'closed', `${what}: the broker closed the connection`);
  if (frame !== 'closed') assert.equal(frame.readInt32BE(0), correlationId, `${what}: response order`);
}

test('fetches with no partitions are answered at once and never freeze the broker; waiting long polls cost no CPU', { timeout: 120_000 }, async (t) => {
  const samsa = await startSamsa({ settings: { 'num.partitions': 1 } });
  t.after(() => samsa.stop());
  // Creates the topic the long polls read (auto-created on first produce).
  await kcatProduce(samsa.bootstrap, 'freeze', [{ key: null, value: b64(Buffer.from('first')), headers: [], timestamp: null }]);

  const conn = await RawConnection.open(samsa.bootstrap);
  t.after(() => conn.destroy());
  let correlationId = 0;
  for (const maxWaitMs of [0, 1, 100, 1_000, 3_000, 60_000, MAX_INT32]) {
    const noTopics = ++correlationId;
    conn.send(requestFrame(FETCH, 4, noTopics, fetchV4(maxWaitMs, [])));
    const noPartitions = ++correlationId;
    conn.send(requestFrame(FETCH, 4, noPartitions, fetchV4(maxWaitMs, [{ name: 'freeze', partitions: [] }])));
    // A new client is answered within 1 s while the pair is in the broker.
    await apiVersionsWorks(samsa.bootstrap, 1_000).catch((err: Error) => {
      throw new Error(`max_wait_ms=${maxWaitMs}: a new client's ApiVersions was not answered within 1 s: ${err.message}\n${samsa.logTail()}`);
    });
    // Nothing can wake them, so (as in Kafka) they are answered at once, never after their max wait.
    await expectResponse(conn, noTopics, 3_000, `max_wait_ms=${maxWaitMs}, no topics`);
    await expectResponse(conn, noPartitions, 3_000, `max_wait_ms=${maxWaitMs}, a topic with no partitions`);
  }

  // Long polls that really wait: registered on the partition, no CPU while they wait.
  const pid = samsa.pid();
  assert.ok(pid !== undefined);
  const pollers = await Promise.all([0, 1, 2, 3].map(() => RawConnection.open(samsa.bootstrap)));
  t.after(() => {
    for (const p of pollers) p.destroy();
  });
  // Offset 1 is the log end: nothing to read until the next append.
  const pollFrame = (id: number): Buffer => {
    const body = fetchV4(MAX_INT32, [{ name: 'freeze', partitions: [0] }]);
    body.writeBigInt64BE(1n, body.length - 12);
    return requestFrame(FETCH, 4, id, body);
  };
  pollers.forEach((p, i) => p.send(pollFrame(100 + i)));
  conn.send(requestFrame(FETCH, 4, ++correlationId, fetchV4(MAX_INT32, [])));
  await expectResponse(conn, correlationId, 3_000, 'no topics beside waiting long polls');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const cpuBefore = cpuTimeMs(pid);
  const windowStart = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await apiVersionsWorks(samsa.bootstrap, 1_000);
  const cpuUsed = cpuTimeMs(pid) - cpuBefore;
  const windowMs = Date.now() - windowStart;
  // A spinning fetch would use the whole window; an idle broker uses a few per cent.
  assert.ok(cpuUsed < windowMs * 0.3, `broker used ${cpuUsed} ms of CPU in ${windowMs} ms while 4 long polls waited`);
  for (const p of pollers) await assert.rejects(p.next(10), /no response frame/, 'a long poll answered before any append');

  // An append by a third-party producer wakes every long poll.
  await kcatProduce(samsa.bootstrap, 'freeze', [{ key: null, value: b64(Buffer.from('wake')), headers: [], timestamp: null }]);
  for (const [i, p] of pollers.entries()) await expectResponse(p, 100 + i, 10_000, `long poll ${i} after an append`);
});
