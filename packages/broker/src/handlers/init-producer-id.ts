/**
 * InitProducerId (key 22), versions 0-5.
 *
 * Idempotent producers (TransactionalId null): every request gets a new
 * producer id with epoch 0, from blocks reserved durably in the metadata
 * store (coordinators/txn/producer-id-manager.ts). That includes the KIP-360
 * form (v3+) where the client names its current id and epoch to have the
 * epoch bumped after an UNKNOWN_PRODUCER_ID or OUT_OF_ORDER_SEQUENCE_NUMBER:
 * like Kafka, the broker does not track idempotent producers outside the
 * partitions, so a fresh id is the bump.
 *
 * Transactional producers: handled by the transaction coordinator (fences
 * the previous producer of the id: epoch bump, ongoing transaction aborted;
 * INVALID_TRANSACTION_TIMEOUT above transaction.max.timeout.ms;
 * CONCURRENT_TRANSACTIONS while markers are written; see
 * coordinators/txn/transaction-coordinator.ts). PRODUCER_FENCED is answered
 * from v4 only, INVALID_PRODUCER_EPOCH before.
 *
 * Versions: v2 flexible; v3 adds ProducerId/ProducerEpoch; v4 answers
 * PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH (transactions only);
 * v5 is the same as v4 on the wire (KIP-890 client marker). v6 (two-phase
 * commit, KIP-939) is not served.
 */
import { ErrorCode, InitProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';
import { fencedCodeForVersion } from './txn-errors.js';

export function initProducerIdHandler(s: BrokerServices): ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  return {
    api: InitProducerIdApi,
    minVersion: 0,
    maxVersion: 5,
    async handle(ctx, req) {
      const response = (errorCode: number, producerId = -1, producerEpoch = -1): InitProducerIdResponse => ({
        throttleTimeMs: 0,
        errorCode,
        producerId,
        producerEpoch,
        ongoingTxnProducerId: -1,
        ongoingTxnProducerEpoch: -1,
      });
      if (req.transactionalId !== null) {
        const r = await s.txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch);
        return response(fencedCodeForVersion(r.errorCode, ctx.apiVersion, 4), r.producerId, r.producerEpoch);
      }
      try {
        return response(ErrorCode.NONE, await s.producerIds.generate(), 0);
      } catch (err) {
        s.logger.error({ err }, 'reserving a producer id block failed');
        return response(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    },
  };
}
