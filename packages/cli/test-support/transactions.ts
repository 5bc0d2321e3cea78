/**
 * Transactions written at the protocol level (InitProducerId,
 * AddPartitionsToTxn, Produce, EndTxn), so tests control exactly which ones
 * are ongoing, committed or aborted.
 */
import { Connection } from '@samsa/client';
import { AddPartitionsToTxnApi, EndTxnApi, ErrorCode, InitProducerIdApi, ProduceApi, ZERO_UUID, encodeRecordBatchSync } from '@samsa/protocol';

export interface OpenTransaction {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** Commits (true) or aborts the transaction. */
  end(commit: boolean): Promise<void>;
}

function check(what: string, code: number): void {
  if (code !== ErrorCode.NONE) throw new Error(`${what} failed with error code ${code}`);
}

/**
 * Starts a transaction of `transactionalId` that wrote one record (`records`
 * of them) to each of `partitions` of `topic`, and leaves it open.
 */
export async function beginTransaction(conn: Connection, transactionalId: string, topic: string, partitions: number[], records = 1): Promise<OpenTransaction> {
  const init = await conn.send(InitProducerIdApi, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
  check(`InitProducerId ${transactionalId}`, init.errorCode);
  const { producerId, producerEpoch } = init;
  const added = await conn.send(AddPartitionsToTxnApi, 3, {
    transactions: [],
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  for (const r of added.resultsByTopicV3AndBelow[0].resultsByPartition) check(`AddPartitionsToTxn ${transactionalId}`, r.partitionErrorCode);
  for (const partition of partitions) {
    const batch = encodeRecordBatchSync({
      baseTimestamp: Date.now(),
      producerId,
      producerEpoch,
      baseSequence: 0,
      isTransactional: true,
      records: Array.from({ length: records }, (_, i) => ({ key: null, value: Buffer.from(`${transactionalId}-${i}`), headers: [] })),
    });
    const res = await conn.send(ProduceApi, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records: batch }] }] });
    check(`Produce ${transactionalId}`, res.responses[0].partitionResponses[0].errorCode);
  }
  return {
    transactionalId,
    producerId,
    producerEpoch,
    async end(commit: boolean) {
      const res = await conn.send(EndTxnApi, 3, { transactionalId, producerId, producerEpoch, committed: commit });
      check(`EndTxn ${transactionalId}`, res.errorCode);
    },
  };
}
