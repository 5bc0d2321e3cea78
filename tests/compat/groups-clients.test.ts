// Consumer groups against librdkafka (confluent-kafka-python) in the cases that need a real
// client's rebalance logic (issue 3). Each member is a python process (group_confluent_tracked.py)
// that logs its rebalance callbacks with wall-clock timestamps, prints each record before it
// commits it synchronously, and reports each confirmed commit.
//
//  1. cooperative-sticky: 3 members join one at a time over 6 partitions under a steady producer.
//     Every rebalance is incremental (a member already in the group never gets all of its
//     partitions revoked when another joins), no partition ever has two owners at once (from
//     the callback logs: B's assign of p comes after A's revoke of p), and every record is read.
//  2. Static membership (eager range/roundrobin, and cooperative-sticky): a member with a
//     group.instance.id is SIGKILLed and restarted with the same id within session.timeout.ms; it
//     gets the same partitions back at the same generation, and the other member sees no
//     revoke/assign and no generation change.
//  3. A dynamic member is SIGKILLed (no LeaveGroup): the two others own all 6 partitions within
//     session.timeout.ms (+ the rejoin, bounded below), every record is read at least once, and a
//     record is read twice only if an earlier read of it had no confirmed commit (which, for the
//     killed member, means: at or after its last confirmed commit of that partition).
//  4. auto.offset.reset=latest for a new group: only records produced after the member got its
//     start positions are read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Partitioners, type Producer } from 'kafkajs';
import { kafkajs, kafkajsProduce } from '../support/kafkajs-driver.js';
import { b64, uniqueTopic, unb64, type WireRecord } from '../support/records.js';
import { startPython, type StreamingPython } from '../support/run-python.js';
import { logOnFailure, startTarget, type Target } from '../support/target.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

interface Line {
  event: 'assigned' | 'revoked' | 'lost' | 'record' | 'committed' | 'status' | 'error' | 'closed';
  t: number;
  partitions?: number[];
  gen?: number | null;
  member?: string | null;
  partition?: number;
  offset?: number;
  value?: string;
  error?: string;
  assignment?: number[] | null;
  positions?: Record<string, number> | null;
  fetch?: Record<string, [string, number]> | null;
}

const ALL6 = [0, 1, 2, 3, 4, 5];
const text = (v: string | null | undefined): string => (v === undefined || v === null ? '<none>' : unb64(v).toString());
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** One librdkafka member in its own python process. */
class Member {
  readonly proc: StreamingPython;
  constructor(
    readonly name: string,
    bootstrap: string,
    topic: string,
    group: string,
    config: Record<string, string | number | boolean> = {},
  ) {
    this.proc = startPython('group_confluent_tracked', { bootstrap, topic, group, name, config });
  }

  get lines(): Line[] {
    return this.proc.lines as Line[];
  }

  /** Partitions owned now, folding incremental (cooperative) or full (eager) callbacks. */
  owned(incremental: boolean): number[] {
    let own = new Set<number>();
    for (const l of this.lines) {
      if (l.event === 'assigned') own = incremental ? new Set([...own, ...(l.partitions ?? [])]) : new Set(l.partitions ?? []);
      else if (l.event === 'revoked' || l.event === 'lost') for (const p of l.partitions ?? []) own.delete(p);
    }
    return sorted([...own]);
  }

  records(): Line[] {
    return this.lines.filter((l) => l.event === 'record');
  }

  errors(): string[] {
    return this.lines.filter((l) => l.event === 'error').map((l) => l.error ?? '');
  }

  rebalanceEvents(sinceT = 0): Line[] {
    return this.lines.filter((l) => (l.event === 'assigned' || l.event === 'revoked' || l.event === 'lost') && l.t >= sinceT);
  }

  /** Asks the driver for a status line and returns it. */
  async status(): Promise<Line> {
    const before = this.lines.length;
    this.proc.child.stdin.write('status\n');
    let found: Line | undefined;
    await waitFor(
      () => {
        found = this.lines.slice(before).find((l) => l.event === 'status');
        return found !== undefined;
      },
      { timeoutMs: 10_000, message: `${this.name} status` },
    );
    return found as Line;
  }

  /** Wall-clock time the close command was sent (Infinity before). */
  closeSentAt = Number.POSITIVE_INFINITY;

