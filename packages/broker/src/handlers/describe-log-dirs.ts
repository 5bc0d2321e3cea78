/**
 * DescribeLogDirs (key 35), versions 0-4.
 *
 * One result per log dir with the size of each partition stored there
 * (Topics null = every partition). OffsetLag is 0: there are no future
 * replicas being moved between dirs. v4 adds the dir's total and usable
 * bytes, from statfs.
 *
 * A log dir taken offline by a storage fault (a failed fsync or write, see
 * storage's log-dir-health.ts) is reported as Kafka does: ErrorCode
 * KAFKA_STORAGE_ERROR, no topics, sizes -1.
 */
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DescribeLogDirsApi, ErrorCode, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

type DirResult = DescribeLogDirsResponse['results'][number];

export function describeLogDirsHandler(s: BrokerServices): ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> {
  return {
    api: DescribeLogDirsApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(_ctx, req) {
      const wanted = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
      const results: DirResult[] = [];
      for (const dir of s.logDirs) {
        if (s.topics.logDirFailure(dir) !== null) {
          results.push({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: resolve(dir), topics: [], totalBytes: -1, usableBytes: -1, isCordoned: false });
          continue;
        }
        const byTopic = new Map<string, DirResult['topics'][number]>();
        for (const log of s.topics.logsInDir(dir)) {
          if (wanted && !wanted.get(log.topic)?.has(log.partition)) continue;
          let entry = byTopic.get(log.topic);
          if (!entry) byTopic.set(log.topic, (entry = { name: log.topic, partitions: [] }));
          entry.partitions.push({ partitionIndex: log.partition, partitionSize: log.sizeInBytes, offsetLag: 0, isFutureKey: false });
        }
        let totalBytes = -1;
        let usableBytes = -1;
        try {
          const st = await statfs(dir);
          totalBytes = st.blocks * st.bsize;
          usableBytes = st.bavail * st.bsize;
        } catch {
          // Sizes stay -1 (unknown), as Kafka reports when it cannot read them.
        }
        results.push({ errorCode: ErrorCode.NONE, logDir: resolve(dir), topics: [...byTopic.values()], totalBytes, usableBytes, isCordoned: false });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
    },
  };
}
