/**
 * The `samsa` command. Subcommands:
 *   server [--config FILE] [--set key=value ...]   run a broker in the foreground
 *   topic create|list|describe|delete|alter-config   topic admin over the wire protocol
 *   group list|describe|reset-offsets|delete|delete-offsets   consumer group admin
 *   produce --topic T [--file F]   one record per line of a file or stdin
 *   consume --topic T [options]   print a topic's records (kafka-console-consumer)
 *   perf produce|consume   load tests (kafka-*-perf-test)
 *   cluster describe   cluster id, controller, brokers
 *   txn list|describe|producers   transactions (kafka-transactions.sh)
 *
 * Global options go before the command (global-options.ts): `samsa -b
 * host:port topic list`, `samsa --help`, `samsa --version`.
 *
 * Errors: a usage mistake is one line and exit code 2; a failure (unreachable
 * broker, broker error, unreadable file) one line and exit code 1. A closed
 * stdout (`| head`) ends the command quietly with 0 (closed-output.ts).
 */
import { readFileSync } from 'node:fs';
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
import { namesBootstrap, parseGlobalOptions } from './global-options.js';

/** One command of `samsa`: what `samsa --help` says of it, and what runs it. */
interface Command {
  name: string;
  aliases: string[];
  synopsis: string;
  summary: string;
  /** Whether it talks to a broker (so takes --bootstrap-server). */
  usesBroker: boolean;
  run: (args: string[]) => Promise<number>;
}

/** Every command; `samsa --help` is made from this list, so it names each one. */
export const COMMANDS: readonly Command[] = [
  { name: 'server', aliases: [], synopsis: '[--config FILE] [--set key=value ...]', summary: 'start a broker in the foreground', usesBroker: false, run: runServer },
  { name: 'topic', aliases: ['topics'], synopsis: '<create|list|describe|delete|alter-config> [options]', summary: 'manage topics (samsa topic --help)', usesBroker: true, run: runTopic },
  { name: 'group', aliases: ['groups'], synopsis: '<list|describe|reset-offsets|delete|delete-offsets> [options]', summary: 'manage consumer groups (samsa group --help)', usesBroker: true, run: runGroup },
  { name: 'produce', aliases: [], synopsis: '--topic T [--file F] [options]', summary: 'write one record per line of F or stdin (samsa produce --help)', usesBroker: true, run: runProduce },
  { name: 'consume', aliases: [], synopsis: '--topic T [options]', summary: 'print the records of a topic (samsa consume --help)', usesBroker: true, run: runConsume },
  { name: 'perf', aliases: [], synopsis: '<produce|consume> [options]', summary: 'load tests (samsa perf --help)', usesBroker: true, run: runPerf },
  { name: 'cluster', aliases: [], synopsis: 'describe', summary: 'cluster id, controller and brokers', usesBroker: true, run: runCluster },
  { name: 'txn', aliases: ['transactions'], synopsis: '<list|describe|producers> [options]', summary: 'transactions (samsa txn --help)', usesBroker: true, run: runTxn },
];

const USAGE = `usage: samsa [--bootstrap-server/-b host:port] <command> [options]
       samsa --help | --version

commands:
${COMMANDS.map((c) => `  ${c.name} ${c.synopsis}   ${c.summary}\n`).join('')}broker address: --bootstrap-server/-b host:port (before or after the command), else $SAMSA_BOOTSTRAP, else 127.0.0.1:9092
`;

/** Runs the samsa command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const globals = parseGlobalOptions(argv);
    if (globals.version) {
      process.stdout.write(`samsa ${packageVersion()}\n`);
      return 0;
    }
    if (globals.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (globals.command === undefined || globals.command === 'help') {
      process.stdout.write(USAGE);
      return globals.command === undefined ? 1 : 0;
    }
    const name = globals.command;
    const command = COMMANDS.find((c) => c.name === name || c.aliases.includes(name));
    if (command === undefined) throw new UsageError(`unknown command '${name}'. Run 'samsa --help' for the list of commands.`);
    let args = globals.args;
    if (globals.bootstrap !== undefined) {
      if (!command.usesBroker) throw new UsageError(`--bootstrap-server goes with a command that talks to a broker, not '${name}'. Run 'samsa --help'.`);
      // The command's own -b, if any, wins: it is the more specific one.
      if (!namesBootstrap(args)) args = [...args, `--bootstrap-server=${globals.bootstrap}`];
    }
    return await command.run(args);
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

/** The version in packages/cli/package.json (two levels above dist/src/). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}