  async close(): Promise<void> {
    if (this.proc.child.exitCode !== null) return;
    this.closeSentAt = Date.now();
    this.proc.child.stdin.write('close\n');
    const code = await withTimeout(this.proc.exit, 30_000, `${this.name} exits after close`);
    assert.equal(code, 0, `${this.name} exited with ${code}: ${this.proc.stderr().slice(-2000)}`);
  }

  /** SIGKILL and wait for the process to be gone. */
  async kill9(): Promise<void> {
    if (this.proc.child.exitCode !== null || this.proc.child.signalCode !== null) return;
    this.proc.child.kill('SIGKILL');
    await withTimeout(this.proc.exit, 10_000, `${this.name} exits after SIGKILL`);
  }

  killNow(): void {
    if (this.proc.child.exitCode === null && this.proc.child.signalCode === null) this.proc.child.kill('SIGKILL');
  }
}

/** Produces `<tag>-<i>` round-robin over 6 partitions, one small batch every 100 ms, until stopped. */
class SteadyProducer {
  readonly sent: string[] = [];
  #producer: Producer | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #error: unknown;

  constructor(
    readonly bootstrap: string,
    readonly topic: string,
    readonly tag: string,
  ) {}

  async start(): Promise<void> {
    this.#producer = kafkajs(this.bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.#producer.connect();
    this.#running = true;
    this.#loop = (async () => {
      let i = 0;
      while (this.#running) {
        const batch: string[] = [];
        for (let k = 0; k < 3; k++) batch.push(`${this.tag}-${i++}`);
        try {
          await this.#producer?.send({
            topic: this.topic,
            acks: -1,
            messages: batch.map((v, k) => ({ key: v, value: v, partition: (i - batch.length + k) % 6 })),
          });
          this.sent.push(...batch);
        } catch (err) {
          this.#error = err;
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  /** Stops producing; every record in `sent` was acknowledged (acks=-1). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.#producer?.disconnect();
    if (this.#error !== undefined) throw new Error(`steady producer failed: ${String(this.#error)}`);
  }
}

/** For each partition, the intervals [from, to) each member owned it, checked for overlap. */
function assertSingleOwner(members: Member[], incremental: boolean): void {
  const intervals = new Map<number, Array<{ who: string; from: number; to: number }>>();
  for (const m of members) {
    const since = new Map<number, number>();
    const close = (p: number, t: number): void => {
      const from = since.get(p);
      if (from === undefined) return;
      since.delete(p);
      const list = intervals.get(p) ?? [];
      list.push({ who: m.name, from, to: t });
      intervals.set(p, list);
    };
    for (const l of m.lines) {
      if (l.event === 'assigned') {
        if (!incremental) for (const p of [...since.keys()]) if (!(l.partitions ?? []).includes(p)) close(p, l.t);
        for (const p of l.partitions ?? []) if (!since.has(p)) since.set(p, l.t);
      } else if (l.event === 'revoked' || l.event === 'lost') {
        for (const p of l.partitions ?? []) close(p, l.t);
      }
    }
    for (const p of since.keys()) close(p, Number.POSITIVE_INFINITY);
  }
  for (const [p, list] of intervals) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i];
      assert.ok(
        prev.to <= cur.from,
        `partition ${p}: ${cur.who} was assigned it at ${cur.from} while ${prev.who} owned it (${prev.from}..${prev.to})`,
      );
    }
  }
}

