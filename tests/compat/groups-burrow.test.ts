// Burrow (Debian `burrow`, LinkedIn's lag monitor) against Samsa: Burrow's kafka consumer
// module reads __consumer_offsets directly (sarama, every partition from the start) and decodes
// the OffsetCommit and GroupMetadata records itself, and its cluster module asks Samsa for the
// log end offsets. Burrow reporting the group's lag therefore proves that Samsa writes
// __consumer_offsets in Kafka's record format.
//
// Burrow 1.2.1 insists on ZooKeeper (it creates its root path and takes notifier locks there,
// even with only kafka-class modules). There is no ZooKeeper here, so the test runs a tiny
// in-process stand-in that completes the session handshake and answers every create with
// NODEEXISTS (the root path "exists"; the notifier never gets its lock, so it never notifies).
// Nothing of Burrow's Kafka traffic goes through it.
//
// Burrow 1.2.1 (2019) decodes GroupMetadataValue versions 0-2 only; Samsa, like Kafka 2.3+,
// writes v3, so Burrow skips the group-membership records (it then shows no owner/client id).
// The test accepts exactly that complaint and no other.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exited, removeDir, trackChild, trackDir } from '../support/cleanup.js';
import { kafkajsProduce } from '../support/kafkajs-driver.js';
import { freePort } from '../support/ports.js';
import { b64, uniqueTopic } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { logOnFailure, needsSamsa, startTarget, type Target } from '../support/target.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

const BURROW = '/usr/bin/Burrow';

