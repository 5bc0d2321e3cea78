/**
 * AddOffsetsToTxn (key 25), versions 0-3: adds the consumer group's
 * `__consumer_offsets` partition to the transaction, so its TxnOffsetCommit
 * becomes visible (or is dropped) with the transaction's marker. Creates
 * `__consumer_offsets` if needed. Errors as AddPartitionsToTxn
 * (PRODUCER_FENCED from v2); COORDINATOR_NOT_AVAILABLE if the offsets topic
 * cannot be created.
 *
 * Not served: v4 (KIP-890 transaction version 2).
 */
import { AddOffsetsToTxnApi, ErrorCode, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import { OFFSETS_TOPIC } from '../coordinators/group/offsets-topic.js';
import type { ApiHandler } from '../request-context.js';
import { fencedCodeForVersion } from './txn-errors.js';

export function addOffsetsToTxnHandler(s: BrokerServices): ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
  return {
    api: AddOffsetsToTxnApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(ctx, req) {
      try {
        await s.offsetsTopic.ensureTopic();
      } catch (err) {
        s.logger.error({ err }, 'creating __consumer_offsets failed');
        return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      }
      const partition = s.offsetsTopic.partitionFor(req.groupId);
      if (partition === null) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      const [code] = await s.txns.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition }]);
      return { throttleTimeMs: 0, errorCode: fencedCodeForVersion(code, ctx.apiVersion, 2) };
    },
  };
}
