// Issue 10 item 1: the broker's network layer stays bounded under hostile clients.
// Slow readers (pipelined large fetches, never read), a connection flood past
// max.connections, per-IP limits with overrides, idle connections, and the
// broker-wide queued.max.request.bytes bound. Samsa only: the limits are broker configs.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { Partitioners } from 'kafkajs';
import {
  fetchAndRead,
  fetchV4Frame,
  openSlowReader,
  openSocket,
  probeConnection,
  RssSampler,
  secondLoopbackWorks,
  vmRssMiB,
} from '../support/hostile-clients.js';
import { kafkajs } from '../support/kafkajs-driver.js';
import { apiVersionsWorks, requestFrame } from '../support/raw-kafka.js';
import { uniqueTopic } from '../support/records.js';
import { kcatConsume, runKcat } from '../support/run-kcat.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

const MiB = 1024 * 1024;

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

/** Produces `count` records of `valueBytes` each, one batch per record, with kafkajs. */
async function fillTopic(bootstrap: string, topic: string, count: number, valueBytes: number): Promise<void> {
  const kafka = kafkajs(bootstrap, 'fill');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(2 * MiB) }] }] });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < count; i++) {
      await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: Buffer.alloc(valueBytes, i % 251), partition: 0 }] });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Waits until the process's RSS has not risen for `quietMs` (the broker has done what it will do). */
