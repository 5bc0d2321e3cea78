#!/usr/bin/env node
// Captures golden Kafka frames from real clients: a recording TCP proxy between the clients
// and a broker writes each complete request frame (client → broker) and response frame
// (broker → client), without the 4-byte length prefix, as hex to
//   packages/protocol/test/fixtures/<api-name-kebab>/<client>-v<version>-request.hex
//   packages/protocol/test/fixtures/<api-name-kebab>/<client>-v<version>-response.hex
// The first frame per (client, API, version) wins. Clients driven: librdkafka (kcat, and
// confluent-kafka's AdminClient for CreateTopics), kafkajs, kafka-python (/usr/bin/python3).
//
//   node scripts/capture-golden-frames.mjs                      # librdkafka's mock cluster as target
//   node scripts/capture-golden-frames.mjs --target host:port   # e.g. Samsa
//       [--listen-port N] [--out DIR] [--clients librdkafka,kafkajs,kafka-python]
//
// A broker tells clients where to reconnect in Metadata; only connections to the proxy are
// recorded. With the mock only the bootstrap connections pass through (ApiVersions, Metadata,
// whatever a client sends before switching). To capture everything, run Samsa with
// advertised.listeners pointing at the proxy, e.g.
//   samsa server --set listeners=PLAINTEXT://127.0.0.1:9092 \
//                --set advertised.listeners=PLAINTEXT://127.0.0.1:19092
//   node scripts/capture-golden-frames.mjs --target 127.0.0.1:9092 --listen-port 19092
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(join(root, 'package.json'));

const API_NAMES = [
  'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'LeaderAndIsr', 'StopReplica', 'UpdateMetadata', 'ControlledShutdown',
  'OffsetCommit', 'OffsetFetch', 'FindCoordinator', 'JoinGroup', 'Heartbeat', 'LeaveGroup', 'SyncGroup', 'DescribeGroups',
  'ListGroups', 'SaslHandshake', 'ApiVersions', 'CreateTopics', 'DeleteTopics', 'DeleteRecords', 'InitProducerId',
  'OffsetForLeaderEpoch', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'WriteTxnMarkers', 'TxnOffsetCommit',
  'DescribeAcls', 'CreateAcls', 'DeleteAcls', 'DescribeConfigs', 'AlterConfigs', 'AlterReplicaLogDirs', 'DescribeLogDirs',
  'SaslAuthenticate', 'CreatePartitions', 'CreateDelegationToken', 'RenewDelegationToken', 'ExpireDelegationToken',
  'DescribeDelegationToken', 'DeleteGroups', 'ElectLeaders', 'IncrementalAlterConfigs', 'AlterPartitionReassignments',
  'ListPartitionReassignments', 'OffsetDelete', 'DescribeClientQuotas', 'AlterClientQuotas', 'DescribeUserScramCredentials',
  'AlterUserScramCredentials',
];
const kebab = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const apiDir = (key) => (API_NAMES[key] !== undefined ? kebab(API_NAMES[key]) : `api-${key}`);

function parseArgs(argv) {
  const opts = { target: null, listenPort: 0, out: join(root, 'packages/protocol/test/fixtures'), clients: ['librdkafka', 'kafkajs', 'kafka-python'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') opts.target = argv[++i];
    else if (a === '--listen-port') opts.listenPort = Number(argv[++i]);
    else if (a === '--out') opts.out = argv[++i];
    else if (a === '--clients') opts.clients = argv[++i].split(',');
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

/** Splits a byte stream into length-prefixed frames. */
function framer(onFrame) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0);
      if (size < 0 || buf.length < 4 + size) break;
      onFrame(Buffer.from(buf.subarray(4, 4 + size)));
      buf = buf.subarray(4 + size);
    }
  };
}

