/**
 * `samsa server [--config FILE] [--set key=value ...]`: runs a broker in the
 * foreground until SIGTERM or SIGINT, then shuts down cleanly (logs flushed,
 * clean-shutdown marker written). Later --set values win over the file.
 */
import { readFile } from 'node:fs/promises';
import { Broker, BrokerConfig, ConfigError, parseProperties } from '@samsa/broker';
import { parseFlags } from '../flags.js';
import { UsageError } from '../usage-error.js';

export async function runServer(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('server', argv, {
    config: { type: 'string', short: 'c' },
    set: { type: 'string', multiple: true, short: 's' },
    help: { type: 'boolean', short: 'h' },
  });
  if (positionals.length > 0) throw new UsageError(`server takes no arguments, got '${positionals[0]}' (a config file goes after --config)`);
  if (values.help) {
    process.stdout.write('usage: samsa server [--config FILE] [--set key=value ...]\n');
    return 0;
  }
  const props = new Map<string, string>();
  if (values.config) {
    let text: string;
    try {
      text = await readFile(values.config, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read config file ${values.config}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    for (const [k, v] of parseProperties(text)) props.set(k, v);
  }
  for (const item of values.set ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value, got '${item}' (example: --set num.partitions=3)`);
    props.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  let config: BrokerConfig;
  try {
    config = BrokerConfig.fromProperties(props);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const broker = await Broker.start(config);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      broker.logger.info({ signal }, 'signal received');
      broker.stop().then(resolve, (err: unknown) => {
        broker.logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
