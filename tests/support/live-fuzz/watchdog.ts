// The fuzzer's liveness check: one well-behaved connection asks ApiVersions every
// `intervalMs`, and every few rounds a real Metadata, Produce or Fetch of the watchdog
// topic. A probe not answered within `boundMs` (or the broker closing this connection)
// is a hang.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ApiVersionsApi, FetchApi, MetadataApi, ProduceApi } from '@samsa/protocol';
import { WATCHDOG_TOPIC } from './fuzz-target.js';
import { RequestClient } from './request-client.js';
import { apiVersionsRequest, fetchRequest, metadataRequest, produceRequest } from './well-formed-requests.js';

export interface WatchdogOptions {
  intervalMs: number;
  boundMs: number;
  /** A probe answered but slower than this is reported through `onSlowProbe`. */
  slowProbeMs: number;
  /** Called with each answered probe slower than `slowProbeMs`. */
  onSlowProbe?: (probe: SlowProbe) => void;
}

/** An answered probe that took longer than the slow-probe threshold: the broker stalled. */
export interface SlowProbe {
  what: string;
  startedAt: number;
  answeredAt: number;
  latencyMs: number;
}

export interface WatchdogStats {
  probes: number;
  /** Slowest answered probe, ms. */
  maxLatencyMs: number;
}

export class Watchdog {
  readonly #opts: WatchdogOptions;
  readonly #client: RequestClient;
  #stopped = false;
  #probes = 0;
  #maxLatencyMs = 0;
  #lastAnsweredAt = Date.now();
  #probeStartedAt = Date.now();
  #failure: string | null = null;
  #loop: Promise<void> | undefined;
  #onFailure: (reason: string) => void = () => undefined;

  private constructor(client: RequestClient, opts: WatchdogOptions) {
    this.#client = client;
    this.#opts = opts;
  }

  static async start(bootstrap: string, opts: WatchdogOptions, onFailure: (reason: string) => void): Promise<Watchdog> {
    const dog = new Watchdog(await RequestClient.open(bootstrap, opts.boundMs), opts);
    dog.#onFailure = onFailure;
    dog.#loop = dog.#run();
    return dog;
  }

  /** When a probe was last answered (epoch ms). */
  get lastAnsweredAt(): number {
    return this.#lastAnsweredAt;
  }

  /** When the latest probe was sent (epoch ms): after a hang, the probe that got no answer. */
  get probeStartedAt(): number {
    return this.#probeStartedAt;
  }

  get failure(): string | null {
    return this.#failure;
  }

  get stats(): WatchdogStats {
    return { probes: this.#probes, maxLatencyMs: this.#maxLatencyMs };
  }

  async #run(): Promise<void> {
    let round = 0;
    while (!this.#stopped) {
      round++;
      const started = Date.now();
      this.#probeStartedAt = started;
      const what = this.#probeName(round);
      try {
        await this.#probe(round);
      } catch (err) {
        if (this.#stopped) return;
        // The answer may be queued behind the timer in this process's own event loop;
        // give it two turns before calling it a hang.
        await nextTurn();
        await nextTurn();
        this.#failure = `watchdog ${what} (round ${round}) not answered within ${this.#opts.boundMs} ms: ${err instanceof Error ? err.message : String(err)}`;
        this.#onFailure(this.#failure);
        return;
      }
      const now = Date.now();
      this.#probes++;
      this.#lastAnsweredAt = now;
      this.#maxLatencyMs = Math.max(this.#maxLatencyMs, now - started);
      if (now - started > this.#opts.slowProbeMs) this.#opts.onSlowProbe?.({ what, startedAt: started, answeredAt: now, latencyMs: now - started });
      const wait = this.#opts.intervalMs - (now - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  #probeName(round: number): string {
    if (round % 10 === 3) return 'Metadata v9';
    if (round % 10 === 6) return 'Produce v9';
    if (round % 10 === 9) return 'Fetch v12';
    return 'ApiVersions v3';
  }

  async #probe(round: number): Promise<void> {
    const bound = this.#opts.boundMs;
    if (round % 10 === 3) {
      const res = await this.#client.request(MetadataApi, 9, metadataRequest([WATCHDOG_TOPIC]), bound);
      if (res.topics.length !== 1) throw new Error(`Metadata answered ${res.topics.length} topics`);
    } else if (round % 10 === 6) {
      await this.#client.request(ProduceApi, 9, produceRequest(WATCHDOG_TOPIC, 0, 3, `round-${round}`), bound);
    } else if (round % 10 === 9) {
      await this.#client.request(FetchApi, 12, fetchRequest(WATCHDOG_TOPIC, 0, 0), bound);
    } else {
      const res = await this.#client.request(ApiVersionsApi, 3, apiVersionsRequest(), bound);
      if (res.errorCode !== 0) throw new Error(`ApiVersions error ${res.errorCode}`);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#client.close();
    await this.#loop;
  }
}
