/**
 * The `samsa` command. Subcommands:
 *   server [--config FILE] [--set key=value ...]   run a broker in the foreground
 *   topic create|list|describe|delete|alter-config   topic admin over the wire protocol
 *   group list|describe|reset-offsets|delete|delete-offsets   consumer group admin
 */
import { runServer } from './commands/server.js';
import { runTopic } from './commands/topic.js';
import { runGroup } from './commands/group.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: samsa <command> [options]

commands:
  server [--config FILE] [--set key=value ...]   start a broker in the foreground
  topic <create|list|describe|delete|alter-config> [options]   manage topics (samsa topic --help)
  group <list|describe|reset-offsets|delete|delete-offsets> [options]   manage consumer groups (samsa group --help)
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
    throw err;
  }
}
