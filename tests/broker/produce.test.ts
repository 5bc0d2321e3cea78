// Produce error paths and acks=0, driven at the protocol level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import {
  ApiVersionsApi,
  CompressionCodec,
  ErrorCode,
  ZERO_UUID,
  ProduceApi,
  Writer,
  encodeRecordBatch,
  encodeRecordBatchSync,
  encodeRequestHeader,
  type ProduceRequest,
} from '@samsa/protocol';


function request(topic: string, records: Buffer | null, acks = -1, partition = 0): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }] };
}

function batch(value: string, timestamp = Date.now()): Buffer {
  return encodeRecordBatchSync({ baseTimestamp: timestamp, records: [{ key: null, value: Buffer.from(value), headers: [] }] });
}

test('produce answers each problem with Kafka\'s error code', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([
    { name: 'p', numPartitions: 1, configs: { 'max.message.bytes': '2000', 'message.timestamp.before.max.ms': '3600000' } },
  ]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  const code = async (req: ProduceRequest, version = 9): Promise<number> =>
    (await conn.send(ProduceApi, version, req)).responses[0].partitionResponses[0].errorCode;

  assert.equal(await code(request('p', batch('ok'))), ErrorCode.NONE);
  assert.equal(await code(request('missing', batch('x'))), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await code(request('p', batch('x'), -1, 7)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await code(request('p', batch('x'), 2)), ErrorCode.INVALID_REQUIRED_ACKS);
  assert.equal(await code(request('p', batch('x'.repeat(5000)))), ErrorCode.MESSAGE_TOO_LARGE);
  const corrupt = batch('x');
  corrupt[corrupt.length - 1] ^= 0xff;
  assert.equal(await code(request('p', corrupt)), ErrorCode.CORRUPT_MESSAGE);
  assert.equal(await code(request('p', Buffer.concat([batch('a'), batch('b')]))), ErrorCode.INVALID_RECORD);
  assert.equal(await code(request('p', null)), ErrorCode.INVALID_RECORD);
  assert.equal(await code(request('p', batch('old', Date.now() - 7_200_000))), ErrorCode.INVALID_TIMESTAMP);
  const zstd = await encodeRecordBatch({ baseTimestamp: Date.now(), compression: CompressionCodec.Zstd, records: [{ key: null, value: Buffer.from('z'), headers: [] }] });
  assert.equal(await code(request('p', zstd), 6), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assert.equal(await code(request('p', zstd), 7), ErrorCode.NONE);
  assert.equal(await code(request('__consumer_offsets', batch('x'))), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('acks=0 gets no response: the next response on the connection is the next request\'s', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'fire', numPartitions: 1 }]);

  const frame = (apiKey: number, version: number, correlationId: number, body: (w: Writer) => void, headerVersion: number): Buffer => {
    const w = new Writer();
    encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 't' }, headerVersion);
    body(w);
    const b = w.toBuffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(b.length);
    return Buffer.concat([size, b]);
  };
  const produce = frame(ProduceApi.apiKey, 7, 1, (w) => ProduceApi.encodeRequest(w, request('fire', batch('x'), 0), 7), ProduceApi.requestHeaderVersion(7));
  const versions = frame(ApiVersionsApi.apiKey, 0, 2, (w) => ApiVersionsApi.encodeRequest(w, { clientSoftwareName: '', clientSoftwareVersion: '', clusterId: null, nodeId: -1 }, 0), 1);
  const firstCorrelationId = await new Promise<number>((resolve, reject) => {
    const s = connect(broker.port, '127.0.0.1', () => s.write(Buffer.concat([produce, versions])));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 8) {
        resolve(buf.readInt32BE(4));
        s.destroy();
      }
    });
    s.on('error', reject);
  });
  assert.equal(firstCorrelationId, 2);
  const [offsets] = await admin.describeTopics(['fire']);
  assert.ok(offsets);
});
