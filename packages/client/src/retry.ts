/**
 * Retry policy shared by the producer and the metadata layer: a bounded
 * number of retries, each after an exponentially growing, jittered pause.
 *
 *   pause(n) = min(maxRetryTimeMs, initialRetryTimeMs * multiplier^(n-1)) * (1 ± factor)
 *
 * for the n-th retry (n >= 1). The jitter spreads the retries of many clients
 * after a shared failure (a broker restart) so they do not all return at once.
 */
import { ClientError } from './client-error.js';

/** Retry options, as in kafkajs (with the unit in the name). */
export interface RetryOptions {
  /** How many times a failed request is retried before the error is reported; 5 by default. */
  retries?: number;
  /** Pause before the first retry; 300 ms by default. */
  initialRetryTimeMs?: number;
  /** Upper bound of any pause; 30 s by default. */
  maxRetryTimeMs?: number;
  /** Growth of the pause per retry; 2 by default. */
  multiplier?: number;
  /** Jitter: each pause is scaled by a random factor in [1 - factor, 1 + factor]; 0.2 by default. */
  factor?: number;
}

/** A validated {@link RetryOptions} with every field set. */
export interface RetryPolicy {
  readonly retries: number;
  readonly initialRetryTimeMs: number;
  readonly maxRetryTimeMs: number;
  readonly multiplier: number;
  readonly factor: number;
}

/** Fills defaults and checks ranges; throws ClientError(SAMSA_ERR_INVALID_CONFIG). */
export function retryPolicy(opts: RetryOptions = {}): RetryPolicy {
  const p: RetryPolicy = {
    retries: opts.retries ?? 5,
    initialRetryTimeMs: opts.initialRetryTimeMs ?? 300,
    maxRetryTimeMs: opts.maxRetryTimeMs ?? 30_000,
    multiplier: opts.multiplier ?? 2,
    factor: opts.factor ?? 0.2,
  };
  const bad = (name: string, why: string): never => {
    throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `retry.${name} ${why}`);
  };
  if (!Number.isInteger(p.retries) || p.retries < 0) bad('retries', `must be a whole number >= 0, got ${p.retries}`);
  if (!(p.initialRetryTimeMs >= 0)) bad('initialRetryTimeMs', `must be >= 0, got ${p.initialRetryTimeMs}`);
  if (!(p.maxRetryTimeMs >= p.initialRetryTimeMs)) bad('maxRetryTimeMs', `must be >= initialRetryTimeMs, got ${p.maxRetryTimeMs}`);
  if (!(p.multiplier >= 1)) bad('multiplier', `must be >= 1, got ${p.multiplier}`);
  if (!(p.factor >= 0 && p.factor < 1)) bad('factor', `must be in [0, 1), got ${p.factor}`);
  return p;
}

/** The pause before retry number `retry` (1 = first retry), with `random()` in [0, 1). */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxRetryTimeMs, policy.initialRetryTimeMs * Math.pow(policy.multiplier, Math.max(0, retry - 1)));
  const jitter = 1 + policy.factor * (2 * random() - 1);
  return Math.max(0, Math.round(exp * jitter));
}
