import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, StreamsError } from '../../src/index.js';

const H: never[] = [];

test('numbers use the bytes of Java Serdes (big-endian two\'s complement, IEEE 754)', () => {
  assert.deepEqual(Serdes.Int32().serialize('t', 1, H), Buffer.from('00000001', 'hex'));
  assert.deepEqual(Serdes.Int32().serialize('t', -2, H), Buffer.from('fffffffe', 'hex'));
  assert.deepEqual(Serdes.Int16().serialize('t', 258, H), Buffer.from('0102', 'hex'));
  assert.deepEqual(Serdes.Int64().serialize('t', -1, H), Buffer.from('ffffffffffffffff', 'hex'));
  assert.deepEqual(Serdes.Int64().serialize('t', 2 ** 40 + 5, H), Buffer.from('0000010000000005', 'hex'));
  assert.deepEqual(Serdes.BigInt64().serialize('t', 2n ** 62n, H), Buffer.from('4000000000000000', 'hex'));
  assert.deepEqual(Serdes.Float64().serialize('t', 1.5, H), Buffer.from('3ff8000000000000', 'hex'));
  assert.deepEqual(Serdes.Float32().serialize('t', 1.5, H), Buffer.from('3fc00000', 'hex'));
  for (const [serde, v] of [
    [Serdes.Int16(), -300],
    [Serdes.Int32(), 2_000_000_000],
    [Serdes.Int64(), Number.MIN_SAFE_INTEGER],
    [Serdes.Float64(), -0.1],
  ] as const) {
    assert.equal(serde.deserialize('t', serde.serialize('t', v, H), H), v);
  }
});

test('strings, JSON, UUID and bytes round-trip', () => {
  assert.equal(Serdes.String().deserialize('t', Serdes.String().serialize('t', 'héllo ✓', H), H), 'héllo ✓');
  const json = Serdes.JSON<{ a: number[]; b: string }>();
  assert.deepEqual(json.deserialize('t', json.serialize('t', { a: [1, 2], b: 'x' }, H), H), { a: [1, 2], b: 'x' });
  const id = '123e4567-e89b-12d3-a456-426614174000';
  assert.deepEqual(Serdes.UUID().serialize('t', id, H), Buffer.from(id));
  assert.equal(Serdes.UUID().deserialize('t', Buffer.from(id), H), id);
  const b = Buffer.from([0, 1, 255]);
  assert.equal(Serdes.Bytes().deserialize('t', b, H), b);
});

test('bad input is a StreamsError SAMSA_ERR_STREAMS_SERDE naming the serde and topic', () => {
  const cases: Array<() => unknown> = [
    () => Serdes.Int32().deserialize('orders', Buffer.alloc(3), H),
    () => Serdes.Int32().serialize('orders', 2 ** 31, H),
    () => Serdes.Int64().serialize('orders', 2 ** 60, H),
    () => Serdes.Int64().deserialize('orders', Buffer.from('7fffffffffffffff', 'hex'), H),
    () => Serdes.JSON().deserialize('orders', Buffer.from('{nope'), H),
    () => Serdes.JSON().serialize('orders', undefined, H),
    () => Serdes.UUID().serialize('orders', 'not-a-uuid', H),
    () => Serdes.UUID().deserialize('orders', Buffer.from('zzz'), H),
    () => Serdes.String().serialize('orders', 5 as unknown as string, H),
    () => Serdes.Void().deserialize('orders', Buffer.alloc(1), H),
  ];
  for (const fn of cases) {
    assert.throws(fn, (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_SERDE' && err.message.includes('orders'));
  }
});

test('a custom serde gets topic and headers (the schema-registry seam)', () => {
  const seen: string[] = [];
  const tagged = Serdes.from<string>(
    'Tagged',
    (topic, data, headers) => {
      seen.push(`${topic}:${headers.length}`);
      return Buffer.from(`v1:${data}`);
    },
    (_topic, data) => data.toString().replace(/^v1:/, ''),
  );
  const bytes = tagged.serialize('events', 'x', [{ key: 'schema', value: Buffer.from('1') }]);
  assert.equal(bytes.toString(), 'v1:x');
  assert.equal(tagged.deserialize('events', bytes, []), 'x');
  assert.deepEqual(seen, ['events:1']);
});