async function rssSettled(pid: number, quietMs: number, timeoutMs: number): Promise<void> {
  let peak = vmRssMiB(pid);
  let since = Date.now();
  await waitFor(
    () => {
      const now = vmRssMiB(pid);
      if (now > peak + 2) {
        peak = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    { timeoutMs, intervalMs: 100, message: `broker RSS to stop rising for ${quietMs} ms` },
  );
}

function closeAll(sockets: Socket[]): void {
  for (const s of sockets) s.destroy();
}

describe('network bounds', { timeout: 300_000 }, () => {
  test('slow readers: pipelined 40 MiB fetches that are never read keep RSS bounded; others are served', { timeout: 150_000 }, async () => {
    await withSamsa({}, async (samsa) => {
      const topic = uniqueTopic('slow-readers');
      const records = 40;
      const recordBytes = 1_000_000;
      await fillTopic(samsa.bootstrap, topic, records, recordBytes);
      const responseMiB = (records * recordBytes) / MiB;
      const baseline = vmRssMiB(samsa.pid());
      const sampler = new RssSampler(samsa.pid());
      // Four connections, 100 pipelined fetches of the whole topic each: 4 × 100 × 38 MiB
      // (15 GiB) if every response were built. The broker holds about one per connection.
      const connections = 4;
      const fetchesEach = 100;
      const readers: Socket[] = [];
      try {
        for (let c = 0; c < connections; c++) {
          const frames = Array.from({ length: fetchesEach }, (_, i) => fetchV4Frame(c * 1000 + i, topic, 0, 0n, 64 * MiB));
          readers.push(await openSlowReader(samsa.bootstrap, frames));
        }
        await rssSettled(samsa.pid(), 1_500, 30_000);
        // A new client is still answered within seconds: a raw ApiVersions and kcat -L (librdkafka).
        await apiVersionsWorks(samsa.bootstrap, 5_000);
        const { stdout } = await runKcat(['-L', '-J', '-b', samsa.bootstrap, '-t', topic, '-m', '10'], { timeoutMs: 10_000 });
        assert.match(stdout.toString(), new RegExp(`"topic":"${topic}"`));
        const peak = sampler.stop();
        // Stated bound: each slow reader holds about one fetch response (the one in its
        // socket's buffer); allow three per connection plus 256 MiB for allocator and GC slack.
        const bound = baseline + connections * 3 * responseMiB + 256;
        assert.ok(
          peak <= bound,
          `peak RSS ${peak.toFixed(0)} MiB exceeds the bound ${bound.toFixed(0)} MiB (baseline ${baseline.toFixed(0)} MiB, response ${responseMiB.toFixed(0)} MiB)`,
        );
      } finally {
        sampler.stop();
        closeAll(readers);
      }
      // Once they close, their responses are garbage: RSS comes back near the baseline as the
      // broker goes on serving. Node frees Buffers at a garbage collection, which allocation
      // triggers, so the broker keeps serving a well-behaved reader of the whole topic meanwhile
      // (its own response, 38 MiB, is inside the margin).
      await waitFor(
        async () => {
          assert.ok((await fetchAndRead(samsa.bootstrap, topic, 64 * MiB)) > records * recordBytes);
          return vmRssMiB(samsa.pid()) <= baseline + 128;
        },
        { timeoutMs: 60_000, intervalMs: 250, message: `broker RSS back within 128 MiB of its baseline ${baseline.toFixed(0)} MiB` },
      );
    });
  });

  test('a connection flood beyond max.connections is refused while a connected kafkajs producer keeps working', { timeout: 90_000 }, async () => {
    const maxConnections = 12;
    await withSamsa({ 'max.connections': maxConnections }, async (samsa) => {
      const topic = uniqueTopic('flood');
      const producer = kafkajs(samsa.bootstrap, 'flood-producer').producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
      });
      await producer.connect();
      const flood: Socket[] = [];
      try {
        // Establishes every connection the producer uses (bootstrap and broker 0).
        await producer.send({ topic, acks: -1, messages: [{ key: 'before', value: 'before' }] });
        const outcomes = await Promise.all(Array.from({ length: 30 }, () => probeConnection(samsa.bootstrap)));
        for (const o of outcomes) flood.push(o.socket);
        const answered = outcomes.filter((o) => o.outcome === 'answered').length;
        const closed = outcomes.filter((o) => o.outcome === 'closed').length;
        assert.ok(answered >= 1 && answered <= maxConnections - 1, `answered ${answered} of 30 (max.connections=${maxConnections})`);
        assert.equal(answered + closed, 30);
        // The producer's own connections were there first and keep working.
        for (let i = 0; i < 5; i++) await producer.send({ topic, acks: -1, messages: [{ key: `during-${i}`, value: `during-${i}` }] });
        // The broker's log reaches us through a pipe, possibly after the answers.
        await waitFor(() => /refused a connection over max\.connections/.test(samsa.logs()), {
          timeoutMs: 10_000,
          message: 'the broker to log a refusal over max.connections',
        });
      } finally {
        closeAll(flood);
        await producer.disconnect();
      }
      // With the flood gone, a new client (kcat) connects and reads everything.
      const read = await kcatConsume(samsa.bootstrap, topic);
      assert.deepEqual(
        read.map((r) => Buffer.from(r.value ?? '', 'base64').toString()),
        ['before', 'during-0', 'during-1', 'during-2', 'during-3', 'during-4'],
      );
    });
  });

  test('max.connections.per.ip with an override: each source address gets its own limit', { timeout: 60_000 }, async (t) => {
    await withSamsa({ 'max.connections.per.ip': 3, 'max.connections.per.ip.overrides': '127.0.0.2:5' }, async (samsa) => {
      if (!(await secondLoopbackWorks(samsa.bootstrap))) {
        t.skip('this machine cannot connect from 127.0.0.2');
        return;
      }
      const held: Socket[] = [];
      try {
        const outcomesOf = async (localAddress: string, n: number): Promise<string[]> => {
          const out: string[] = [];
          // One at a time, so which ones are refused is deterministic.
          for (let i = 0; i < n; i++) {
            const probe = await probeConnection(samsa.bootstrap, { localAddress });
            held.push(probe.socket);
            out.push(probe.outcome);
          }
          return out;
        };
        assert.deepEqual(await outcomesOf('127.0.0.1', 5), ['answered', 'answered', 'answered', 'closed', 'closed']);
        assert.deepEqual(await outcomesOf('127.0.0.2', 7), ['answered', 'answered', 'answered', 'answered', 'answered', 'closed', 'closed']);
        await waitFor(() => /refused a connection over max\.connections\.per\.ip/.test(samsa.logs()), {
          timeoutMs: 10_000,
          message: 'the broker to log a refusal over max.connections.per.ip',
        });
        // Closing one connection frees its address's slot.
        held[0].destroy();
        await waitFor(async () => (await probeConnection(samsa.bootstrap, { localAddress: '127.0.0.1' }).then((p) => (held.push(p.socket), p.outcome))) === 'answered', {
          timeoutMs: 10_000,
          intervalMs: 100,
          message: 'a 127.0.0.1 connection accepted after one of its three closed',
        });
      } finally {
        closeAll(held);
      }
    });
  });

  test('connections.max.idle.ms closes idle connections and keeps busy ones', { timeout: 60_000 }, async () => {
    await withSamsa({ 'connections.max.idle.ms': 1500 }, async (samsa) => {
      const idle = await probeConnection(samsa.bootstrap);
      const busy = await probeConnection(samsa.bootstrap);
      assert.equal(idle.outcome, 'answered');
      assert.equal(busy.outcome, 'answered');
      let busyClosed = false;
      busy.socket.once('close', () => (busyClosed = true));
      let idleClosed = false;
      idle.socket.once('close', () => (idleClosed = true));
      assert.equal(idleClosed, false, 'the idle connection is open right after its answer');
      busy.socket.on('data', () => undefined);
      const ticker = setInterval(() => busy.socket.write(requestFrame(18, 0, 9)), 300);
      try {
        await waitFor(() => idleClosed, { timeoutMs: 15_000, message: 'the broker to close the idle connection' });
        // The busy connection, active every 300 ms, outlives the idle one by the idle timeout.
        const start = Date.now();
        await waitFor(() => Date.now() - start >= 2000, { timeoutMs: 5_000, message: 'two more seconds' });
        assert.equal(busyClosed, false, 'a connection with traffic every 300 ms stays open');
      } finally {
        clearInterval(ticker);
        idle.socket.destroy();
        busy.socket.destroy();
      }
    });
  });

  /** JoinGroup v0 for a new group with `metadataBytes` of member metadata (held until the initial rebalance delay ends). */
  function bigJoinGroup(correlationId: number, group: string, metadataBytes: number): Buffer {
    const str = (s: string): Buffer => {
      const b = Buffer.alloc(2 + Buffer.byteLength(s));
      b.writeInt16BE(Buffer.byteLength(s), 0);
      b.write(s, 2);
      return b;
    };
    const int32 = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n, 0);
      return b;
    };
    const body = Buffer.concat([
      str(group),
      int32(10_000), // session timeout
      str(''), // member id: new member
      str('consumer'),
      int32(1),
      str('range'),
      int32(metadataBytes),
      Buffer.alloc(metadataBytes, 7),
    ]);
    return requestFrame(11, 0, correlationId, body, { clientId: 'big-join' });
  }

  /** Two big JoinGroups held by the broker, then an ApiVersions on a third connection: the order of the answers. */
  async function answerOrder(bootstrap: string): Promise<string[]> {
    const order: string[] = [];
    const sockets: Socket[] = [];
    const answered = (socket: Socket, label: string): Promise<void> =>
      new Promise<void>((resolve) => {
        let got = 0;
        socket.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got >= 8) {
            if (!order.includes(label)) order.push(label);
            resolve();
          }
        });
        socket.once('close', () => {
          if (!order.includes(label)) order.push(`${label} closed`);
          resolve();
        });
      });
    try {
      const waits: Array<Promise<void>> = [];
      for (const [i, group] of ['big-a', 'big-b'].entries()) {
        const s = await openSocket(bootstrap);
        sockets.push(s);
        waits.push(answered(s, `join-${group}`));
        s.write(bigJoinGroup(100 + i, `${group}-${Date.now()}`, 700 * 1024));
      }
      // Both joins are with the broker once each connection's bytes are all sent; the
      // broker cannot answer them before group.initial.rebalance.delay.ms.
      await waitFor(() => sockets.every((s) => s.writableLength === 0), { timeoutMs: 5_000, message: 'join requests sent' });
      const sentAt = Date.now();
      // A second (the joins are held for 4 s) for the broker to read both, even on a loaded machine.
      await waitFor(() => Date.now() - sentAt >= 1_000, { timeoutMs: 3_000, message: 'a moment for the broker to read them' });
      const third = await openSocket(bootstrap);
      sockets.push(third);
      waits.push(answered(third, 'api-versions'));
      third.write(requestFrame(18, 0, 300));
      await withTimeout(Promise.all(waits), 30_000, 'all three answers');
      return order;
    } finally {
      closeAll(sockets);
    }
  }

  test('queued.max.request.bytes: over the bound the broker stops reading until held requests finish', { timeout: 90_000 }, async () => {
    const delay = { 'group.initial.rebalance.delay.ms': 4000 };
    // Default bound (512 MiB): 1.4 MiB of held JoinGroups do not stop anything.
    const unbounded = await withSamsa(delay, (samsa) => answerOrder(samsa.bootstrap));
    assert.equal(unbounded[0], 'api-versions', `answer order ${unbounded.join(', ')}`);
    // 1 MiB: the second join takes the broker over it; the third connection is not read
    // until the first join is answered.
    const bounded = await withSamsa({ ...delay, 'queued.max.request.bytes': MiB }, (samsa) => answerOrder(samsa.bootstrap));
    assert.notEqual(bounded[0], 'api-versions', `answer order ${bounded.join(', ')}`);
    assert.ok(bounded.includes('api-versions'), `answer order ${bounded.join(', ')}`);
  });
});
