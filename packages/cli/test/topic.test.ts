import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startBroker } from '@samsa/broker';

const bin = fileURLToPath(new URL('../../bin/samsa.mjs', import.meta.url));

function samsa(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000, env: { ...process.env, SAMSA_BOOTSTRAP: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('samsa topic create, list, describe, alter-config, delete against a running broker', { timeout: 60_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];

  const created = await samsa(['topic', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=60000', ...b]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created topic orders/);

  const dup = await samsa(['topic', 'create', 'orders', ...b]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /TOPIC_ALREADY_EXISTS/);

  const badName = await samsa(['topic', 'create', 'bad/name', ...b]);
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /INVALID_TOPIC_EXCEPTION/);

  const badConfig = await samsa(['topic', 'create', 'x', '--config', 'retention.ms=abc', ...b]);
  assert.equal(badConfig.code, 1);
  assert.match(badConfig.stderr, /INVALID_CONFIG.*retention\.ms/);

  const list = await samsa(['topic', 'list', ...b]);
  assert.deepEqual(list.stdout.trim().split('\n'), ['orders']);

  const altered = await samsa(['topic', 'alter-config', 'orders', '--set', 'segment.bytes=1048576', '--delete', 'retention.ms', ...b]);
  assert.equal(altered.code, 0, altered.stderr);
  const described = await samsa(['topic', 'describe', 'orders', ...b]);
  assert.match(described.stdout, /PartitionCount: 3/);
  assert.match(described.stdout, /Configs: segment\.bytes=1048576\n/);
  assert.equal(described.stdout.match(/Partition: \d/g)?.length, 3);

  const deleted = await samsa(['topic', 'delete', 'orders', ...b]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal((await samsa(['topic', 'list', ...b])).stdout, '');
});

test('bad flags and unreachable brokers get a one-line error and a non-zero exit', { timeout: 30_000 }, async () => {
  const unknown = await samsa(['topic', 'frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown topic command 'frobnicate'.*--help/);

  const noName = await samsa(['topic', 'create', '--bootstrap-server', '127.0.0.1:1']);
  assert.notEqual(noName.code, 0);

  const unreachable = await samsa(['topic', 'list', '--bootstrap-server', '127.0.0.1:1']);
  assert.equal(unreachable.code, 1);
  assert.equal(unreachable.stderr.trim().split('\n').length, 1);
  assert.match(unreachable.stderr, /cannot connect to 127\.0\.0\.1:1.*--bootstrap-server/);

  const badSet = await samsa(['server', '--set', 'novalue']);
  assert.equal(badSet.code, 2);
  assert.match(badSet.stderr, /--set expects key=value/);

  const badConfig = await samsa(['server', '--set', 'num.partitions=abc']);
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /num\.partitions/);
});
