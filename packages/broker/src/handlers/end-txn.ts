/**
 * EndTxn (key 26), versions 0-3: commits or aborts the producer's ongoing
 * transaction. Answered once the markers are in every partition of the
 * transaction (and the offsets of its TxnOffsetCommits are visible or
 * dropped). Errors: INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH
 * (v0-1) / PRODUCER_FENCED (v2+), CONCURRENT_TRANSACTIONS,
 * INVALID_TXN_STATE (nothing to end, or the opposite of what a retried
 * request already did); see coordinators/txn/transaction-coordinator.ts.
 *
 * Not served: v4 (TRANSACTION_ABORTABLE), v5 (KIP-890 epoch bump per
 * transaction, which clients use only when the broker advertises it).
 */
import { EndTxnApi, type EndTxnRequest, type EndTxnResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';
import { fencedCodeForVersion } from './txn-errors.js';

export function endTxnHandler(s: BrokerServices): ApiHandler<EndTxnRequest, EndTxnResponse> {
  return {
    api: EndTxnApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(ctx, req) {
      const code = await s.txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
      return { throttleTimeMs: 0, errorCode: fencedCodeForVersion(code, ctx.apiVersion, 2), producerId: -1, producerEpoch: -1 };
    },
  };
}
