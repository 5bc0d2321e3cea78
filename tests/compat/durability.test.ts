// Acceptance 5: acknowledged records survive kill -9. A librdkafka producer (confluent-kafka,
// acks=all, one partition, sequential numbered values, flush every 20) runs while the broker
// is killed with SIGKILL and restarted on the same port and data directory, three times.
// Then the partition is read from the beginning and checked:
//
//  1. The consumer reports no errors (no corrupt batch).
//  2. Every acknowledged value is present, at exactly the offset its ack reported.
//  3. Values appear in increasing order of first appearance (max.in.flight=1, so retries
//     cannot reorder), and no value beyond the last one produced appears.
//  4. Duplicates: the producer is not idempotent, so a record the broker wrote but whose ack
//     was lost in the crash is retried and written again. Such duplicates are tolerated, and
//     only those: a duplicated value's acknowledged copy must be its last copy (after an ack
//     librdkafka never resends), and at most flush_every values (the records that can be in
//     flight at once) may be duplicated per kill.
//  5. Nothing failed: with message.timeout.ms = 300 s every record is eventually acknowledged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PythonConsumeResult } from '../support/clients.js';
import { uniqueTopic, unb64 } from '../support/records.js';
import { runPython, startPython } from '../support/run-python.js';
import { needsSamsa, withTarget } from '../support/target.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

const kills = 3;
const flushEvery = 20;
const acksBetweenKills = 150;

interface AckLine {
  n?: number;
  offset?: number;
  error?: string;
  done?: boolean;
  produced?: number;
}

test('acks=all records survive kill -9 and restart, three times', { timeout: 240_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, {}, async (target) => {
    const samsa = target.samsa;
    if (samsa === null) throw new Error('needs Samsa');
    const topic = uniqueTopic('durability');
    await target.createTopic(topic, { partitions: 1 });
    const producer = startPython('confluent_durability_produce', {
      bootstrap: target.bootstrap,
      topic,
      flush_every: flushEvery,
      config: { 'max.in.flight.requests.per.connection': 1 },
    });
    t.after(() => {
      producer.child.kill('SIGKILL');
    });
    const acked = (): AckLine[] => (producer.lines as AckLine[]).filter((l) => l.offset !== undefined);
    try {
      for (let k = 0; k < kills; k++) {
        const goal = acked().length + acksBetweenKills;
        await waitFor(() => acked().length >= goal, { timeoutMs: 60_000, message: `${goal} acknowledged records before kill ${k + 1}` });
        await samsa.kill9();
        await samsa.restart();
      }
      const goal = acked().length + acksBetweenKills;
      await waitFor(() => acked().length >= goal, { timeoutMs: 60_000, message: `${goal} acknowledged records after the last restart` });
      producer.child.stdin.end();
      const code = await withTimeout(producer.exit, 60_000, 'producer exit after stdin EOF');
      assert.equal(code, 0, `producer exit code\n${producer.stderr().slice(-3000)}`);
    } catch (err) {
      process.stderr.write(`--- producer stderr ---\n${producer.stderr().slice(-4000)}\n`);
      throw err;
    }

    const lines = producer.lines as AckLine[];
    const done = lines.find((l) => l.done === true);
    assert.ok(done?.produced !== undefined, 'producer reported its total');
    const produced = done.produced;
    assert.deepEqual(lines.filter((l) => l.error !== undefined), [], 'no record failed (criterion 5)');
    const ackOffset = new Map<number, number>();
    for (const l of acked()) {
      if (l.n === undefined || l.offset === undefined) continue;
      assert.equal(ackOffset.has(l.n), false, `value ${l.n} acknowledged twice`);
      ackOffset.set(l.n, l.offset);
    }
    assert.equal(ackOffset.size, produced, 'every produced value acknowledged');

    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, partitions: [0], timeout_s: 60 }, 90_000);
    assert.deepEqual(read.errors, [], 'consumer errors (criterion 1)');
    const valueAt = new Map<number, number>();
    const copies = new Map<number, number[]>();
    const firstAppearance: number[] = [];
    for (const r of read.records) {
      const n = Number(unb64(r.value ?? '').toString());
      assert.ok(Number.isInteger(n) && n >= 1 && n <= produced, `offset ${r.offset}: unexpected value ${String(n)} (criterion 3)`);
      valueAt.set(r.offset, n);
      const c = copies.get(n);
      if (c === undefined) {
        copies.set(n, [r.offset]);
        firstAppearance.push(n);
      } else c.push(r.offset);
    }
    for (const [n, offset] of ackOffset) {
      assert.equal(valueAt.get(offset), n, `acknowledged value ${n} at offset ${offset} (criterion 2)`);
    }
    for (let i = 1; i < firstAppearance.length; i++) {
      assert.ok(firstAppearance[i] > firstAppearance[i - 1], `first appearance order: ${firstAppearance[i - 1]} then ${firstAppearance[i]} (criterion 3)`);
    }
    const duplicated = [...copies].filter(([, offsets]) => offsets.length > 1);
    for (const [n, offsets] of duplicated) {
      assert.equal(ackOffset.get(n), offsets[offsets.length - 1], `duplicated value ${n} (offsets ${offsets.join(',')}): the acknowledged copy is the last (criterion 4)`);
    }
    assert.ok(duplicated.length <= kills * flushEvery, `${duplicated.length} duplicated values, at most ${kills * flushEvery} (criterion 4)`);
    t.diagnostic(`${produced} values produced and acknowledged, ${read.records.length} records read, ${duplicated.length} duplicated by retries`);
  });
});
