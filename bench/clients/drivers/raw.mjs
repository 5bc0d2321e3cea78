// The reference "client" of the produce tests: no client at all. One Produce request per send
// call (v9, acks -1, not idempotent) is encoded once per (topic, record count) with
// @samsa/protocol and then written again and again over a raw socket, patching only the
// correlation id; each answer is decoded to check its error code. No validation, batching,
// retries, timers or promises beyond one per send: what remains is the round trip through the
// kernel and the broker, so its rate is the most any client can reach against this broker on
// this machine, and the gap between a client and this row is that client's own cost.
// It has no consumer (the consume test skips it).

import { connect } from 'node:net';
import {
  CompressionCodec,
  ProduceApi,
  Reader,
  Writer,
  ZERO_UUID,
  decodeResponseHeader,
  encodeRecordBatchSync,
  encodeRequestHeader,
} from '@samsa/protocol';

export const label = 'raw socket, pre-encoded Produce v9 (reference, not a client)';

const VERSION = 9;
/** Offset of the correlation id in a frame: after the size (4), api key (2) and version (2). */
const CORRELATION_ID_AT = 8;

function encodeFrame(topic, values) {
  const now = Date.now();
  const records = values.map((value) => ({ key: null, value, headers: [], timestamp: now }));
  const batch = encodeRecordBatchSync({ baseTimestamp: now, compression: CompressionCodec.None, records });
  const w = new Writer();
  const sizeAt = w.reserveInt32();
  encodeRequestHeader(w, { requestApiKey: ProduceApi.apiKey, requestApiVersion: VERSION, correlationId: 0, clientId: 'bench-raw' }, ProduceApi.requestHeaderVersion(VERSION));
  ProduceApi.encodeRequest(w, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch }] }] }, VERSION);
  w.patchInt32(sizeAt, w.length - 4);
  return w.toBuffer();
}

export async function createProducer({ bootstrap }) {
  const [host, port] = bootstrap.split(':');
  const socket = connect({ host, port: Number(port), noDelay: true });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames = new Map();
  let correlationId = 0;
  let waiting = null;
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = pending.readInt32BE(0);
      const r = new Reader(pending.subarray(4, 4 + size));
      pending = pending.subarray(4 + size);
      decodeResponseHeader(r, ProduceApi.responseHeaderVersion(VERSION));
      const res = ProduceApi.decodeResponse(r, VERSION);
      const errorCode = res.responses[0].partitionResponses[0].errorCode;
      const w = waiting;
      waiting = null;
      if (errorCode === 0) w.resolve();
      else w.reject(new Error(`Produce error code ${errorCode}`));
    }
  });
  socket.on('error', (err) => waiting?.reject(err));
  return {
    idempotent: false,
    send(topic, values) {
      // Sends are awaited one at a time, so one frame per shape can be reused.
      const key = `${topic}\0${values.length}`;
      let frame = frames.get(key);
      if (frame === undefined) frames.set(key, (frame = encodeFrame(topic, values)));
      frame.writeInt32BE(++correlationId, CORRELATION_ID_AT);
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        socket.write(frame);
      });
    },
    async close() {
      socket.destroy();
    },
  };
}