describe('consumer groups with librdkafka rebalances', { timeout: 300_000 }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget({ settings: { 'group.initial.rebalance.delay.ms': 300, 'num.partitions': 1 } });
  });
  after(() => target?.stop());
  const tg = (): Target => {
    if (target === undefined) throw new Error('target did not start');
    return target;
  };

  test('cooperative-sticky: incremental rebalances, never two owners, every record read', { timeout: 120_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const topic = uniqueTopic('grp-coop');
      const group = `g-coop-${topic}`;
      await tg().createTopic(topic, { partitions: 6 });
      const producer = new SteadyProducer(tg().bootstrap, topic, 'coop');
      await producer.start();
      const members: Member[] = [];
      t.after(() => members.forEach((m) => m.killNow()));
      const show = (): string => members.map((m) => `${m.name}=${JSON.stringify(m.owned(true))}`).join(' ');
      const expectCounts = async (counts: number[]): Promise<void> => {
        await waitFor(
          () =>
            members.every((m, i) => m.owned(true).length === counts[i]) &&
            JSON.stringify(sorted(members.flatMap((m) => m.owned(true)))) === JSON.stringify(ALL6),
          { timeoutMs: 45_000, message: `owned partitions ${JSON.stringify(counts)}` },
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}; owned ${show()}`);
        });
      };
      const config = { 'partition.assignment.strategy': 'cooperative-sticky' };
      members.push(new Member('m1', tg().bootstrap, topic, group, config));
      await expectCounts([6]);
      members.push(new Member('m2', tg().bootstrap, topic, group, config));
      await expectCounts([3, 3]);
      members.push(new Member('m3', tg().bootstrap, topic, group, config));
      await expectCounts([2, 2, 2]);
      await producer.stop();

      const expected = new Set(producer.sent);
      const seen = (): Set<string> => new Set(members.flatMap((m) => m.records().map((r) => text(r.value))));
      await waitFor(() => [...expected].every((v) => seen().has(v)), { timeoutMs: 45_000, message: `all ${expected.size} records read` }).catch(
        (err: unknown) => {
          const missing = [...expected].filter((v) => !seen().has(v));
          throw new Error(`${String(err)}; ${missing.length} missing, e.g. ${missing.slice(0, 5).join(',')}`);
        },
      );
      await Promise.all(members.map((m) => m.close()));

      // Incremental: a revoke never takes everything a member owned (eager would revoke all).
      // The revoke that close() causes is not a rebalance and is left out.
      for (const m of members) {
        let own = new Set<number>();
        for (const l of m.lines) {
          if (l.event === 'assigned') own = new Set([...own, ...(l.partitions ?? [])]);
          if (l.event !== 'revoked') continue;
          const revoked = l.partitions ?? [];
          if (l.t < m.closeSentAt && own.size > 0) {
            assert.ok(revoked.length < own.size, `${m.name} had all of ${JSON.stringify([...own])} revoked at once: ${JSON.stringify(revoked)}`);
          }
          for (const p of revoked) own.delete(p);
        }
      }
      assert.ok(members[0].lines.some((l) => l.event === 'revoked' && (l.partitions ?? []).length > 0), 'm1 gave partitions up incrementally');
      assertSingleOwner(members, true);
      // Members keep consuming during a cooperative rebalance, so a per-record commit can meet
      // the rebalance: REBALANCE_IN_PROGRESS (CompletingRebalance) or ILLEGAL_GENERATION (a
      // commit still on the previous generation). Kafka answers the same; no other error is ok.
      const rebalanceCommit = /^commit: .*(REBALANCE_IN_PROGRESS|ILLEGAL_GENERATION)/;
      const errors = members.flatMap((m) => m.errors());
      assert.deepEqual(errors.filter((e) => !rebalanceCommit.test(e)), []);
      t.diagnostic(`${producer.sent.length} records; commits refused by a rebalance: ${errors.length}`);
      assert.ok(producer.sent.length > 0);
      const read = members.flatMap((m) => m.records().map((r) => text(r.value)));
      assert.ok([...expected].every((v) => read.includes(v)), 'no record lost');
    });
  });

  for (const strategy of ['range,roundrobin', 'cooperative-sticky']) {
    test(`static membership (${strategy}): a SIGKILLed member restarted with the same group.instance.id gets its partitions back without a rebalance`, { timeout: 90_000 }, async (t) => {
      await logOnFailure(tg(), t, async () => {
        const topic = uniqueTopic('grp-static');
        const group = `g-static-${topic}`;
        await tg().createTopic(topic, { partitions: 6 });
        const incremental = strategy === 'cooperative-sticky';
        const cfg = (id: string): Record<string, string | number> => ({ 'group.instance.id': id, 'session.timeout.ms': 10_000, 'partition.assignment.strategy': strategy });
        const a = new Member('a', tg().bootstrap, topic, group, cfg('inst-a'));
        const b = new Member('b', tg().bootstrap, topic, group, cfg('inst-b'));
        let a2: Member | undefined;
        t.after(() => [a, b, a2].forEach((m) => m?.killNow()));
        await waitFor(() => a.owned(incremental).length === 3 && b.owned(incremental).length === 3, { timeoutMs: 45_000, message: 'a and b own 3 each' }).catch(
          (err: unknown) => {
            throw new Error(`${String(err)}; a=${JSON.stringify(a.owned(incremental))} b=${JSON.stringify(b.owned(incremental))}`);
          },
        );
        const aParts = a.owned(incremental);
        const bStatus = await b.status();
        const aStatus = await a.status();
        assert.ok(typeof bStatus.gen === 'number' && bStatus.gen > 0, `b knows its generation: ${JSON.stringify(bStatus)}`);
        assert.equal(aStatus.gen, bStatus.gen);
        const killedAt = Date.now();
        await a.kill9();
        a2 = new Member('a2', tg().bootstrap, topic, group, cfg('inst-a'));
        const restarted = a2;
        await waitFor(() => restarted.owned(incremental).length === 3, { timeoutMs: 9_000, message: 'the restarted member owns its partitions again (within the session timeout)' });
        assert.deepEqual(restarted.owned(incremental), aParts, 'the same partitions');
        const a2Status = await restarted.status();
        assert.equal(a2Status.gen, bStatus.gen, 'the restarted member joined the same generation');
        // Keep watching past a heartbeat interval and beyond the old session's expiry.
        await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 11_000 - Date.now())));
        const bAfter = await b.status();
        assert.equal(bAfter.gen, bStatus.gen, 'b saw no new generation');
        assert.deepEqual(b.rebalanceEvents(killedAt), [], 'b saw no revoke or assign');
        assert.deepEqual(restarted.owned(incremental), aParts);
        assert.deepEqual(restarted.rebalanceEvents().map((l) => l.event), ['assigned'], 'the restarted member was assigned once, and nothing was revoked');
        const groupDesc = await describe1(tg().bootstrap, group);
        assert.equal(groupDesc.state, 'Stable');
        assert.deepEqual(groupDesc.members.map((m) => m.groupInstanceId).sort(), ['inst-a', 'inst-b']);
        assert.deepEqual([...a.errors(), ...b.errors(), ...restarted.errors()], []);
        await Promise.all([b.close(), restarted.close()]);
      });
    });
  }

  test('a SIGKILLed dynamic member: the others take over within the session timeout; reads are at-least-once and exactly-once up to confirmed commits', { timeout: 120_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const topic = uniqueTopic('grp-kill');
      const group = `g-kill-${topic}`;
      await tg().createTopic(topic, { partitions: 6 });
      const sessionMs = 6000;
      const members = [1, 2, 3].map((i) => new Member(`k${i}`, tg().bootstrap, topic, group, { 'session.timeout.ms': sessionMs }));
      t.after(() => members.forEach((m) => m.killNow()));
      const show = (): string => members.map((m) => `${m.name}=${JSON.stringify(m.owned(false))}`).join(' ');
      await waitFor(() => members.every((m) => m.owned(false).length === 2), { timeoutMs: 45_000, message: '2 partitions each' }).catch((err: unknown) => {
        throw new Error(`${String(err)}; ${show()}`);
      });
      const producer = new SteadyProducer(tg().bootstrap, topic, 'kill');
      await producer.start();
      const victim = members[2];
      await waitFor(() => victim.lines.some((l) => l.event === 'committed'), { timeoutMs: 20_000, message: 'the victim committed something' });
      const killedAt = Date.now();
      await victim.kill9();
      const survivors = members.slice(0, 2);
      await waitFor(() => survivors.every((m) => m.owned(false).length === 3), { timeoutMs: sessionMs + 15_000, message: 'survivors own 3 each' }).catch(
        (err: unknown) => {
          throw new Error(`${String(err)}; ${show()}`);
        },
      );
      const takeover = Math.max(...survivors.map((m) => m.rebalanceEvents(killedAt).filter((l) => l.event === 'assigned').at(-1)?.t ?? Infinity)) - killedAt;
      // Session expiry (6 s) plus the survivors' rejoin (next heartbeat, 0.5 s) and SyncGroup;
      // 4 s of slack for a loaded machine.
      assert.ok(takeover <= sessionMs + 4000, `takeover took ${takeover} ms`);
      await new Promise((r) => setTimeout(r, 1000));
      await producer.stop();
      const expected = producer.sent;
      const reads = (): Line[] => members.flatMap((m) => m.records());
      await waitFor(() => new Set(reads().map((r) => text(r.value))).size >= new Set(expected).size, { timeoutMs: 45_000, message: 'all records read' }).catch(
        (err: unknown) => {
          const got = new Set(reads().map((r) => text(r.value)));
          throw new Error(`${String(err)}; missing ${expected.filter((v) => !got.has(v)).slice(0, 10).join(',')}`);
        },
      );
      await Promise.all(survivors.map((m) => m.close()));

      // At least once.
      const got = new Set(reads().map((r) => text(r.value)));
      assert.deepEqual(expected.filter((v) => !got.has(v)), [], 'no record lost');
      // Exactly once except after a read without a confirmed commit.
      const confirmed = (m: Member, p: number, offset: number): boolean =>
        m.lines.some((l) => l.event === 'committed' && l.partition === p && (l.offset ?? -1) > offset);
      const firstReader = new Map<string, { m: Member; r: Line }>();
      const dups: string[] = [];
      for (const m of members) {
        for (const r of m.records()) {
          const key = `${r.partition}@${r.offset}`;
          const prev = firstReader.get(key);
          if (prev === undefined || r.t < prev.r.t) {
            if (prev !== undefined) dups.push(key);
            firstReader.set(key, { m, r });
          } else dups.push(key);
        }
      }
      for (const key of dups) {
        const [p, o] = key.split('@').map(Number);
        const readers = members.filter((m) => m.records().some((r) => r.partition === p && r.offset === o));
        const unconfirmed = readers.filter((m) => !confirmed(m, p, o));
        assert.ok(unconfirmed.length >= 1, `${key} was read twice although every read of it had a confirmed commit`);
        for (const m of unconfirmed) {
          if (m !== victim) continue;
          const lastCommit = Math.max(-1, ...m.lines.filter((l) => l.event === 'committed' && l.partition === p).map((l) => l.offset ?? -1));
          assert.ok(o >= lastCommit, `${key}: re-read although the victim committed past it (${lastCommit})`);
        }
      }
      const survivorErrors = survivors.flatMap((m) => m.errors());
      assert.ok(dups.length <= 6 + survivorErrors.length, `at most one uncommitted record per partition is re-read: ${dups.join(' ')}`);
      t.diagnostic(`takeover ${takeover} ms, ${expected.length} records, re-read: ${dups.join(' ') || 'none'}`);
    });
  });

  test('auto.offset.reset=latest: a new group reads only what was produced after it joined', { timeout: 60_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const topic = uniqueTopic('grp-latest');
      const group = `g-latest-${topic}`;
      await tg().createTopic(topic, { partitions: 2 });
      const rec = (tag: string, n: number): WireRecord[] =>
        Array.from({ length: n }, (_, i) => ({ key: b64(`k${i}`), value: b64(`${tag}-${i}`), headers: [], timestamp: null, partition: i % 2 }));
      await kafkajsProduce(tg().bootstrap, topic, rec('old', 20));
      const m = new Member('latest', tg().bootstrap, topic, group, { 'auto.offset.reset': 'latest' });
      t.after(() => m.killNow());
      await waitFor(() => m.owned(false).length === 2, { timeoutMs: 30_000, message: 'assigned both partitions' });
      await waitFor(
        async () => {
          const s = await m.status();
          const fetch = Object.values(s.fetch ?? {});
          return fetch.length === 2 && fetch.every(([state, next]) => state === 'active' && next >= 0);
        },
        { timeoutMs: 20_000, intervalMs: 200, message: 'start positions known' },
      );
      const fresh = rec('new', 10);
      await kafkajsProduce(tg().bootstrap, topic, fresh);
      await waitFor(() => m.records().length >= 10, { timeoutMs: 30_000, message: '10 new records read' });
      await new Promise((r) => setTimeout(r, 500));
      await m.close();
      assert.deepEqual(m.records().map((r) => text(r.value)).sort(), fresh.map((r) => text(r.value)).sort());
      assert.deepEqual(m.errors(), []);
    });
  });
});

async function describe1(bootstrap: string, group: string): Promise<{ state: string; members: Array<{ groupInstanceId: string | null }> }> {
  const { RawConnection, requestFrame } = await import('../support/raw-kafka.js');
  const { DescribeGroupsApi, Reader, Writer } = await import('@samsa/protocol');
  const w = new Writer();
  DescribeGroupsApi.encodeRequest(w, { groups: [group], includeAuthorizedOperations: false } as never, 4);
  const conn = await RawConnection.open(bootstrap);
  try {
    conn.send(requestFrame(DescribeGroupsApi.apiKey, 4, 1, w.toBuffer()));
    const frame = await conn.next(10_000);
    if (frame === 'closed') throw new Error('closed');
    const res = DescribeGroupsApi.decodeResponse(new Reader(frame, 4), 4) as { groups: Array<{ groupState: string; members: Array<{ groupInstanceId: string | null }> }> };
    return { state: res.groups[0].groupState, members: res.groups[0].members };
  } finally {
    conn.destroy();
  }
}
