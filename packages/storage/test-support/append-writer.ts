// Child process for the kill -9 test: appends batches to one partition log in
// a loop and prints "ack <lastOffset>" after each append resolves. The parent
// kills it with SIGKILL at an arbitrary point and checks that every
// acknowledged offset survived.
//   node append-writer.js <logDir> <topic>
import { defaultLogConfig } from '../src/log-config.js';
import { PartitionLog } from '../src/partition-log.js';
import { makeBatch } from './batches.js';

const [logDir, topic] = process.argv.slice(2);
const log = await PartitionLog.open({
  dir: logDir,
  topic,
  partition: 0,
  // Small segments so the run crosses rolls too.
  config: { ...defaultLogConfig, segmentBytes: 64 * 1024, indexIntervalBytes: 1024 },
});
process.stdout.write(`ready ${log.logEndOffset}\n`);
for (let i = 0; ; i++) {
  const r = await log.append(makeBatch(1 + (i % 7), { prefix: `w${i}`, valueBytes: 50 + (i % 300) }));
  process.stdout.write(`ack ${r.lastOffset}\n`);
}
