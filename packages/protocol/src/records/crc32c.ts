import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC-32C (Castagnoli) of `buf`, as used by magic-2 record batches. `initial` continues
 * a previous result so a checksum can be computed over several slices without a copy.
 * Returns an unsigned 32-bit value (the native binding already does; `>>> 0` guards it).
 */
export function crc32c(buf: Buffer, initial?: number): number {
  return nativeCrc32c(buf, initial) >>> 0;
}
