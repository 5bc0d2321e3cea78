// Record batches for storage tests, built with the protocol encoder.
import { encodeRecordBatchSync, decodeRecordBatches, type DecodedRecord } from '@samsa/protocol';

/** A batch of `count` records with values `${prefix}-${i}` padded to `valueBytes`, all at `timestamp` (or increasing from it). */
export function makeBatch(count: number, opts: { timestamp?: number; prefix?: string; valueBytes?: number; increasing?: boolean } = {}): Buffer {
  const ts = opts.timestamp ?? 1_700_000_000_000;
  const prefix = opts.prefix ?? 'v';
  const records = [];
  for (let i = 0; i < count; i++) {
    let v = `${prefix}-${i}`;
    if (opts.valueBytes !== undefined && v.length < opts.valueBytes) v = v.padEnd(opts.valueBytes, '.');
    records.push({ key: Buffer.from(`k${i}`), value: Buffer.from(v), timestamp: opts.increasing ? ts + i : ts });
  }
  return encodeRecordBatchSync({ baseTimestamp: ts, records });
}

/** Decodes every record in `buffers` (with CRC checks). */
export async function decodeAll(buffers: Buffer[]): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  for (const b of buffers) for (const batch of await decodeRecordBatches(b, { verifyCrc: true })) out.push(...batch.records);
  return out;
}

/** Concatenates batches into one append buffer. */
export function concat(...bufs: Buffer[]): Buffer {
  return Buffer.concat(bufs);
}
