/**
 * Records of `__transaction_state`, in Kafka's format (TransactionLogKey /
 * TransactionLogValue), so tools that read the topic understand them. One
 * record per state change of a transactional id; the latest record of a key
 * is its state, a tombstone (null value) removes the id. Big-endian:
 *
 *   key    int16 version (0), string transactionalId (int16 length + UTF-8)
 *   value  int16 version (0)
 *          int64 producerId
 *          int16 producerEpoch
 *          int32 transactionTimeoutMs
 *          int8  transactionStatus (TXN_STATE_IDS)
 *          array transactionPartitions (int32 count, -1 = null):
 *                string topic, array int32 partitionIds
 *          int64 transactionLastUpdateTimestampMs
 *          int64 transactionStartTimestampMs
 *
 * Kafka's value v1 (flexible, with previous/next producer ids as tagged
 * fields) is not written; a v1 value is refused on load rather than misread.
 */

/** Kafka's transaction states with their ids in the log. */
export const TXN_STATE_IDS = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;

export type TxnState = keyof typeof TXN_STATE_IDS;

const STATE_BY_ID = new Map<number, TxnState>(Object.entries(TXN_STATE_IDS).map(([k, v]) => [v, k as TxnState]));

/** The stored part of a transactional id's state. */
export interface TxnLogValue {
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  state: TxnState;
  /** topic -> partitions in the transaction. */
  partitions: Map<string, number[]>;
  lastUpdateTimestampMs: number;
  startTimestampMs: number;
}

function stringSize(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8');
}

function writeString(buf: Buffer, pos: number, s: string): number {
  const n = buf.write(s, pos + 2, 'utf8');
  buf.writeInt16BE(n, pos);
  return pos + 2 + n;
}

function readString(buf: Buffer, pos: number): { value: string; pos: number } {
  const n = buf.readInt16BE(pos);
  if (n < 0 || pos + 2 + n > buf.length) throw new RangeError('string out of bounds');
  return { value: buf.toString('utf8', pos + 2, pos + 2 + n), pos: pos + 2 + n };
}

export function encodeTxnLogKey(transactionalId: string): Buffer {
  const buf = Buffer.alloc(2 + stringSize(transactionalId));
  writeString(buf, 2, transactionalId);
  return buf;
}

/** The transactional id of a key; throws on an unknown key version or malformed bytes. */
export function decodeTxnLogKey(buf: Buffer): string {
  if (buf.length < 4 || buf.readInt16BE(0) !== 0) throw new RangeError(`unknown __transaction_state key version`);
  const { value, pos } = readString(buf, 2);
  if (pos !== buf.length) throw new RangeError('trailing bytes in __transaction_state key');
  return value;
}

export function encodeTxnLogValue(v: TxnLogValue): Buffer {
  let size = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
  for (const [topic, parts] of v.partitions) size += stringSize(topic) + 4 + 4 * parts.length;
  const buf = Buffer.alloc(size);
  let p = 2;
  buf.writeBigInt64BE(BigInt(v.producerId), p);
  buf.writeInt16BE(v.producerEpoch, p + 8);
  buf.writeInt32BE(v.transactionTimeoutMs, p + 10);
  buf.writeInt8(TXN_STATE_IDS[v.state], p + 14);
  buf.writeInt32BE(v.partitions.size, p + 15);
  p += 19;
  for (const [topic, parts] of v.partitions) {
    p = writeString(buf, p, topic);
    buf.writeInt32BE(parts.length, p);
    p += 4;
    for (const part of parts) {
      buf.writeInt32BE(part, p);
      p += 4;
    }
  }
  buf.writeBigInt64BE(BigInt(v.lastUpdateTimestampMs), p);
  buf.writeBigInt64BE(BigInt(v.startTimestampMs), p + 8);
  return buf;
}

/** Decodes a value; throws on an unknown version, state or malformed bytes. */
export function decodeTxnLogValue(buf: Buffer): TxnLogValue {
  if (buf.length < 2 || buf.readInt16BE(0) !== 0) throw new RangeError('unknown __transaction_state value version');
  let p = 2;
  const producerId = Number(buf.readBigInt64BE(p));
  const producerEpoch = buf.readInt16BE(p + 8);
  const transactionTimeoutMs = buf.readInt32BE(p + 10);
  const state = STATE_BY_ID.get(buf.readInt8(p + 14));
  if (state === undefined) throw new RangeError(`unknown transaction state ${buf.readInt8(p + 14)}`);
  const count = buf.readInt32BE(p + 15);
  p += 19;
  const partitions = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const topic = readString(buf, p);
    p = topic.pos;
    const n = buf.readInt32BE(p);
    if (n < 0 || p + 4 + 4 * n > buf.length) throw new RangeError('partition list out of bounds');
    p += 4;
    const parts: number[] = [];
    for (let j = 0; j < n; j++) parts.push(buf.readInt32BE(p + 4 * j));
    p += 4 * n;
    partitions.set(topic.value, parts);
  }
  const lastUpdateTimestampMs = Number(buf.readBigInt64BE(p));
  const startTimestampMs = Number(buf.readBigInt64BE(p + 8));
  if (p + 16 !== buf.length) throw new RangeError('trailing bytes in __transaction_state value');
  return { producerId, producerEpoch, transactionTimeoutMs, state, partitions, lastUpdateTimestampMs, startTimestampMs };
}
