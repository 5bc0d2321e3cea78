// `samsa consume` and `samsa perf consume` against an in-process broker: start positions
// (beginning, offset, timestamp, end), one partition, text and JSON output (keys, headers,
// bytes that are not UTF-8), text output as raw bytes (what `samsa produce` wrote from a file
// reads back as the file), a group that resumes where the previous run stopped, and one-line
// errors with exit codes for bad flags, missing topics and unreachable brokers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Kafka, silentLogger, type Message } from '@samsa/client';
import { closedPort, samsa } from '../test-support/run-samsa.js';

async function produce(bootstrap: string, topic: string, messages: Message[]): Promise<void> {
  const producer = new Kafka({ brokers: [bootstrap], logger: silentLogger }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

const lines = (stdout: string): string[] => stdout.split('\n').slice(0, -1);

test('samsa consume: start positions, partitions, text and json output', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];
  const created = await samsa(['topic', 'create', 'orders', '--partitions', '2', ...b]);
  assert.equal(created.code, 0, created.stderr);
  const base = Date.UTC(2024, 0, 1, 12, 0, 0);
  await produce(
    broker.bootstrap,
    'orders',
    Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `order-${i}`, partition: 0, timestamp: base + i * 60_000 })),
  );
  await produce(broker.bootstrap, 'orders', [
    { key: Buffer.from([0xff, 0x00]), value: 'with headers', partition: 1, headers: [{ key: 'h', value: 'v1' }, { key: 'h', value: null }] },
    { key: null, value: null, partition: 1 },
  ]);

  const all = await samsa(['consume', '--topic', 'orders', '--from-beginning', '--max-messages', '12', ...b]);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(lines(all.stdout).sort(), [...Array.from({ length: 10 }, (_, i) => `order-${i}`), 'with headers', 'null'].sort());
  assert.equal(all.stderr, 'Processed a total of 12 messages\n');

  const fromOffset = await samsa(['consume', '-t', 'orders', '-p', '0', '--offset', '7', '-n', '3', ...b]);
  assert.equal(fromOffset.code, 0, fromOffset.stderr);
  assert.deepEqual(lines(fromOffset.stdout), ['order-7', 'order-8', 'order-9']);

  const fromTime = await samsa(['consume', '-t', 'orders', '-p', '0', '--timestamp', new Date(base + 4.5 * 60_000).toISOString(), '-n', '2', ...b]);
  assert.equal(fromTime.code, 0, fromTime.stderr);
  assert.deepEqual(lines(fromTime.stdout), ['order-5', 'order-6']);

  const json = await samsa(['consume', '-t', 'orders', '-p', '1', '--from-beginning', '-n', '2', '--format', 'json', ...b]);
  assert.equal(json.code, 0, json.stderr);
  const [first, second] = lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    { ...first, timestamp: typeof first.timestamp },
    {
      topic: 'orders',
      partition: 1,
      offset: 0,
      timestamp: 'number',
      timestampType: 'CreateTime',
      key: { base64: Buffer.from([0xff, 0x00]).toString('base64') },
      value: 'with headers',
      headers: [
        { key: 'h', value: 'v1' },
        { key: 'h', value: null },
      ],
    },
  );
  assert.equal(second.key, null);
  assert.equal(second.value, null);

  // The default start is the end: the records already there are not printed; --timeout-ms ends the run.
  const tail = await samsa(['consume', '-t', 'orders', '-p', '0', '--timeout-ms', '2000', ...b]);
  assert.equal(tail.code, 0, tail.stderr);
  assert.equal(tail.stdout, '');
  assert.equal(tail.stderr, 'Processed a total of 0 messages\n');
});

test('samsa consume text output is the raw value bytes: what samsa produce read reads back identically', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];
  assert.equal((await samsa(['topic', 'create', 'raw', '--partitions', '1', ...b])).code, 0);
  // Invalid UTF-8, a lone surrogate's encoding, \r, NUL, empty lines, multi-byte UTF-8, and a line of every byte but \n.
  const file = Buffer.concat([
    Buffer.from([0xff, 0xfe, 0x80, 0x0a]),
    Buffer.from('crlf line\r\n'),
    Buffer.from([0xed, 0xa0, 0x80, 0x00, 0x0a]),
    Buffer.from('\n\n'),
    Buffer.from('caf\u00e9 \u{1f600}\n'),
    Buffer.from([...Array(256).keys()].filter((x) => x !== 0x0a)),
    Buffer.from('\n'),
  ]);
  const lineCount = file.filter((x) => x === 0x0a).length;
  const produced = await samsa(['produce', '-t', 'raw', ...b], { input: file });
  assert.equal(produced.code, 0, produced.stderr);
  const back = await samsa(['consume', '-t', 'raw', '--from-beginning', '-n', String(lineCount), ...b]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stderr, `Processed a total of ${lineCount} messages\n`);
  assert.ok(back.stdoutBytes.equals(file), `byte-identical: got ${back.stdoutBytes.toString('hex')}`);

  // A null value is the line "null" (as kafka-console-consumer.sh prints it).
  await produce(broker.bootstrap, 'raw', [{ key: 'k', value: null }]);
  const tombstone = await samsa(['consume', '-t', 'raw', '--offset', String(lineCount), '-n', '1', ...b]);
  assert.equal(tombstone.code, 0, tombstone.stderr);
  assert.equal(tombstone.stdout, 'null\n');
});

