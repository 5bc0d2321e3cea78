// Issue 10 item 1, config audit: broker keys either do what docs/configuration.md says, or
// are refused, or are logged at startup as "accepted, no effect". Samsa only.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { createRequire } from 'node:module';
import { fetchV4Frame } from '../support/hostile-clients.js';
import { kafkajs } from '../support/kafkajs-driver.js';
import { RawConnection } from '../support/raw-kafka.js';
import { uniqueTopic } from '../support/records.js';
import { kcatConsume } from '../support/run-kcat.js';
import { runProcess } from '../support/run-process.js';
import { repoRoot } from '../support/paths.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';

// kafkajs is CommonJS; this enum is not visible to ESM named imports.
const { ConfigResourceTypes } = createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs');
const MiB = 1024 * 1024;
const cliBin = join(repoRoot, 'packages', 'cli', 'bin', 'samsa.mjs');

async function withSamsa<T>(settings: Record<string, string | number>, fn: (samsa: SamsaProcess) => Promise<T>): Promise<T> {
  const samsa = await startSamsa({ settings });
  try {
    return await fn(samsa);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${reason}\n--- samsa log tail ---\n${samsa.logTail()}`, { cause: err });
  } finally {
    await samsa.stop();
  }
}

/** A Fetch v4 request for partitions 0 and 1 of `topic` from offset 0, each and all with `maxBytes`. */
function fetchTwoPartitions(correlationId: number, topic: string, maxBytes: number): Buffer {
  // Built from the one-partition frame: same header and fields, with a second partition appended.
  const one = fetchV4Frame(correlationId, topic, 0, 0n, maxBytes);
  const partitionCountAt = one.length - (4 + 8 + 4) - 4;
  const second = Buffer.alloc(4 + 8 + 4);
  second.writeInt32BE(1, 0);
  second.writeBigInt64BE(0n, 4);
  second.writeInt32BE(maxBytes, 12);
  const frame = Buffer.concat([one, second]);
  frame.writeInt32BE(2, partitionCountAt);
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Record bytes per partition of a Fetch v4 response (one topic). */
function recordBytesByPartition(frame: Buffer): Map<number, number> {
  let at = 4 + 4; // correlation id, throttle time
  const topics = frame.readInt32BE(at);
  at += 4;
  const out = new Map<number, number>();
  for (let t = 0; t < topics; t++) {
    at += 2 + frame.readInt16BE(at);
    const partitions = frame.readInt32BE(at);
    at += 4;
    for (let p = 0; p < partitions; p++) {
      const partition = frame.readInt32BE(at);
      at += 4 + 2 + 8 + 8; // partition, error code, high watermark, last stable offset
      const aborted = frame.readInt32BE(at);
      at += 4 + Math.max(0, aborted) * 16;
      const size = frame.readInt32BE(at);
      at += 4 + Math.max(0, size);
      out.set(partition, Math.max(0, size));
    }
  }
  return out;
}

describe('broker config effects', { timeout: 240_000 }, () => {
  test('fetch.max.bytes bounds what one Fetch returns across partitions; librdkafka still reads everything', { timeout: 120_000 }, async () => {
    const run = async (settings: Record<string, string | number>): Promise<Map<number, number>> =>
      withSamsa(settings, async (samsa) => {
        const topic = uniqueTopic('fetch-max');
        const kafka = kafkajs(samsa.bootstrap, 'fetch-max');
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: String(2 * MiB) }] }] });
        await admin.disconnect();
        const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
        for (let i = 0; i < 6; i++) {
          await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: Buffer.alloc(1_000_000, i), partition: i % 2 }] });
        }
        await producer.disconnect();
        const conn = await RawConnection.open(samsa.bootstrap);
        try {
          conn.send(fetchTwoPartitions(5, topic, 64 * MiB));
          const frame = await conn.next(30_000);
          if (frame === 'closed') throw new Error('the broker closed the connection instead of answering Fetch');
          const sizes = recordBytesByPartition(frame);
          // librdkafka (kcat) keeps consuming to the end whatever the broker's cap.
          const read = await kcatConsume(samsa.bootstrap, topic, { config: { 'fetch.message.max.bytes': 4 * MiB } });
          assert.equal(read.length, 6);
          return sizes;
        } finally {
          conn.destroy();
        }
      });
    // Default fetch.max.bytes (55 MiB): both partitions' 3 MB come back in one response.
    const uncapped = await run({});
    assert.ok((uncapped.get(0) ?? 0) > 0 && (uncapped.get(1) ?? 0) > 0, `default: ${JSON.stringify([...uncapped])}`);
    // fetch.max.bytes=2 MiB: the request's 64 MiB is cut to 2 MiB, so after partition 0 there is
    // no room for partition 1's first 1 MB batch.
    const capped = await run({ 'fetch.max.bytes': 2 * MiB });
    assert.ok((capped.get(0) ?? 0) > 0, `capped: ${JSON.stringify([...capped])}`);
    assert.equal(capped.get(1), 0, `capped: ${JSON.stringify([...capped])}`);
  });

  test('keys without effect are logged at startup; keys a single node cannot honour are refused', { timeout: 60_000 }, async () => {
    await withSamsa({ 'socket.send.buffer.bytes': 65536, 'compression.gzip.level': 5, 'num.io.threads': 4 }, async (samsa) => {
      const logs = samsa.logs();
      for (const key of ['socket.send.buffer.bytes', 'compression.gzip.level', 'num.io.threads']) {
        assert.match(logs, new RegExp(`'${key.replace(/\./g, '\\.')}' is accepted, no effect`), `startup warning for ${key}`);
      }
      // A dynamic update of such a key (kafkajs AlterConfigs on the broker) is logged the same way.
      const admin = kafkajs(samsa.bootstrap, 'alter').admin();
      await admin.connect();
      try {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configEntries: [{ name: 'log.preallocate', value: 'true' }] }],
        });
      } finally {
        await admin.disconnect();
      }
      await waitFor(() => /'log\.preallocate' is accepted, no effect/.test(samsa.logs()), {
        timeoutMs: 10_000,
        message: 'a warning for the dynamic update of log.preallocate',
      });
    });
    for (const [key, value, message] of [
      ['listeners', 'SSL://127.0.0.1:0', /Samsa serves PLAINTEXT listeners only/],
      ['offsets.topic.replication.factor', '3', /single node/],
      ['group.coordinator.rebalance.protocols', 'classic,consumer', /only the classic group protocol/],
      ['queued.max.request.bytes', '0', /-1 \(no bound\) or at least 1/],
    ] as const) {
      // `samsa server` refuses the config before listening: exit status 2 with the reason on stderr.
      const result = await runProcess(process.execPath, [cliBin, 'server', '--set', 'listeners=PLAINTEXT://127.0.0.1:0', '--set', `${key}=${value}`], {
        timeoutMs: 20_000,
      });
      assert.equal(result.code, 2, `${key}=${value}: exit ${String(result.code)}, stderr ${result.stderr.toString()}`);
      assert.match(result.stderr.toString(), message);
    }
  });

  test('socket.listen.backlog.size is the listening socket\'s backlog', { timeout: 60_000 }, async (t) => {
    const probe = await runProcess('ss', ['-V'], { timeoutMs: 5_000 }).catch(() => null);
    if (probe === null || probe.code !== 0) {
      t.skip('ss (iproute2) is not installed');
      return;
    }
    await withSamsa({ 'socket.listen.backlog.size': 37 }, async (samsa) => {
      // For a listening socket, ss shows the backlog in the Send-Q column.
      const { stdout } = await runProcess('ss', ['-Hltn', `sport = :${samsa.port}`], { timeoutMs: 5_000 });
      const columns = stdout.toString().trim().split(/\s+/);
      assert.equal(columns[2], '37', `ss -ltn: ${stdout.toString()}`);
    });
  });
});
