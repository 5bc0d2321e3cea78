// The embeddable broker started and stopped 20 times in one process leaves
// nothing behind: no handles (process.getActiveResourcesInfo()), every port
// bindable again, the temporary data dirs gone, every stopped Broker object
// garbage-collectable, and the heap not growing with the cycles.
//
// Each cycle does real work so the lazily started parts run too: a topic,
// idempotent produce (InitProducerId), a consumer group's coordinator
// (FindCoordinator creates __consumer_offsets and commits an offset) and a
// transaction coordinator (__transaction_state).
//
// The heap bound is loose on purpose: after forced GCs, the heap after cycle
// 20 may exceed the heap after cycle 5 by at most 24 MiB (a leak of one
// broker's state per cycle — tens of MiB with log segments' buffers and
// indexes — would exceed it; GC noise and JIT code do not). The precise check
// is the WeakRef one: a stopped broker must be collectable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startBroker } from '@samsa/broker';
import { Admin, Connection, Kafka, silentLogger } from '@samsa/client';
import { FindCoordinatorApi } from '@samsa/protocol';
import { waitFor } from '../support/wait-for.js';

const CYCLES = 20;
const HEAP_GROWTH_BOUND = 24 * 1_048_576;

// node:test runs each file in its own process, so exposing gc here affects only this file.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  // WeakRefs are cleared between jobs: alternate collections and turns of the event loop.
  for (let i = 0; i < 4; i++) {
    gc();
    await tick();
  }
}

function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Active resources by type, e.g. { TCPServerWrap: 1, Timeout: 3 }. */
function resources(): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) out.set(r, (out.get(r) ?? 0) + 1);
  return out;
}

/** Types whose count grew from `before` to `after`, as 'Type: n -> m'. */
function grown(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k, n]) => `${k}: ${before.get(k) ?? 0} -> ${n}`);
}

/** Waits (bounded) until no resource type has more instances than in `before`; fails naming the ones that grew. */
async function noNewResources(before: Map<string, number>, message: string): Promise<void> {
  try {
    await waitFor(() => grown(before, resources()).length === 0, { timeoutMs: 10_000, message });
  } catch {
    assert.fail(`${message}; still grown after 10 s: ${grown(before, resources()).join(', ')}`);
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Work that starts every lazily created part of the broker. */
async function exercise(bootstrap: string, port: number, cycle: number): Promise<void> {
  const admin = await Admin.connect(bootstrap, { timeoutMs: 10_000 });
  try {
    await admin.createTopics([{ name: 'cycle', numPartitions: 2 }]);
    const producer = new Kafka({ brokers: bootstrap, logger: silentLogger, connectionTimeoutMs: 5_000 }).producer({ lingerMs: 1 });
    await producer.connect();
    try {
      await producer.send({ topic: 'cycle', messages: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(512, cycle) })) });
    } finally {
      await producer.disconnect();
    }
    await admin.commitOffsets('g', [{ topic: 'cycle', partition: 0, offset: 10 }]);
    assert.deepEqual((await admin.fetchOffsets('g')).map((o) => o.offset), [10]);
    const conn = await Connection.open('127.0.0.1', port, { timeoutMs: 10_000 });
    try {
      const found = await conn.send(FindCoordinatorApi, 4, { key: '', keyType: 1, coordinatorKeys: ['txn'] });
      assert.equal(found.coordinators[0].errorCode, 0);
    } finally {
      conn.close();
    }
  } finally {
    admin.close();
  }
}

/** Starts a broker, exercises it and stops it; only a WeakRef to it leaves this function. */
async function oneCycle(cycle: number): Promise<{ ref: WeakRef<object>; port: number; dataDir: string }> {
  const started = await startBroker();
  await exercise(started.bootstrap, started.port, cycle);
  await started.stop();
  return { ref: new WeakRef(started.broker), port: started.port, dataDir: started.dataDir };
}

test(`startBroker() and stop() ${CYCLES} times in one process leak nothing`, { timeout: 240_000 }, async (t) => {
  await collect();
  const before = resources();
  const refs: WeakRef<object>[] = [];
  const ports: number[] = [];
  let heapAfterWarmup = 0;
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const { ref, port, dataDir } = await oneCycle(cycle);
    refs.push(ref);
    ports.push(port);
    assert.equal(existsSync(dataDir), false, `cycle ${cycle}: temporary data dir ${dataDir} removed`);
    assert.equal(await bindable(port), true, `cycle ${cycle}: port ${port} can be bound again after stop()`);
    // Client sockets close a turn or two after close(); the broker's own handles must be gone by then.
    await noNewResources(before, `cycle ${cycle}: active resources back to the level before the first start`);
    if (cycle === 5) {
      await collect();
      heapAfterWarmup = heapBytes();
    }
  }

  await collect();
  const alive = refs.map((r, i) => (r.deref() === undefined ? null : i + 1)).filter((i) => i !== null);
  assert.deepEqual(alive, [], `stopped brokers still reachable (cycles ${alive.join(', ')}): something holds a reference to them after stop()`);
  const growth = heapBytes() - heapAfterWarmup;
  t.diagnostic(`heap (used + external) after cycle 5: ${(heapAfterWarmup / 1_048_576).toFixed(1)} MiB; growth to cycle ${CYCLES}: ${(growth / 1_048_576).toFixed(2)} MiB`);
  assert.ok(growth < HEAP_GROWTH_BOUND, `heap grew by ${(growth / 1_048_576).toFixed(1)} MiB from cycle 5 to cycle ${CYCLES} (bound ${HEAP_GROWTH_BOUND / 1_048_576} MiB)`);
  for (const port of ports) assert.equal(await bindable(port), true, `port ${port} bindable at the end`);
  // (A closed server's handle leaves the active list a turn after its close callback.)
  await noNewResources(before, 'no handles left at the end');
});