function startProxy(target, listenPort, out, state) {
  const [host, port] = target.split(':');
  const written = [];
  const server = createServer((client) => {
    const label = state.client;
    const upstream = connect({ host, port: Number(port) });
    const inflight = new Map(); // correlationId -> { apiKey, version }
    const save = (key, version, kind, frame) => {
      const dir = join(out, apiDir(key));
      const file = join(dir, `${label}-v${version}-${kind}.hex`);
      if (state.seen.has(file)) return;
      state.seen.add(file);
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, `${frame.toString('hex')}\n`);
      written.push(file);
    };
    client.on('data', framer((frame) => {
      if (frame.length < 8) return;
      const apiKey = frame.readInt16BE(0);
      const version = frame.readInt16BE(2);
      inflight.set(frame.readInt32BE(4), { apiKey, version });
      save(apiKey, version, 'request', frame);
    }));
    upstream.on('data', framer((frame) => {
      if (frame.length < 4) return;
      const req = inflight.get(frame.readInt32BE(0));
      if (req === undefined) return;
      inflight.delete(frame.readInt32BE(0));
      // An ApiVersions answer with UNSUPPORTED_VERSION (35) is not in the requested version's
      // layout (Kafka answers in v0; librdkafka 2.0.2's mock in a layout of its own): skip it.
      if (req.apiKey === 18 && frame.length >= 6 && frame.readInt16BE(4) === 35) return;
      save(req.apiKey, req.version, 'response', frame);
    }));
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  return new Promise((resolve) => {
    server.listen(listenPort, '127.0.0.1', () => resolve({ server, port: server.address().port, written }));
  });
}

function run(cmd, args, { input = '', timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) console.error(`  (${cmd} ${args.slice(0, 3).join(' ')}… exited ${code}: ${stderr.trim().split('\n').slice(-2).join(' | ')})`);
      resolve(code);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

async function startMock() {
  const child = spawn('kcat', ['-X', 'test.mock.num.brokers=1', '-b', 'ignored', '-P', '-t', '__mock_idle'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c) => (log += c));
  for (let i = 0; i < 200; i++) {
    const m = /replaced with (127\.0\.0\.1:\d+)/.exec(log);
    if (m) return { bootstrap: m[1], stop: () => child.kill('SIGTERM') };
    await delay(25);
  }
  child.kill('SIGKILL');
  throw new Error(`mock did not start: ${log}`);
}

const python = '/usr/bin/python3';
const clientsDir = join(root, 'tests/clients');
const topic = 'golden-frames';
const b64 = (s) => Buffer.from(s).toString('base64');
const records = [
  { key: b64('k1'), value: b64('v1'), headers: [['h', b64('x')]], timestamp: 1700000000000, partition: 0 },
  { key: b64('k2'), value: null, headers: [], timestamp: 1700000000001, partition: 0 },
];

const drivers = {
  async librdkafka(bootstrap) {
    await run(python, [join(clientsDir, 'confluent_admin.py'), JSON.stringify({ bootstrap, ops: [{ op: 'create_topics', topics: [{ name: topic, partitions: 1 }] }] })]);
    await run('kcat', ['-L', '-b', bootstrap, '-t', topic, '-m', '5']);
    await run('kcat', ['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-K', ':', '-H', 'h=x', '-m', '5'], { input: 'k1:v1\nk2:v2\n' });
    await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-m', '5']);
    await run('kcat', ['-Q', '-b', bootstrap, '-t', `${topic}:0:-1`, '-m', '5']);
  },
  async kafkajs(bootstrap) {
    const { Kafka, logLevel, Partitioners } = require('kafkajs');
    const kafka = new Kafka({ clientId: 'golden', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const step = async (name, fn) => {
      try {
        await Promise.race([fn(), delay(15_000).then(() => { throw new Error('timeout'); })]);
      } catch (err) {
        console.error(`  (kafkajs ${name}: ${err.message})`);
      }
    };
    const admin = kafka.admin();
    await step('admin', async () => {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.fetchTopicOffsets(topic);
    });
    await admin.disconnect().catch(() => {});
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await step('produce', async () => {
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k1', value: 'v1', headers: { h: 'x' }, partition: 0 }] });
    });
    await producer.disconnect().catch(() => {});
    const consumer = kafka.consumer({ groupId: 'golden-frames', maxWaitTimeInMs: 100 });
    await step('consume', async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise((resolve) => consumer.run({ eachMessage: async () => resolve() }));
    });
    await consumer.disconnect().catch(() => {});
  },
  async 'kafka-python'(bootstrap) {
    await run(python, [join(clientsDir, 'kafka_python_produce.py'), JSON.stringify({ bootstrap, topic, records, timeout_s: 10 })]);
    await run(python, [join(clientsDir, 'kafka_python_consume.py'), JSON.stringify({ bootstrap, topic, partitions: [0], timeout_s: 10 })]);
  },
};

const opts = parseArgs(process.argv.slice(2));
const mock = opts.target === null ? await startMock() : null;
const target = opts.target ?? mock.bootstrap;
const state = { client: '', seen: new Set() };
const proxy = await startProxy(target, opts.listenPort, opts.out, state);
const bootstrap = `127.0.0.1:${proxy.port}`;
console.log(`capturing via ${bootstrap} → ${target}${mock ? ' (librdkafka mock)' : ''}`);
for (const name of opts.clients) {
  const driver = drivers[name];
  if (driver === undefined) throw new Error(`unknown client ${name}`);
  state.client = name;
  console.log(`- ${name}`);
  await driver(bootstrap);
  await delay(200); // let the last responses pass through the proxy (a script, not a test)
}
proxy.server.close();
mock?.stop();
console.log(`wrote ${proxy.written.length} files:`);
for (const f of proxy.written.sort()) console.log(`  ${relative(process.cwd(), f)}${existsSync(f) ? '' : ' (missing?)'}`);
process.exit(0);
