/**
 * ListTransactions (key 66), versions 0-1: the transactional ids this
 * coordinator knows, filtered by state names (Kafka's: Empty, Ongoing,
 * PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead,
 * PrepareEpochFence; unknown names are echoed in UnknownStateFilters), by
 * producer ids, and (v1) by a minimum running time (DurationFilter: only
 * transactions started at least that many ms ago).
 *
 * Not served: v2 (TransactionalIdPattern).
 */
import { ErrorCode, ListTransactionsApi, type ListTransactionsRequest, type ListTransactionsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import { TXN_STATE_IDS } from '../coordinators/txn/transaction-log-records.js';
import type { ApiHandler } from '../request-context.js';

export function listTransactionsHandler(s: BrokerServices): ApiHandler<ListTransactionsRequest, ListTransactionsResponse> {
  return {
    api: ListTransactionsApi,
    minVersion: 0,
    maxVersion: 1,
    handle(ctx, req) {
      const known = new Set(Object.keys(TXN_STATE_IDS));
      const unknownStateFilters = req.stateFilters.filter((f) => !known.has(f));
      const states = new Set(req.stateFilters);
      const producerIds = new Set(req.producerIdFilters);
      const minDurationMs = ctx.apiVersion >= 1 ? req.durationFilter : -1;
      const now = Date.now();
      const transactionStates: ListTransactionsResponse['transactionStates'] = [];
      for (const m of s.txns.all()) {
        if (states.size > 0 && !states.has(m.state)) continue;
        if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
        if (minDurationMs >= 0 && (m.state !== 'Ongoing' || now - m.startTimestampMs < minDurationMs)) continue;
        transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
    },
  };
}
