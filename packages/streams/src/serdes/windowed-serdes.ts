/**
 * Serdes of windowed keys, byte-compatible with Kafka's
 * `WindowedSerdes.timeWindowedSerdeFrom`: the inner key's bytes followed by
 * the window start as an int64 (big-endian). The window end is not written;
 * the deserializer adds the window size to the start.
 */
import type { Windowed } from '../dsl/windows.js';
import { StreamsError } from '../streams-error.js';
import type { Serde } from './serde.js';

export const WindowedSerdes = {
  timeWindowed<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
    return {
      name: `TimeWindowed<${inner.name}>`,
      serialize(topic, data, headers) {
        const key = inner.serialize(topic, data.key, headers);
        const out = Buffer.allocUnsafe(key.length + 8);
        key.copy(out, 0);
        out.writeBigInt64BE(BigInt(data.window.start), key.length);
        return out;
      },
      deserialize(topic, data, headers) {
        if (data.length < 8) throw new StreamsError('SAMSA_ERR_STREAMS_SERDE', `TimeWindowed serde (topic ${topic}): ${data.length} bytes cannot hold a window start`);
        const start = Number(data.readBigInt64BE(data.length - 8));
        return { key: inner.deserialize(topic, data.subarray(0, data.length - 8), headers), window: { start, end: start + windowSizeMs } };
      },
    };
  },
} as const;
