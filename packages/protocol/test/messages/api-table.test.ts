import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApiKey,
  ApiVersionsApi,
  ControlledShutdownApi,
  FetchApi,
  ProduceApi,
  apiByKey,
  decodeRequestHeader,
  encodeApiVersionsRequest,
  encodeRequestHeader,
  encodeResponseHeader,
  type ProduceRequest,
} from '../../src/messages/index.js';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';
import { loadSchemaModel } from '../../test-support/schema-model.js';

function bytesOf(encode: (w: Writer) => void): string {
  const w = new Writer();
  encode(w);
  return w.toBuffer().toString('hex');
}

test('apiByKey has one consistent descriptor per API key', () => {
  const requests = loadSchemaModel().filter((m) => m.kind === 'request');
  assert.equal(apiByKey.size, requests.length);
  for (const [name, key] of Object.entries(ApiKey)) {
    const api = apiByKey.get(key);
    assert.ok(api, name);
    assert.equal(api.apiKey, key);
    assert.equal(api.name, name);
    assert.ok(api.minVersion <= api.maxVersion);
  }
  assert.equal(ApiKey.ListConfigResources, 74);
  assert.equal(ProduceApi.minVersion, 0);
  assert.equal(ProduceApi.maxVersion, 13);
  assert.equal(FetchApi.minVersion, 0);
  assert.equal(FetchApi.maxVersion, 18);
  assert.equal(apiByKey.get(ApiKey.InitProducerId)?.latestVersionUnstable, true);
  assert.equal(ProduceApi.latestVersionUnstable, false);
  assert.equal(apiByKey.get(ApiKey.SaslHandshake)?.flexibleMinVersion, Infinity);
});

test('header versions follow flexibility, with the ControlledShutdown and ApiVersions exceptions', () => {
  assert.equal(ProduceApi.requestHeaderVersion(8), 1);
  assert.equal(ProduceApi.responseHeaderVersion(8), 0);
  assert.equal(ProduceApi.requestHeaderVersion(9), 2);
  assert.equal(ProduceApi.responseHeaderVersion(9), 1);
  assert.equal(ControlledShutdownApi.requestHeaderVersion(0), 0);
  assert.equal(ControlledShutdownApi.requestHeaderVersion(1), 1);
  assert.equal(ControlledShutdownApi.requestHeaderVersion(3), 2);
  assert.equal(ApiVersionsApi.requestHeaderVersion(3), 2);
  assert.equal(ApiVersionsApi.responseHeaderVersion(3), 0);
  assert.equal(ApiVersionsApi.responseHeaderVersion(0), 0);
});

test('request header v2 keeps the classic int16 client id and adds tagged fields', () => {
  const header = { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'ab' };
  assert.equal(bytesOf((w) => encodeRequestHeader(w, header, 2)), '0012' + '0003' + '00000007' + '0002' + '6162' + '00');
  assert.equal(bytesOf((w) => encodeRequestHeader(w, header, 1)), '0012000300000007' + '00026162');
  assert.equal(bytesOf((w) => encodeRequestHeader(w, header, 0)), '0012000300000007');
  assert.equal(bytesOf((w) => encodeRequestHeader(w, { ...header, clientId: null }, 2)), '0012000300000007' + 'ffff' + '00');
  const decoded = decodeRequestHeader(new Reader(Buffer.from('00120003000000070002616200', 'hex')), 2);
  assert.deepEqual(decoded, { ...header, unknownTaggedFields: undefined });
  assert.equal(bytesOf((w) => encodeResponseHeader(w, { correlationId: 7 }, 1)), '0000000700');
});

test('ApiVersions v3 request uses compact strings and a tagged-field section', () => {
  const hex = bytesOf((w) => encodeApiVersionsRequest(w, { clientSoftwareName: 'x', clientSoftwareVersion: '1', clusterId: null, nodeId: 0 }, 3));
  assert.equal(hex, '0278' + '0231' + '00');
});

test('encoders skip fields the version lacks and tolerate missing fields', () => {
  const msg: ProduceRequest = { transactionalId: 'tx', acks: -1, timeoutMs: 1000, topicData: [] };
  // v0-2 have no transactional id: it is silently dropped.
  assert.equal(bytesOf((w) => ProduceApi.encodeRequest(w, msg, 2)), 'ffff' + '000003e8' + '00000000');
  assert.equal(bytesOf((w) => ProduceApi.encodeRequest(w, msg, 3)), '00027478' + 'ffff' + '000003e8' + '00000000');
  const partial = { acks: 1 } as ProduceRequest;
  assert.equal(bytesOf((w) => ProduceApi.encodeRequest(w, partial, 9)), '00' + '0001' + '00000000' + '01' + '00');
});

test('records are zero-copy views of the frame', () => {
  const records = Buffer.alloc(300, 7);
  const w = new Writer();
  ProduceApi.encodeRequest(w, { transactionalId: null, acks: 1, timeoutMs: 5, topicData: [{ name: 't', topicId: '', partitionData: [{ index: 0, records }] }] } as ProduceRequest, 3);
  const chunks = w.toBuffers();
  assert.ok(chunks.includes(records), 'a large records buffer is appended by reference');
  const frame = w.toBuffer();
  const decoded = ProduceApi.decodeRequest(new Reader(frame), 3);
  const view = decoded.topicData[0].partitionData[0].records;
  assert.ok(view);
  assert.equal(view.buffer, frame.buffer, 'decoded records share the frame memory');
  assert.ok(view.equals(records));
});
