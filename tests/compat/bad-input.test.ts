// Acceptance 6: malformed input over raw TCP. Each bad connection must get an error response
// or be closed (never hang), while a second connection, opened beforehand, keeps answering
// ApiVersions and the broker process stays alive. Frames are built by hand (support/raw-kafka).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { apiVersionsWorks, parseApiVersionsV0, RawConnection, requestFrame, withLengthPrefix } from '../support/raw-kafka.js';
import { logOnFailure, startTarget, type Target } from '../support/target.js';

const UNSUPPORTED_VERSION = 35;
const responseTimeoutMs = 10_000;

describe('bad input over raw TCP', { timeout: 120_000 }, () => {
  let target: Target | undefined;
  let witness: RawConnection | undefined;
  let witnessCorrelation = 1000;
  before(async () => {
    target = await startTarget();
    witness = await RawConnection.open(target.bootstrap);
  });
  after(async () => {
    witness?.destroy();
    await target?.stop();
  });

  /** The witness connection still answers ApiVersions v0; a fresh one does too; the broker lives. */
  async function assertBrokerServes(tg: Target): Promise<void> {
    if (witness === undefined) throw new Error('no witness connection');
    const correlationId = ++witnessCorrelation;
    witness.send(requestFrame(18, 0, correlationId));
    const frame = await witness.next(responseTimeoutMs);
    assert.notEqual(frame, 'closed', 'the witness connection was closed');
    if (frame === 'closed') return;
    const parsed = parseApiVersionsV0(frame);
    assert.equal(parsed.correlationId, correlationId);
    assert.equal(parsed.errorCode, 0);
    await apiVersionsWorks(tg.bootstrap);
    if (tg.samsa !== null) assert.ok(tg.samsa.alive(), 'broker process alive');
  }

  /** Sends `data` on a fresh connection; the reply must be a frame with `correlationId` or a close. */
  async function expectErrorOrClose(tg: Target, data: Buffer, correlationId: number | null, halfClose = false): Promise<Buffer | 'closed'> {
    const conn = await RawConnection.open(tg.bootstrap);
    try {
      conn.send(data);
      if (halfClose) conn.end();
      const reply = await conn.next(responseTimeoutMs);
      if (reply !== 'closed') {
        assert.ok(correlationId !== null, 'no response expected, only a close');
        assert.equal(reply.readInt32BE(0), correlationId, 'response correlation id');
      }
      return reply;
    } finally {
      conn.destroy();
    }
  }

  const cases: Array<[string, () => { data: Buffer; correlationId: number | null; halfClose?: boolean; mustClose?: boolean; mockHangs?: boolean }]> = [
    [
      'oversized length prefix 0x7fffffff',
      () => {
        const data = Buffer.alloc(16, 0x41);
        data.writeInt32BE(0x7fffffff, 0);
        return { data, correlationId: null, mustClose: true };
      },
    ],
    [
      'negative length prefix',
      () => ({ data: Buffer.from([0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4]), correlationId: null, mustClose: true, mockHangs: true }),
    ],
    [
      'garbage frame',
      () => {
        const body = randomBytes(64);
        body.writeInt16BE(0x7abc, 0); // no such API key: the broker cannot mistake it for a request
        return { data: withLengthPrefix(body), correlationId: body.readInt32BE(4) };
      },
    ],
    ['unknown API key 9999', () => ({ data: requestFrame(9999, 0, 77), correlationId: 77 })],
    ['unsupported version of a known API (Metadata v99)', () => ({ data: requestFrame(3, 99, 78, Buffer.alloc(8)), correlationId: 78 })],
    [
      'truncated request body (Metadata v1 announcing 5 topics, carrying none)',
      () => {
        const body = Buffer.alloc(4);
        body.writeInt32BE(5, 0);
        return { data: requestFrame(3, 1, 79, body), correlationId: 79 };
      },
    ],
    [
      'frame cut short by EOF',
      () => {
        const data = Buffer.alloc(14);
        data.writeInt32BE(100, 0);
        return { data, correlationId: null, halfClose: true, mustClose: true };
      },
    ],
  ];

  for (const [name, make] of cases) {
    test(name, { timeout: 30_000 }, async (t) => {
      if (target === undefined) throw new Error('target did not start');
      const tg = target;
      const { data, correlationId, halfClose = false, mustClose = false, mockHangs = false } = make();
      if (tg.kind === 'mock' && mockHangs) {
        t.skip('librdkafka’s mock neither answers nor closes here');
        return;
      }
      await logOnFailure(tg, t, async () => {
        const reply = await expectErrorOrClose(tg, data, correlationId, halfClose);
        if (mustClose) assert.equal(reply, 'closed');
        t.diagnostic(reply === 'closed' ? 'connection closed' : `error response of ${reply.length} bytes`);
        await assertBrokerServes(tg);
      });
    });
  }

  test('ApiVersions v127 → UNSUPPORTED_VERSION in the v0 layout with the supported keys', { timeout: 30_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    if (tg.kind === 'mock') {
      t.skip('librdkafka’s mock answers with an empty v3-layout body, not the v0 layout');
      return;
    }
    await logOnFailure(tg, t, async () => {
      const conn = await RawConnection.open(tg.bootstrap);
      try {
        // Clients send ApiVersions v3+ with request header v2 (tagged fields); so does this.
        const body = Buffer.concat([Buffer.from([5]), Buffer.from('test'), Buffer.from([4]), Buffer.from('1.0'), Buffer.from([0])]);
        conn.send(requestFrame(18, 127, 91, body, { headerVersion: 2 }));
        const frame = await conn.next(responseTimeoutMs);
        assert.notEqual(frame, 'closed', 'the broker must answer, not close');
        if (frame === 'closed') return;
        const parsed = parseApiVersionsV0(frame);
        assert.equal(parsed.correlationId, 91);
        assert.equal(parsed.errorCode, UNSUPPORTED_VERSION);
        assert.ok(parsed.apiKeys.length > 0, 'non-empty key list');
        assert.equal(frame.length, 10 + parsed.apiKeys.length * 6, 'exactly the v0 layout (no throttle time, no tagged fields)');
        const apiVersions = parsed.apiKeys.find((k) => k.apiKey === 18);
        assert.ok(apiVersions !== undefined && apiVersions.minVersion === 0 && apiVersions.maxVersion >= 3, 'ApiVersions listed with v0..v3+');
      } finally {
        conn.destroy();
      }
      await assertBrokerServes(tg);
    });
  });
});
