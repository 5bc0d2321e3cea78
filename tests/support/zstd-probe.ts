import * as zlib from 'node:zlib';

/** node:zlib's zstd compressor when the runtime has it (Node >= 22.15), else undefined. */
export const zstdCompressSync: unknown = (zlib as Record<string, unknown>)['zstdCompressSync'];
