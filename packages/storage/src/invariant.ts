/**
 * Programmer-error checks for the storage layer.
 *
 * These stay enabled in production on purpose: a violated log invariant
 * (offsets going backwards, `logStartOffset > highWatermark`, a batch
 * straddling the end of a buffer) means acknowledged data could be served
 * wrongly, and crashing loudly is better than serving it. Nothing catches
 * {@link InvariantError}.
 */

/** Thrown when an internal invariant is broken. Never caught by storage code. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/**
 * Asserts `cond`; throws {@link InvariantError} with `msg` otherwise.
 * `msg` may be a thunk so hot paths do not build strings unless they fail.
 */
export function assert(cond: unknown, msg: string | (() => string)): asserts cond {
  if (!cond) throw new InvariantError(typeof msg === 'string' ? msg : msg());
}
