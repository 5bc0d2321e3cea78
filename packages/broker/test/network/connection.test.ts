import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Connection, type FrameHandler } from '../../src/network/connection.js';
import { ConnectionQuotas } from '../../src/network/connection-quotas.js';
import { RequestBudget } from '../../src/network/request-budget.js';

/** A request frame with its size prefix: api key, version 0, correlation id, then `padding` bytes. */
function frame(apiKey: number, correlationId: number, padding = 0): Buffer {
  const f = Buffer.alloc(4 + 8 + padding);
  f.writeInt32BE(8 + padding, 0);
  f.writeInt16BE(apiKey, 4);
  f.writeInt32BE(correlationId, 8);
  return f;
}

/** A response of `bytes` body bytes carrying the correlation id. */
function response(correlationId: number, bytes = 4): Buffer[] {
  const body = Buffer.alloc(Math.max(4, bytes));
  body.writeInt32BE(correlationId, 0);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return [size, body];
}

interface Harness {
  client: Socket;
  server: Server;
  connection: Promise<Connection>;
  close(): Promise<void>;
}

async function harness(handler: FrameHandler, budget = new RequestBudget({ maxBytes: -1, maxRequests: 500 })): Promise<Harness> {
  let resolveConn: (c: Connection) => void = () => undefined;
  const connection = new Promise<Connection>((r) => (resolveConn = r));
  const server = createServer((socket) => {
    resolveConn(
      new Connection(socket, { id: 1, remoteAddress: '127.0.0.1', remotePort: 0, listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT' }, handler, {
        maxFrameBytes: 1 << 20,
        maxInFlight: 100,
        maxUnsentResponseBytes: 64 * 1024,
        idleTimeoutMs: 0,
        budget,
        onError: () => undefined,
        onClose: () => undefined,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => client.once('connect', r));
  return {
    client,
    server,
    connection,
    async close() {
      client.destroy();
      (await connection).close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Correlation ids of the responses read from `client`, in arrival order, until `count` arrived. */
function readResponses(client: Socket, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    const ids: number[] = [];
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        ids.push(buf.readInt32BE(4));
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
      if (ids.length >= count) {
        client.off('data', onData);
        resolve(ids);
      }
    };
    client.on('data', onData);
  });
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('responses go out in request order when handlers finish out of order', async () => {
  const h = await harness((f) => {
    const id = f.readInt32BE(4);
    return new Promise((r) => setTimeout(() => r(response(id)), 50 - id * 10));
  });
  try {
    const got = readResponses(h.client, 5);
    h.client.write(Buffer.concat([0, 1, 2, 3, 4].map((id) => frame(3, id))));
    assert.deepEqual(await got, [0, 1, 2, 3, 4]);
  } finally {
    await h.close();
  }
});

test('a client that does not read holds one Fetch response; reading resumes the rest in order', async () => {
  const started: number[] = [];
  const h = await harness((f) => {
    const id = f.readInt32BE(4);
    started.push(id);
    // 8 MiB: more than the socket buffers take, so the response stays unsent.
    return Promise.resolve(response(id, 8 << 20));
  });
  try {
    h.client.pause();
    h.client.write(Buffer.concat([0, 1, 2, 3, 4].map((id) => frame(1, id))));
    await tick(300);
    assert.deepEqual(started, [0], 'only the first Fetch is built while its response is unsent');
    assert.ok((await h.connection).unsentResponseBytes > 64 * 1024);
    const got = readResponses(h.client, 5);
    h.client.resume();
    assert.deepEqual(await got, [0, 1, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
  } finally {
    await h.close();
  }
});

test('over the unsent bound no request starts; small ones continue once the client reads', async () => {
  const started: number[] = [];
  const h = await harness((f) => {
    const id = f.readInt32BE(4);
    started.push(id);
    return response(id, id === 0 ? 8 << 20 : 4);
  });
  try {
    h.client.pause();
    h.client.write(Buffer.concat([frame(3, 0), frame(3, 1), frame(3, 2)]));
    await tick(300);
    assert.deepEqual(started, [0]);
    const got = readResponses(h.client, 3);
    h.client.resume();
    assert.deepEqual(await got, [0, 1, 2]);
  } finally {
    await h.close();
  }
});

test('the request budget stops pipelining at queued.max.requests but lets an idle connection start one', () => {
  const budget = new RequestBudget({ maxBytes: 100, maxRequests: 2 });
  assert.equal(budget.mayStart(0), true);
  budget.start(10);
  budget.start(10);
  assert.equal(budget.mayStart(1), false);
  assert.equal(budget.mayStart(0), true, 'a connection with nothing in progress may always start one');
  let woken = 0;
  budget.waitForRoom(() => woken++);
  budget.finish(10);
  assert.equal(woken, 1);
  assert.equal(budget.mayStart(1), true);
});

test('the request budget stops reading above queued.max.request.bytes and wakes readers when it frees', () => {
  const budget = new RequestBudget({ maxBytes: 100, maxRequests: 500 });
  budget.start(60);
  assert.equal(budget.mayRead, true);
  budget.start(60);
  assert.equal(budget.mayRead, false);
  let woken = 0;
  budget.waitForRoom(() => woken++);
  budget.finish(60);
  assert.equal(budget.mayRead, true);
  assert.equal(woken, 1);
  assert.equal(new RequestBudget({ maxBytes: -1, maxRequests: 1 }).mayRead, true);
});

test('a server-side Connection started while over the byte bound does not read until it frees', async () => {
  const budget = new RequestBudget({ maxBytes: 10, maxRequests: 500 });
  budget.start(50);
  const started: number[] = [];
  const h = await harness((f) => {
    started.push(f.readInt32BE(4));
    return response(f.readInt32BE(4));
  }, budget);
  try {
    await h.connection;
    h.client.write(frame(18, 7));
    await tick(200);
    assert.deepEqual(started, []);
    const got = readResponses(h.client, 1);
    budget.finish(50);
    assert.deepEqual(await got, [7]);
  } finally {
    await h.close();
  }
});

test('connection quotas: per-IP limit, overrides, broker limit, release', () => {
  let max = 4;
  const quotas = new ConnectionQuotas({
    maxConnections: () => max,
    maxConnectionsPerIp: () => 2,
    perIpOverrides: () => new Map([['127.0.0.2', 3]]),
  });
  assert.equal(quotas.tryAccept('127.0.0.1'), null);
  assert.equal(quotas.tryAccept('::ffff:127.0.0.1'), null, 'an IPv4-mapped address counts as the IPv4 one');
  assert.equal(quotas.tryAccept('127.0.0.1'), 'max.connections.per.ip');
  assert.equal(quotas.tryAccept('127.0.0.2'), null);
  assert.equal(quotas.tryAccept('127.0.0.2'), null);
  assert.equal(quotas.tryAccept('127.0.0.2'), 'max.connections', 'the override allows a third, the broker limit of 4 does not');
  max = 5;
  assert.equal(quotas.tryAccept('127.0.0.2'), null, 'limits are read at each accept');
  assert.equal(quotas.tryAccept('127.0.0.2'), 'max.connections.per.ip');
  quotas.release('127.0.0.1');
  assert.equal(quotas.count('127.0.0.1'), 1);
  assert.equal(quotas.total, 4);
  assert.equal(quotas.tryAccept('127.0.0.1'), null);
});