test('samsa consume --group: commits what it printed; the next run resumes after it', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];
  assert.equal((await samsa(['topic', 'create', 'events', '--partitions', '1', ...b])).code, 0);
  await produce(broker.bootstrap, 'events', Array.from({ length: 5 }, (_, i) => ({ value: `e${i}` })));
  const firstRun = await samsa(['consume', '-t', 'events', '-g', 'readers', '--from-beginning', '-n', '3', ...b]);
  assert.equal(firstRun.code, 0, firstRun.stderr);
  assert.deepEqual(lines(firstRun.stdout), ['e0', 'e1', 'e2']);
  const described = await samsa(['group', 'describe', 'readers', ...b]);
  assert.match(described.stdout, /events\s+0\s+3\s+5\s+2/, described.stdout);
  const secondRun = await samsa(['consume', '-t', 'events', '-g', 'readers', '-n', '2', ...b]);
  assert.equal(secondRun.code, 0, secondRun.stderr);
  assert.deepEqual(lines(secondRun.stdout), ['e3', 'e4']);
});

test('samsa perf consume reports throughput', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];
  assert.equal((await samsa(['topic', 'create', 'perf', '--partitions', '3', ...b])).code, 0);
  await produce(broker.bootstrap, 'perf', Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(100) })));
  const human = await samsa(['perf', 'consume', '--topic', 'perf', '--messages', '3000', ...b]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^3000 records \(0\.30 MB\) in \d+\.\d\d s: \d+\.\d records\/sec, \d+\.\d\d MB\/sec; first record after \d+ ms\n$/);
  const json = await samsa(['perf', 'consume', '-t', 'perf', '-n', '1000', '-g', 'perf-group', '--json', ...b]);
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as { records: number; bytes: number; recordsPerSec: number };
  assert.equal(r.records, 1000);
  assert.ok(r.bytes >= 100 * 1000);
  assert.ok(r.recordsPerSec > 0);
  const short = await samsa(['perf', 'consume', '-t', 'perf', '-n', '5000', '--timeout-ms', '1000', ...b]);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /^samsa: only 3000 of 5000 records arrived/);
});

// About 20 CLI processes one after another: each start alone takes seconds on a busy 2-core machine.
test('samsa consume: bad flags, missing topics and unreachable brokers are one line with the fix', { timeout: 180_000 }, async (t) => {
  const port = await closedPort();
  const b = ['--bootstrap-server', `127.0.0.1:${port}`];
  const usage: Array<[string[], RegExp]> = [
    [['consume', ...b], /^consume needs --topic/],
    [['consume', 'orders', ...b], /^consume takes no arguments, got 'orders' \(name the topic with --topic orders\)$/],
    [['consume', '-t', 'x', '--from-beginning', '--offset', '3', ...b], /^give one start position, not --from-beginning and --offset$/],
    [['consume', '-t', 'x', '--offset', 'three', ...b], /^--offset expects a whole number >= 0, got 'three'$/],
    [['consume', '-t', 'x', '--timestamp', 'yesterday', ...b], /^--timestamp expects an ISO-8601 time/],
    [['consume', '-t', 'x', '-g', 'g', '-p', '0', ...b], /^--partition reads partitions directly and cannot be combined with --group/],
    [['consume', '-t', 'x', '-g', 'g', '--offset', '1', ...b], /^--offset cannot be combined with --group.*samsa group reset-offsets/],
    [['consume', '-t', 'x', '--format', 'xml', ...b], /^--format expects text or json, got 'xml'$/],
    [['consume', '-t', 'x', '--max-messages', '0', ...b], /^--max-messages expects a whole number >= 1, got '0'$/],
    [['consume', '-t', 'x', '--bogus', ...b], /^Unknown option '--bogus'\. Run 'samsa consume --help'\.$/],
    [['perf', 'consume', '-t', 'x', ...b], /^perf consume needs --messages N/],
    [['perf', 'consume', '-n', '5', ...b], /^perf consume needs --topic T/],
  ];
  for (const [args, message] of usage) {
    const r = await samsa(args);
    const what = `samsa ${args.join(' ')}: ${JSON.stringify(r.stderr)}`;
    assert.equal(r.code, 2, what);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${what}`);
    assert.match(r.stderr.slice('samsa: '.length, -1), message, what);
  }
  for (const command of [['consume', '-t', 'orders'], ['perf', 'consume', '-t', 'orders', '-n', '10']]) {
    const refused = await samsa([...command, ...b]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stderr.split('\n').length, 2);
    assert.match(refused.stderr, new RegExp(`^samsa: cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED\\. Is a broker running there\\?`));
  }
  const broker = await startBroker();
  t.after(() => broker.stop());
  const missing = await samsa(['consume', '-t', 'nope', '-b', broker.bootstrap]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "samsa: topic 'nope' does not exist. Create it with 'samsa topic create nope' or check the name with 'samsa topic list'\n");
  assert.equal((await samsa(['topic', 'create', 'two', '--partitions', '2', '-b', broker.bootstrap])).code, 0);
  const badPartition = await samsa(['consume', '-t', 'two', '-p', '5', '-b', broker.bootstrap]);
  assert.equal(badPartition.code, 2);
  assert.equal(badPartition.stderr, "samsa: topic 'two' has 2 partitions (0-1), not 5\n");
});