/** A ZooKeeper stand-in: session handshake, NODEEXISTS for create, OK (empty body) for the rest. */
async function fakeZookeeper(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((sock: Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    let buf = Buffer.alloc(0);
    let connected = false;
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4) {
        const len = buf.readInt32BE(0);
        if (buf.length < 4 + len) break;
        const body = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        if (!connected) {
          // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd.
          connected = true;
          const res = Buffer.alloc(4 + 4 + 4 + 8 + 4 + 16);
          res.writeInt32BE(res.length - 4, 0);
          res.writeInt32BE(0, 4);
          res.writeInt32BE(body.readInt32BE(12), 8);
          res.writeBigInt64BE(1n, 12);
          res.writeInt32BE(16, 20);
          sock.write(res);
          continue;
        }
        const xid = body.readInt32BE(0);
        const op = body.readInt32BE(4);
        const res = Buffer.alloc(4 + 16);
        res.writeInt32BE(16, 0);
        res.writeInt32BE(xid, 4);
        res.writeBigInt64BE(1n, 8);
        res.writeInt32BE(op === 1 ? -110 : 0, 16); // create -> NODEEXISTS
        sock.write(res);
        if (op === -11) sock.end(); // close session
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
}

interface BurrowLag {
  error: boolean;
  status?: {
    group: string;
    totallag: number;
    partitions: Array<{ topic: string; partition: number; current_lag: number; end: { offset: number } | null }>;
  };
}

describe('Burrow reads Samsa\'s __consumer_offsets', { timeout: 120_000 }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
  });
  after(() => target?.stop());

  test('Burrow reports the committed offsets and the lag of a consumer group', { timeout: 90_000 }, async (t) => {
    if (!needsSamsa(t)) return;
    if (!existsSync(BURROW)) {
      t.skip(`${BURROW} is not installed (scripts/install-test-deps.sh installs the Debian package burrow)`);
      return;
    }
    const tg = target;
    assert.ok(tg !== undefined);
    await logOnFailure(tg, t, async () => {
      const topic = uniqueTopic('grp-burrow');
      const group = `g-burrow-${topic}`;
      await tg.createTopic(topic, { partitions: 2 });
      await kafkajsProduce(
        tg.bootstrap,
        topic,
        Array.from({ length: 20 }, (_, i) => ({ key: b64(`k${i}`), value: b64(`v${i}`), headers: [], timestamp: null, partition: i % 2 })),
      );
      // A real group (JoinGroup/SyncGroup: GroupMetadata records) reads 7 records and commits.
      const r = await runPython<{ errors: string[]; committed: Array<[number, number]> }>(
        'group_confluent_consume',
        { bootstrap: tg.bootstrap, topic, group, count: 7, timeout_s: 40 },
        60_000,
      );
      assert.deepEqual(r.errors, []);
      assert.ok(r.committed.length > 0);
      // A simple consumer (generation -1) commits partition 1 to offset 3 as well, in another group.
      const simpleGroup = `${group}-simple`;
      const expected = new Map(r.committed.map(([p, o]) => [p, 10 - o]));
      const expectedLag = [...expected.values()].reduce((a, b) => a + b, 0);

      const zkPort = await freePort();
      const zk = await fakeZookeeper(zkPort);
      t.after(() => zk.close());
      const httpPort = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'samsa-burrow-'));
      trackDir(dir);
      t.after(() => removeDir(dir));
      writeFileSync(
        join(dir, 'burrow.toml'),
        `[general]
pidfile="${join(dir, 'burrow.pid')}"

[logging]
level="info"

[zookeeper]
servers=["127.0.0.1:${zkPort}"]
timeout=6
root-path="/burrow"

[client-profile.samsa]
client-id="burrow"
kafka-version="2.1.0"

[cluster.samsa]
class-name="kafka"
servers=["${tg.bootstrap}"]
client-profile="samsa"
topic-refresh=5
offset-refresh=2

[consumer.samsa]
class-name="kafka"
cluster="samsa"
servers=["${tg.bootstrap}"]
client-profile="samsa"
offsets-topic="__consumer_offsets"
start-latest=false

[httpserver.default]
address="127.0.0.1:${httpPort}"

[storage.default]
class-name="inmemory"
workers=4
intervals=10
min-distance=1
`,
      );
      const burrow = spawn(BURROW, ['-config-dir', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      trackChild(burrow);
      let log = '';
      const keep = (c: Buffer): void => {
        // The notifier retries its (never granted) ZooKeeper lock every 100 ms: not interesting.
        log += c
          .toString()
          .split('\n')
          .filter((l) => !l.includes('failed to get zk lock'))
          .join('\n');
        if (log.length > 200_000) log = log.slice(-100_000);
      };
      burrow.stdout.on('data', keep);
      burrow.stderr.on('data', keep);
      t.after(async () => {
        if (burrow.exitCode === null && burrow.signalCode === null) burrow.kill('SIGTERM');
        await withTimeout(exited(burrow), 10_000, 'Burrow exits').catch(() => burrow.kill('SIGKILL'));
      });

      // The simple commit goes in after Burrow started: it also follows new records.
      const { OffsetCommitApi } = await import('@samsa/protocol');
      const { RawConnection, requestFrame } = await import('../support/raw-kafka.js');
      const { Writer } = await import('@samsa/protocol');
      const w = new Writer();
      OffsetCommitApi.encodeRequest(
        w,
        {
          groupId: simpleGroup,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [{ name: topic, topicId: '', partitions: [{ partitionIndex: 1, committedOffset: 3, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: 'burrow' }] }],
        } as never,
        2,
      );
      const conn = await RawConnection.open(tg.bootstrap);
      try {
        conn.send(requestFrame(OffsetCommitApi.apiKey, 2, 1, w.toBuffer()));
        assert.notEqual(await conn.next(10_000), 'closed');
      } finally {
        conn.destroy();
      }

      const lagOf = async (g: string): Promise<BurrowLag> => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/v3/kafka/samsa/consumer/${encodeURIComponent(g)}/lag`);
        return (await res.json()) as BurrowLag;
      };
      let last: unknown;
      const reports = async (g: string, lag: number, partitions: number): Promise<boolean> => {
        if (burrow.exitCode !== null) throw new Error(`Burrow exited (${burrow.exitCode}): ${log.slice(-3000)}`);
        const body = await lagOf(g);
        last = body;
        // Burrow lists every partition of the topic; those without a commit have no start/end.
        const committed = (body.status?.partitions ?? []).filter((p) => p.end !== null);
        return !body.error && body.status?.totallag === lag && committed.length === partitions && committed.every((p) => p.topic === topic);
      };
      await waitFor(() => reports(group, expectedLag, expected.size), { timeoutMs: 45_000, intervalMs: 500, message: `Burrow reports ${group} with lag ${expectedLag}` }).catch(
        (err: unknown) => {
          throw new Error(`${String(err)}; last answer ${JSON.stringify(last)}\n--- Burrow log ---\n${log.slice(-3000)}`);
        },
      );
      const body = await lagOf(group);
      for (const p of (body.status?.partitions ?? []).filter((x) => x.end !== null)) assert.equal(p.current_lag, expected.get(p.partition), `lag of partition ${p.partition}`);
      await waitFor(() => reports(simpleGroup, 7, 1), { timeoutMs: 20_000, intervalMs: 500, message: 'Burrow reports the simple group with lag 7' }).catch((err: unknown) => {
        throw new Error(`${String(err)}; last answer ${JSON.stringify(last)}`);
      });
      // Burrow 1.2.1 decodes GroupMetadataValue v0-v2 only; v3 (group.instance.id, Kafka 2.3+
      // writes it too) is logged as "failed to decode ... value version 3" and only costs the
      // owner/client-id columns. Every other record (OffsetCommit keys and values v3) decoded.
      const complaints = log
        .split('\n')
        .filter((l) => /decode|unknown (key|value) version|malformed/i.test(l))
        .filter((l) => !(l.includes('"message_type":"metadata"') && l.includes('"reason":"value version","version":3')));
      assert.deepEqual(complaints, [], 'Burrow decoded every __consumer_offsets record but GroupMetadataValue v3');
      t.diagnostic(`Burrow: ${group} lag ${expectedLag} (${JSON.stringify(r.committed)} committed of 10 per partition), ${simpleGroup} lag 7`);
    });
  });
});
