/**
 * The `samsa` command. Subcommands:
 *   server [--config FILE] [--set key=value ...]   run a broker in the foreground
 *   topic create|list|describe|delete|alter-config   topic admin over the wire protocol
 *   group list|describe|reset-offsets|delete|delete-offsets   consumer group admin
 *   produce --topic T [--file F]   one record per line of a file or stdin
 *   perf produce|consume   load tests (kafka-*-perf-test)
 *   cluster describe   cluster id, controller, brokers
 *   txn list|describe|producers   transactions (kafka-transactions.sh)
 *
 * Errors: a usage mistake is one line and exit code 2; a failure (unreachable
 * broker, broker error, unreadable file) one line and exit code 1.
 */
import { runServer } from './commands/server.js';
import { runTopic } from './commands/topic.js';
import { runGroup } from './commands/group.js';
import { runConsume } from './commands/consume.js';
import { runProduce } from './commands/produce.js';
import { runPerf } from './commands/perf.js';
import { runCluster } from './commands/cluster.js';
import { runTxn } from './commands/txn.js';
import { ClientError, ConnectionError, KafkaError } from '@samsa/client';
import { CommandError } from './command-error.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: samsa <command> [options]

commands:
  server [--config FILE] [--set key=value ...]   start a broker in the foreground
  topic <create|list|describe|delete|alter-config> [options]   manage topics (samsa topic --help)
  group <list|describe|reset-offsets|delete|delete-offsets> [options]   manage consumer groups (samsa group --help)
  produce --topic T [--file F] [options]   write one record per line of F or stdin (samsa produce --help)
  perf <produce|consume> [options]   load tests (samsa perf --help)
  cluster describe   cluster id, controller and brokers
  txn <list|describe|producers> [options]   transactions (samsa txn --help)
broker address: --bootstrap-server/-b host:port, else $SAMSA_BOOTSTRAP, else 127.0.0.1:9092
`;

/** Runs the samsa command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'server':
        return await runServer(rest);
      case 'topic':
      case 'topics':
        return await runTopic(rest);
      case 'group':
      case 'groups':
        return await runGroup(rest);
      case 'consume':
        return await runConsume(rest);
      case 'produce':
        return await runProduce(rest);
      case 'perf':
        return await runPerf(rest);
      case 'cluster':
        return await runCluster(rest);
      case 'txn':
      case 'transactions':
        return await runTxn(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command '${command}'. Run 'samsa --help' for the list of commands.`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`samsa: ${err.message}\n`);
      return 2;
    }
    // One line for every failure the user can act on; anything else is a bug and keeps its stack.
    if (err instanceof CommandError || err instanceof KafkaError || err instanceof ConnectionError || err instanceof ClientError || err instanceof AggregateError) {
      process.stderr.write(`samsa: ${oneLine(err.message)}\n`);
      return 1;
    }
    throw err;
  }
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}
