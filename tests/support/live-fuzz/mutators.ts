// Byte-level mutations of a request payload (the frame without its int32 length prefix).
// Each returns a new buffer and a short name for the report; the caller decides whether the
// length prefix is recomputed (a complete, malformed request) or corrupted as well.
import type { FuzzRandom } from './random.js';

/** Bytes of the fixed request header part (apiKey, apiVersion, correlationId). */
const FIXED_HEADER_BYTES = 8;

/** Values a hostile or broken peer writes into length and count fields. */
const HOSTILE_INT32 = [0x7fffffff, -1, -2, 0, 1, 0x10000, 0x40000000, -2147483648];
const HOSTILE_INT16 = [0x7fff, -1, -2, 0, 0x100];
/** Unsigned varints: 2^31-1, 2^32-1 (5 bytes), an over-long 6-byte one, and 0. */
const HOSTILE_UVARINTS = [
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]),
  Buffer.from([0x00]),
];

export interface Mutation {
  name: string;
  apply(payload: Buffer, rnd: FuzzRandom, donor: Buffer): Buffer;
}

/** An offset past the fixed header most of the time, so the API's body decoder is reached. */
function bodyOffset(payload: Buffer, rnd: FuzzRandom): number {
  if (payload.length <= FIXED_HEADER_BYTES || rnd.chance(0.1)) return rnd.int(0, Math.max(0, payload.length - 1));
  return rnd.int(FIXED_HEADER_BYTES, payload.length - 1);
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'bit-flip',
    apply(payload, rnd) {
      const out = Buffer.from(payload);
      for (let i = rnd.int(1, 4); i > 0 && out.length > 0; i--) out[bodyOffset(out, rnd)] ^= 1 << rnd.int(0, 7);
      return out;
    },
  },
  {
    name: 'truncate',
    apply(payload, rnd) {
      return Buffer.from(payload.subarray(0, rnd.int(0, Math.max(0, payload.length - 1))));
    },
  },
  {
    name: 'append',
    apply(payload, rnd) {
      return Buffer.concat([payload, rnd.bytes(rnd.int(1, 32))]);
    },
  },
  {
    name: 'insert',
    apply(payload, rnd) {
      const at = bodyOffset(payload, rnd);
      return Buffer.concat([payload.subarray(0, at), rnd.bytes(rnd.int(1, 8)), payload.subarray(at)]);
    },
  },
  {
    name: 'length-int32',
    apply(payload, rnd) {
      const out = Buffer.from(payload);
      if (out.length < 4) return out;
      const at = Math.min(bodyOffset(out, rnd), out.length - 4);
      out.writeInt32BE(rnd.pick(HOSTILE_INT32), at);
      return out;
    },
  },
  {
    name: 'length-int16',
    apply(payload, rnd) {
      const out = Buffer.from(payload);
      if (out.length < 2) return out;
      const at = Math.min(bodyOffset(out, rnd), out.length - 2);
      out.writeInt16BE(rnd.pick(HOSTILE_INT16), at);
      return out;
    },
  },
  {
    name: 'length-uvarint',
    apply(payload, rnd) {
      const out = Buffer.from(payload);
      const varint = rnd.pick(HOSTILE_UVARINTS);
      const at = bodyOffset(out, rnd);
      if (rnd.chance(0.5)) return Buffer.concat([out.subarray(0, at), varint, out.subarray(at)]);
      varint.copy(out, at, 0, Math.min(varint.length, out.length - at));
      return out;
    },
  },
  {
    name: 'splice',
    apply(payload, rnd, donor) {
      if (donor.length === 0) return Buffer.from(payload);
      const at = bodyOffset(payload, rnd);
      const cut = rnd.int(at, payload.length);
      const from = rnd.int(0, donor.length - 1);
      const piece = donor.subarray(from, rnd.int(from, donor.length));
      return Buffer.concat([payload.subarray(0, at), piece, payload.subarray(cut)]);
    },
  },
  {
    name: 'duplicate',
    apply(payload, rnd) {
      if (payload.length === 0) return Buffer.from(payload);
      const from = bodyOffset(payload, rnd);
      const piece = payload.subarray(from, rnd.int(from, Math.min(payload.length, from + 64)));
      const at = bodyOffset(payload, rnd);
      return Buffer.concat([payload.subarray(0, at), piece, piece, payload.subarray(at)]);
    },
  },
  {
    name: 'header-version',
    apply(payload, rnd) {
      const out = Buffer.from(payload);
      if (out.length >= 4) out.writeInt16BE(rnd.pick([-1, 0, 1, 3, 12, 17, 100, 32767, rnd.int(0, 20)]), 2);
      return out;
    },
  },
];

/**
 * The int32 length prefix that goes in front of `payload`: its true length, or (when
 * `corrupt`) one that claims more bytes than follow, fewer, zero, negative, or more than
 * any broker accepts. A prefix claiming more stalls that connection until the fuzzer
 * gives up on it; the bytes of later frames then become part of this one.
 */
export function lengthPrefix(payload: Buffer, rnd: FuzzRandom, corrupt: boolean): { prefix: Buffer; name: string | null } {
  const prefix = Buffer.alloc(4);
  if (!corrupt) {
    prefix.writeInt32BE(payload.length, 0);
    return { prefix, name: null };
  }
  const value = rnd.pick([
    payload.length + rnd.int(1, 64),
    Math.max(0, payload.length - rnd.int(1, 16)),
    0,
    -1,
    -2147483648,
    0x7fffffff,
    104_857_601,
    rnd.int(1, 16),
  ]);
  prefix.writeInt32BE(value, 0);
  return { prefix, name: `prefix=${value}` };
}
