// The `samsa` command line itself, driving the built bin through real pipes: global options
// before the command (-b, --bootstrap-server, --bootstrap-server=), --help naming every command,
// --version, and a closed stdout (`| head`, a reader that went away) ending the command quietly
// with status 0 instead of an EPIPE crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startBroker } from '@samsa/broker';
import { Admin, Kafka, silentLogger } from '@samsa/client';
import { COMMANDS } from '../src/main.js';
import { closedPort, samsa, samsaBin } from '../test-support/run-samsa.js';

/**
 * Runs `samsa args` with a stdout pipe whose reading end is closed before the command writes
 * anything, so its first write fails with EPIPE.
 */
function samsaWithClosedStdout(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [samsaBin, ...args], { env: { ...process.env, SAMSA_BOOTSTRAP: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    const err: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr: Buffer.concat(err).toString() });
    });
  });
}

/** Runs `samsa args | head -n 1` in bash; resolves with head's output and samsa's own exit status. */
function samsaPipedToHead(args: string[], timeoutMs = 60_000): Promise<{ status: number | null; firstLine: string; stderr: string; timedOut: boolean }> {
  const quoted = [process.execPath, samsaBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${quoted} | head -n 1; echo "samsa-status=\${PIPESTATUS[0]}" >&2`], {
      env: { ...process.env, SAMSA_BOOTSTRAP: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString();
      const m = /samsa-status=(\d+)/.exec(stderr);
      resolve({ status: m ? Number(m[1]) : null, firstLine: Buffer.concat(out).toString(), stderr: stderr.replace(/samsa-status=\d+\n?/, ''), timedOut });
    });
  });
}

test('samsa --help lists every command, --version prints the package version', async () => {
  const help = await samsa(['--help']);
  assert.equal(help.code, 0, help.stderr);
  const listed = help.stdout
    .split('\n')
    .filter((l) => /^ {2}\S/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]);
  assert.deepEqual(listed, COMMANDS.map((c) => c.name));
  for (const name of ['server', 'topic', 'group', 'produce', 'consume', 'perf', 'cluster', 'txn']) assert.ok(listed.includes(name), `--help misses ${name}`);
  assert.equal((await samsa(['-h'])).stdout, help.stdout);
  assert.equal((await samsa(['help'])).stdout, help.stdout);

  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const v = await samsa([flag]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, `samsa ${pkg.version}\n`);
  }

  const unknown = await samsa(['--frobnicate', 'topic', 'list']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--frobnicate' before the command/);
  const notBroker = await samsa(['-b', '127.0.0.1:9092', 'server']);
  assert.equal(notBroker.code, 2);
  assert.match(notBroker.stderr, /--bootstrap-server goes with a command that talks to a broker, not 'server'/);
  const noValue = await samsa(['-b']);
  assert.equal(noValue.code, 2);
  assert.match(noValue.stderr, /-b expects host:port/);
});

test('samsa takes the broker address before the command; a closed stdout ends it quietly with 0', { timeout: 180_000 }, async (t) => {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'orders', numPartitions: 1 }]);
  await admin.commitOffsets('g1', [{ topic: 'orders', partition: 0, offset: 0 }]);

  // Global flags before the command, in each spelling.
  for (const args of [
    ['-b', broker.bootstrap, 'topic', 'list'],
    [`-b${broker.bootstrap}`, 'topic', 'list'],
    ['--bootstrap-server', broker.bootstrap, 'topic', 'list'],
    [`--bootstrap-server=${broker.bootstrap}`, 'topics', 'list'],
  ]) {
    const r = await samsa(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stdout.trim().split('\n').includes('orders'), `${args.join(' ')}: ${r.stdout}`);
  }
  // The command's own -b wins over the global one.
  const nowhere = `127.0.0.1:${await closedPort()}`;
  const own = await samsa(['-b', nowhere, 'group', 'list', '-b', broker.bootstrap]);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /g1/);
  const global = await samsa(['-b', nowhere, 'group', 'list']);
  assert.equal(global.code, 1);
  assert.match(global.stderr, new RegExp(`cannot connect to ${nowhere}`));

  // A reader that is gone before the first write: EPIPE, not a crash.
  for (const args of [
    ['-b', broker.bootstrap, 'group', 'describe', 'g1'],
    ['-b', broker.bootstrap, 'topic', 'describe', 'orders'],
    ['--help'],
  ]) {
    const r = await samsaWithClosedStdout(args);
    assert.equal(r.signal, null, `${args.join(' ')} was killed (timed out)`);
    assert.equal(r.code, 0, `${args.join(' ')}: exit ${r.code}, stderr: ${r.stderr}`);
    assert.equal(r.stderr, '', args.join(' '));
  }

  // `samsa consume | head -n 1` over more records than a pipe holds: the consumer stops (and
  // leaves its group) when head exits, instead of running on or crashing.
  const producer = new Kafka({ brokers: [broker.bootstrap], logger: silentLogger }).producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  const value = 'x'.repeat(200);
  for (let i = 0; i < 5; i++) {
    await producer.send({ topic: 'orders', messages: Array.from({ length: 1000 }, (_, j) => ({ value: `${i * 1000 + j} ${value}` })) });
  }
  for (const group of [[], ['--group', 'piped']]) {
    const r = await samsaPipedToHead(['consume', '-b', broker.bootstrap, '--topic', 'orders', '--from-beginning', ...group]);
    assert.equal(r.timedOut, false, `consume ${group.join(' ')} | head -n 1 did not end: ${r.stderr}`);
    assert.equal(r.firstLine, `0 ${value}\n`);
    assert.equal(r.status, 0, `consume ${group.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^Processed a total of \d+ messages?\n$/);
  }
  const groups = await admin.describeGroups(['piped']);
  assert.equal(groups[0].members.length, 0, 'the piped consumer left its group');
});
