#!/usr/bin/env node
// One measurement of one client, in a process of its own (started by run.mjs), so every run begins
// with a fresh heap and JIT state and no timers, sockets or native threads left by another library.
//
//   node bench/clients/load.mjs MODE CLIENT --bootstrap HOST:PORT --topic T [options]
//
//   probe    load the driver and print its label (a client that cannot be loaded is skipped)
//
// CLIENT is samsa, kafkajs, platformatic, confluent, raw (the reference), or baseline: our driver
// with the build of the client at --client-entry.
//   single   `await send()` of one record, COUNT times: ops/s and per-send latency
//   batch    `await send()` of BATCH records, COUNT times: records/s
//   fill     our producer writes COUNT records as fast as it can (the consume runs' input; untimed)
//   consume  a group consumer reads the topic from the beginning until COUNT records arrived
//
// Records are 100 B values (--value-bytes), null keys, no headers. The producer modes send
// --warmup sends first (same topic, not timed: connections, metadata, JIT). stdout carries two
// marker lines for run.mjs: `@@start` when the timed part begins (run.mjs samples the broker's
// CPU there) and `@@result {json}` at the end; anything else a library prints is ignored. Every
// wait is bounded by --timeout; on failure the result line carries {"error"}.

import { parseArgs } from 'node:util';

const DRIVERS = ['samsa', 'baseline', 'kafkajs', 'platformatic', 'confluent', 'raw'];

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bootstrap: { type: 'string' },
    topic: { type: 'string' },
    count: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '0' },
    'value-bytes': { type: 'string', default: '100' },
    idempotence: { type: 'string', default: 'default' },
    group: { type: 'string' },
    timeout: { type: 'string', default: '120' },
    'client-entry': { type: 'string' },
  },
});
const [mode, client] = positionals;
const timeoutMs = Number(opt.timeout) * 1000;

function result(obj) {
  process.stdout.write(`@@result ${JSON.stringify(obj)}\n`);
}

function fail(err) {
  result({ error: err instanceof Error ? `${err.message}${err.cause ? ` (cause: ${err.cause.message ?? err.cause})` : ''}` : String(err) });
  process.exit(1);
}

// A hung client must not hang the benchmark: the whole process is bounded.
const deadline = setTimeout(() => fail(new Error(`${mode} ${client}: no result within ${opt.timeout} s`)), timeoutMs);
deadline.unref();

/** Awaits `p`, bounded by `ms`; `what` names the step in the error. */
function bounded(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

/** Closes a client, bounded: a library that does not close in 10 s is abandoned (the process exits anyway). */
async function closeQuietly(c) {
  try {
    await bounded(c.close(), 10_000, 'close');
  } catch (err) {
    process.stderr.write(`load ${client}: close: ${err.message}\n`);
  }
}

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  if (!DRIVERS.includes(client)) throw new Error(`unknown client ${client}; one of ${DRIVERS.join(', ')}`);
  // `baseline` is our driver loading another build of the client (run.mjs --baseline).
  if (client === 'baseline') {
    if (opt['client-entry'] === undefined) throw new Error('baseline needs --client-entry');
    process.env.SAMSA_CLIENT_ENTRY = opt['client-entry'];
  }
  const driver = await import(`./drivers/${client === 'baseline' ? 'samsa' : client}.mjs`);
  if (mode === 'probe') return { label: driver.label };

  const count = Number(opt.count);
  const valueBytes = Number(opt['value-bytes']);
  const value = Buffer.alloc(valueBytes, 'x');
  const { bootstrap, topic } = opt;

  if (mode === 'single' || mode === 'batch') {
    const perSend = mode === 'single' ? 1 : Number(opt.batch);
    const values = Array.from({ length: perSend }, () => value);
    const producer = await bounded(driver.createProducer({ bootstrap, idempotence: opt.idempotence }), 30_000, 'producer connect');
    for (let i = 0; i < Number(opt.warmup); i++) await producer.send(topic, values);
    const latenciesMs = mode === 'single' ? new Float64Array(count) : null;
    process.stdout.write('@@start\n');
    const cpu0 = cpuMicros();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const s = performance.now();
      await producer.send(topic, values);
      if (latenciesMs !== null) latenciesMs[i] = performance.now() - s;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpuUs = cpuMicros() - cpu0;
    await closeQuietly(producer);
    const out = { label: driver.label, idempotent: producer.idempotent, sends: count, records: count * perSend, seconds, clientCpuUs: cpuUs };
    if (latenciesMs !== null) {
      const sorted = Array.from(latenciesMs).sort((a, b) => a - b);
      Object.assign(out, { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) });
    }
    return out;
  }

  if (mode === 'fill') {
    // Our producer, many sends in flight: the fastest way to get COUNT records into the topic.
    const { Kafka, silentLogger } = await import('@samsa/client');
    const producer = new Kafka({ clientId: 'bench-fill', brokers: [bootstrap], logger: silentLogger }).producer();
    await bounded(producer.connect(), 30_000, 'fill producer connect');
    const chunk = Array.from({ length: 1000 }, () => ({ value }));
    const sends = [];
    for (let sent = 0; sent < count; sent += chunk.length) {
      sends.push(producer.send({ topic, messages: sent + chunk.length <= count ? chunk : chunk.slice(0, count - sent) }));
      if (sends.length >= 16) await sends.shift();
    }
    await Promise.all(sends);
    await producer.disconnect();
    return { records: count };
  }

  if (mode === 'consume') {
    let received = 0;
    let firstAt = 0;
    let lastAt = 0;
    let wrongSize = 0;
    let done;
    const finished = new Promise((res) => (done = res));
    const onMessage = (v) => {
      if (v === null || v.length !== valueBytes) wrongSize++;
      received++;
      if (received === 1) firstAt = performance.now();
      if (received === count) {
        lastAt = performance.now();
        done();
      }
    };
    if (driver.createConsumer === undefined) throw new Error(`${client} has no consumer`);
    const consumer = await bounded(driver.createConsumer({ bootstrap, groupId: opt.group }), 30_000, 'consumer connect');
    process.stdout.write('@@start\n');
    const cpu0 = cpuMicros();
    const t0 = performance.now();
    await bounded(consumer.start(opt.topic, onMessage), 30_000, 'consumer start');
    try {
      await bounded(finished, timeoutMs - 15_000, `consuming ${count} records (got ${received})`);
    } catch (err) {
      err.message += ` (received ${received})`;
      throw err;
    }
    const cpuUs = cpuMicros() - cpu0;
    await closeQuietly(consumer);
    if (wrongSize > 0) throw new Error(`${wrongSize} records had a value other than ${valueBytes} bytes`);
    return {
      label: driver.label,
      records: count,
      extra: received - count,
      seconds: (lastAt - t0) / 1000,
      firstRecordMs: firstAt - t0,
      steadySeconds: (lastAt - firstAt) / 1000,
      clientCpuUs: cpuUs,
    };
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  (out) => {
    result(out);
    // Some libraries keep timers or native handles alive after close; the measurement is over.
    process.exit(0);
  },
  (err) => fail(err),
);
