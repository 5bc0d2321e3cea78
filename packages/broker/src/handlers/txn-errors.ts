import { ErrorCode } from '@samsa/protocol';

/**
 * PRODUCER_FENCED (KIP-588) is answered only to request versions that know
 * it; older versions get INVALID_PRODUCER_EPOCH, as Kafka does.
 */
export function fencedCodeForVersion(code: number, version: number, firstVersionWithFenced: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}
