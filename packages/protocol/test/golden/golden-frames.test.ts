// Golden frames captured from real clients (scripts/capture-golden-frames.mjs) through a
// recording proxy: packages/protocol/test/fixtures/<api>/<client>-v<N>-{request,response}.hex,
// one frame each without its length prefix. Every frame must decode with the generated codecs,
// consuming exactly all of its bytes, and re-encode to the same bytes (tagged fields included).
// Responses come from librdkafka's mock (an independent broker), requests also from a run
// through Samsa with advertised.listeners on the proxy (CreateTopics, Produce, Fetch,
// ListOffsets); Samsa's own responses are not stored as golden.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { apiByKey, decodeRequestHeader, encodeRequestHeader, Reader, Writer } from '../../src/index.js';

// Compiled to packages/protocol/dist/test/golden/; the fixtures stay in the source tree.
const fixturesDir = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

interface Fixture {
  api: string;
  file: string;
  kind: 'request' | 'response';
  version: number;
  frame: Buffer;
}

function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const api of readdirSync(fixturesDir).sort()) {
    for (const file of readdirSync(join(fixturesDir, api)).sort()) {
      const m = /-v(\d+)-(request|response)\.hex$/.exec(file);
      if (m === null) continue;
      const frame = Buffer.from(readFileSync(join(fixturesDir, api, file), 'utf8').trim(), 'hex');
      out.push({ api, file, kind: m[2] as 'request' | 'response', version: Number(m[1]), frame });
    }
  }
  return out;
}

const fixtures = loadFixtures();
const requests = fixtures.filter((f) => f.kind === 'request');

/** The API key of a fixture: in the request header, or (for a response) in its request's file. */
function apiKeyOf(f: Fixture): number {
  if (f.kind === 'request') return f.frame.readInt16BE(0);
  const request = requests.find((r) => r.api === f.api && r.file === f.file.replace(/-response\.hex$/, '-request.hex'));
  assert.ok(request !== undefined, `${f.api}/${f.file}: no matching request fixture`);
  return request.frame.readInt16BE(0);
}

describe('golden frames from real clients', { timeout: 30_000 }, () => {
  test('fixtures exist for ApiVersions and Metadata from librdkafka, kafkajs and kafka-python', () => {
    for (const api of ['api-versions', 'metadata']) {
      for (const client of ['librdkafka', 'kafkajs', 'kafka-python']) {
        assert.ok(
          requests.some((f) => f.api === api && f.file.startsWith(`${client}-`)),
          `${api} request from ${client}`,
        );
      }
    }
  });

  for (const f of fixtures) {
    test(`${f.api}/${f.file}`, () => {
      const apiKey = apiKeyOf(f);
      const api = apiByKey.get(apiKey);
      assert.ok(api !== undefined, `API key ${apiKey} has a codec`);
      const r = new Reader(f.frame);
      const w = new Writer();
      if (f.kind === 'request') {
        const headerVersion = api.requestHeaderVersion(f.version);
        const header = decodeRequestHeader(r, headerVersion);
        assert.equal(header.requestApiKey, apiKey);
        assert.equal(header.requestApiVersion, f.version);
        const body = api.decodeRequest(r, f.version);
        assert.equal(r.remaining(), 0, 'request decoding consumed every byte');
        encodeRequestHeader(w, header, headerVersion);
        api.encodeRequest(w, body, f.version);
      } else {
        // Response header: correlation id, plus tagged fields from response header v1 on.
        const headerVersion = api.responseHeaderVersion(f.version);
        const correlationId = r.readInt32();
        let headerTags: Buffer = Buffer.alloc(0);
        if (headerVersion >= 1) {
          const start = f.frame.length - r.remaining();
          const count = r.readUVarint();
          for (let i = 0; i < count; i++) {
            r.readUVarint();
            r.readRaw(r.readUVarint());
          }
          headerTags = f.frame.subarray(start, f.frame.length - r.remaining());
        }
        const body = api.decodeResponse(r, f.version);
        assert.equal(r.remaining(), 0, 'response decoding consumed every byte');
        w.writeInt32(correlationId);
        w.writeRaw(headerTags);
        api.encodeResponse(w, body, f.version);
      }
      assert.equal(w.toBuffer().toString('hex'), f.frame.toString('hex'), 're-encoded bytes equal the captured frame');
    });
  }
});
