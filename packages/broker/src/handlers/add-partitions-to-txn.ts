/**
 * AddPartitionsToTxn (key 24), versions 0-3: a transactional producer names
 * the partitions it is about to write, before writing them. The transaction
 * coordinator records them in `__transaction_state` (state Ongoing) and
 * answers per partition (see coordinators/txn/transaction-coordinator.ts).
 *
 * Errors: INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH (v0-1) /
 * PRODUCER_FENCED (v2+), CONCURRENT_TRANSACTIONS while the previous
 * transaction's markers are written, UNKNOWN_TOPIC_OR_PARTITION for missing
 * partitions with OPERATION_NOT_ATTEMPTED for the others.
 *
 * Not served: v4+ (batched, broker-to-broker verification, KIP-890).
 */
import { AddPartitionsToTxnApi, ErrorCode, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';
import { fencedCodeForVersion } from './txn-errors.js';

export function addPartitionsToTxnHandler(s: BrokerServices): ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> {
  return {
    api: AddPartitionsToTxnApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(ctx, req) {
      const partitions = req.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
      const codes = await s.txns.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, partitions);
      let i = 0;
      const resultsByTopicV3AndBelow = req.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: fencedCodeForVersion(codes[i++], ctx.apiVersion, 2) })),
      }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow };
    },
  };
}
