/**
 * DescribeProducers (key 61), version 0 (flexible): the idempotent and
 * transactional producers each partition knows (its producer state, see
 * storage/producer-state.ts), as `kafka-transactions.sh describe-producers`
 * and Admin.describeProducers show them.
 *
 * Per partition: UNKNOWN_TOPIC_OR_PARTITION for a topic or partition that
 * does not exist. lastSequence and lastTimestamp are those of the producer's
 * last batch (-1 when it has none, e.g. after only a transaction marker).
 */
import { DescribeProducersApi, ErrorCode, type DescribeProducersRequest, type DescribeProducersResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

type PartitionResponse = DescribeProducersResponse['topics'][number]['partitions'][number];

export function describeProducersHandler(s: BrokerServices): ApiHandler<DescribeProducersRequest, DescribeProducersResponse> {
  return {
    api: DescribeProducersApi,
    minVersion: 0,
    maxVersion: 0,
    handle(_ctx, req) {
      const topics = req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex): PartitionResponse => {
          const log = s.metadata.topic(t.name) === undefined ? undefined : s.topics.log(t.name, partitionIndex);
          if (!log) {
            return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
          }
          const activeProducers = [...log.producerState.entries()].map((e) => {
            const last = e.batches.length > 0 ? e.batches[e.batches.length - 1] : null;
            return {
              producerId: e.producerId,
              producerEpoch: e.producerEpoch,
              lastSequence: last?.lastSequence ?? -1,
              lastTimestamp: last?.maxTimestamp ?? -1,
              coordinatorEpoch: e.coordinatorEpoch,
              currentTxnStartOffset: e.currentTxnFirstOffset,
            };
          });
          return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
        }),
      }));
      return { throttleTimeMs: 0, topics };
    },
  };
}
