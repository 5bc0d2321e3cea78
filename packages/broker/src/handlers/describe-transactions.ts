/**
 * DescribeTransactions (key 65), version 0: state, timeout, start time,
 * producer id/epoch and partitions of each named transactional id;
 * TRANSACTIONAL_ID_NOT_FOUND for ids the coordinator does not know.
 * The start time is -1 when no transaction was ever started.
 */
import { DescribeTransactionsApi, ErrorCode, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function describeTransactionsHandler(s: BrokerServices): ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> {
  return {
    api: DescribeTransactionsApi,
    minVersion: 0,
    maxVersion: 0,
    handle(_ctx, req) {
      const transactionStates = req.transactionalIds.map((transactionalId) => {
        const m = s.txns.get(transactionalId);
        if (m === undefined) {
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
        }
        return {
          errorCode: ErrorCode.NONE,
          transactionalId,
          transactionState: m.state,
          transactionTimeoutMs: m.timeoutMs,
          transactionStartTimeMs: m.startTimestampMs,
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          topics: [...m.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) })),
        };
      });
      return { throttleTimeMs: 0, transactionStates };
    },
  };
}
