/**
 * `stream.split()`: routes each record to the first branch whose predicate
 * holds (Kafka's BranchedKStream). The result maps branch names to
 * streams: the split's name plus the branch's name, or its position
 * counted from 1 when unnamed, and `0` for an unnamed default branch, as in
 * Kafka.
 */
import { StreamsError } from '../streams-error.js';
import type { Branched } from './options.js';
import { branchProcessor, passThroughProcessor } from './stateless-processors.js';
import { KStream } from './kstream.js';

interface Branch<K, V> {
  predicate: (key: K, value: V) => boolean;
  branched: Branched<KStream<K, V>>;
}

export class BranchedKStream<K, V> {
  readonly #source: KStream<K, V>;
  readonly #splitName: string;
  readonly #prefix: string;
  readonly #branches: Array<Branch<K, V>> = [];
  #done = false;

  /** @internal Use KStream.split(). */
  constructor(source: KStream<K, V>, splitName: string, prefix: string) {
    this.#source = source;
    this.#splitName = splitName;
    this.#prefix = prefix;
  }

  /** Adds a branch taking the records (not taken by an earlier branch) for which `predicate` holds. */
  branch(predicate: (key: K, value: V) => boolean, branched: Branched<KStream<K, V>> = {}): this {
    if (this.#done) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', 'split(): no branch can be added after defaultBranch() or noDefaultBranch()');
    this.#branches.push({ predicate, branched });
    return this;
  }

  /** Ends the split with a branch for every record no predicate took. */
  defaultBranch(branched: Branched<KStream<K, V>> = {}): Record<string, KStream<K, V>> {
    return this.#finish(branched);
  }

  /** Ends the split; records no predicate took are dropped. */
  noDefaultBranch(): Record<string, KStream<K, V>> {
    return this.#finish(null);
  }

  #finish(defaultBranched: Branched<KStream<K, V>> | null): Record<string, KStream<K, V>> {
    if (this.#done) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', 'split(): already ended');
    this.#done = true;
    const { builder } = this.#source;
    const topology = builder.topology;
    const entries: Array<{ key: string; child: string; branched: Branched<KStream<K, V>> }> = this.#branches.map((b, i) => ({
      key: `${this.#prefix}${b.branched.name ?? String(i + 1)}`,
      child: `${this.#splitName}-${b.branched.name ?? String(i + 1)}`,
      branched: b.branched,
    }));
    const defaultEntry = defaultBranched === null ? null : { key: `${this.#prefix}${defaultBranched.name ?? '0'}`, child: `${this.#splitName}-${defaultBranched.name ?? '0'}`, branched: defaultBranched };
    topology.addProcessor(
      this.#splitName,
      branchProcessor(this.#branches.map((b) => b.predicate), entries.map((e) => e.child), defaultEntry?.child ?? null),
      this.#source.nodeName,
    );
    const out: Record<string, KStream<K, V>> = {};
    for (const e of defaultEntry === null ? entries : [...entries, defaultEntry]) {
      topology.addProcessor(e.child, passThroughProcessor<K, V>(), this.#splitName);
      let stream: KStream<K, V> = new KStream(builder, e.child, this.#source.keySerde, this.#source.valueSerde, this.#source.repartitionRequired);
      if (e.branched.chain !== undefined) {
        const chained = e.branched.chain(stream);
        if (chained === undefined) continue;
        stream = chained;
      }
      out[e.key] = stream;
    }
    return out;
  }
}
