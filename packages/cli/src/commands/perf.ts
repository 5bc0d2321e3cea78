/**
 * `samsa perf <produce|consume>`: load tests in the manner of Kafka's
 * kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh
 * (perf-produce.ts, perf-consume.ts).
 */
import { UsageError } from '../usage-error.js';
import { runPerfConsume } from './perf-consume.js';
import { runPerfProduce } from './perf-produce.js';

const USAGE = `usage:
  samsa perf produce --topic T --num-records N --record-size B [--throughput R] [--acks A]
        [--compression C] [--batch-size B] [--linger-ms MS]     producer throughput and latency
  samsa perf consume [options]                                  consumer throughput (samsa perf consume --help)
common options: --bootstrap-server/-b host:port (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

/** Runs `samsa perf <produce|consume>`; resolves with the exit code. */
export async function runPerf(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'produce':
      return runPerfProduce(rest);
    case 'consume':
      return runPerfConsume(rest);
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return sub === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown perf command '${sub}': expected produce or consume. Run 'samsa perf --help'.`);
  }
}
