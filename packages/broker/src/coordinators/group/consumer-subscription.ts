/**
 * Reading the topics out of a consumer-protocol member's subscription
 * metadata: OffsetDelete and offset retention keep what members subscribe to.
 */
import { Reader, decodeConsumerProtocolSubscription } from '@samsa/protocol';

/**
 * Topics in a consumer-protocol subscription, or null when it does not decode. Whatever the
 * version, the body is read as v0 (topics, user data): every version starts with the v0
 * fields, so this also reads versions newer than the codec knows (Kafka reads it the same way).
 */
export function subscribedTopicsOf(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.readInt16();
    if (version < 0) return null;
    return decodeConsumerProtocolSubscription(r, 0).topics;
  } catch {
    return null;
  }
}
