/**
 * Hands out producer ids (InitProducerId) from blocks reserved durably in the
 * metadata store, Kafka's scheme (blocks of 1000, KIP-730). The next block is
 * reserved in the background once 90 % of the current one is used, so an
 * InitProducerId rarely waits on a metadata write. Ids are never reused: a
 * block cut short by a restart is skipped.
 */
import type { MetadataStore } from '../../metadata/metadata-store.js';

/** Kafka's producer id block size. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** Largest producer id (int64 in Kafka; kept to safe integers here, which no cluster reaches). */
const MAX_PRODUCER_ID = Number.MAX_SAFE_INTEGER;

interface Block {
  next: number;
  end: number;
}

/** Allocates producer ids unique over the life of the cluster. */
export class ProducerIdManager {
  #store: Pick<MetadataStore, 'allocateProducerIdBlock'>;
  #blockSize: number;
  #current: Block | null = null;
  #prefetch: Promise<Block> | null = null;

  constructor(store: Pick<MetadataStore, 'allocateProducerIdBlock'>, blockSize = PRODUCER_ID_BLOCK_SIZE) {
    this.#store = store;
    this.#blockSize = blockSize;
  }

  /** The next unused producer id. Rejects only if the metadata store cannot persist a new block. */
  async generate(): Promise<number> {
    for (;;) {
      const b = this.#current;
      if (b !== null && b.next < b.end) {
        const id = b.next++;
        if (b.end - b.next <= this.#blockSize / 10) this.#startPrefetch();
        return id;
      }
      this.#startPrefetch();
      const prefetch = this.#prefetch;
      if (prefetch === null) continue;
      try {
        const next = await prefetch;
        // Another caller may already have installed it.
        if (this.#current === null || this.#current.next >= this.#current.end) this.#current = next;
      } finally {
        if (this.#prefetch === prefetch) this.#prefetch = null;
      }
    }
  }

  #startPrefetch(): void {
    if (this.#prefetch !== null) return;
    this.#prefetch = this.#store.allocateProducerIdBlock(this.#blockSize).then(({ firstProducerId, size }) => {
      if (firstProducerId + size > MAX_PRODUCER_ID) throw new RangeError('producer ids exhausted');
      return { next: firstProducerId, end: firstProducerId + size };
    });
    // A failed background reservation surfaces in the generate() that awaits it.
    this.#prefetch.catch(() => undefined);
  }
}
