/**
 * The options `samsa` takes before the command name, as Kafka's tools and
 * kcat users type them: `samsa -b host:port topic list`.
 *
 *   --bootstrap-server/-b B   (also --bootstrap-server=B, -bB) the broker
 *                             address of the command; a -b given after the
 *                             command name wins over this one
 *   --help/-h                 the list of commands
 *   --version/-V              the package version
 *
 * Anything else starting with '-' before the command is a usage error, so a
 * mistyped flag is never taken for the command name.
 */
import { UsageError } from './usage-error.js';

/** What the leading options said, and the command with its own arguments. */
export interface GlobalOptions {
  bootstrap: string | undefined;
  help: boolean;
  version: boolean;
  /** The command name; undefined when none was given. */
  command: string | undefined;
  /** The command's own arguments (everything after its name). */
  args: string[];
}

/** Splits `argv` into the leading global options, the command name and its arguments. */
export function parseGlobalOptions(argv: readonly string[]): GlobalOptions {
  const out: GlobalOptions = { bootstrap: undefined, help: false, version: false, command: undefined, args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') break;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-h' || a === '--help') out.help = true;
    else if (a === '-V' || a === '--version') out.version = true;
    else if (a === '-b' || a === '--bootstrap-server') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) throw new UsageError(`${a} expects host:port, e.g. 'samsa ${a} 127.0.0.1:9092 topic list'`);
      out.bootstrap = value;
      i++;
    } else if (a.startsWith('--bootstrap-server=')) out.bootstrap = a.slice('--bootstrap-server='.length);
    else if (a.startsWith('-b') && !a.startsWith('--')) out.bootstrap = a.slice(2);
    else throw new UsageError(`unknown option '${a}' before the command: only --bootstrap-server/-b, --help and --version go there. Run 'samsa --help'.`);
  }
  out.command = argv[i];
  out.args = argv.slice(i + 1);
  return out;
}

/** Whether the command's own arguments name a broker address already. */
export function namesBootstrap(args: readonly string[]): boolean {
  return args.some((a) => a === '-b' || a === '--bootstrap-server' || a.startsWith('--bootstrap-server=') || (a.startsWith('-b') && !a.startsWith('--')));
}
