/**
 * `samsa topic <create|list|describe|delete|alter-config>`: topic admin over
 * the Kafka protocol, so it works against any Kafka-compatible broker.
 * Broker address: --bootstrap-server, else $SAMSA_BOOTSTRAP, else 127.0.0.1:9092.
 */
import { parseArgs } from 'node:util';
import { Admin, ConnectionError, KafkaError } from '@samsa/client';
import { UsageError } from '../usage-error.js';

const USAGE = `usage:
  samsa topic create <name> [--partitions N] [--replication-factor N] [--config key=value ...]
  samsa topic list
  samsa topic describe [<name> ...]
  samsa topic delete <name> [<name> ...]
  samsa topic alter-config <name> [--set key=value ...] [--delete key ...]
common options: --bootstrap-server host:port (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

export async function runTopic(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        'bootstrap-server': { type: 'string', short: 'b' },
        partitions: { type: 'string', short: 'p' },
        'replication-factor': { type: 'string', short: 'r' },
        config: { type: 'string', multiple: true },
        set: { type: 'string', multiple: true },
        delete: { type: 'string', multiple: true },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. Run 'samsa topic --help'.`);
  }
  const { values, positionals } = parsed;
  const bootstrap = values['bootstrap-server'] ?? process.env.SAMSA_BOOTSTRAP ?? '127.0.0.1:9092';
  const needName = (): string => {
    if (positionals.length === 0) throw new UsageError(`topic ${sub} needs a topic name, e.g. 'samsa topic ${sub} orders'`);
    return positionals[0];
  };
  const intOption = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} expects a whole number, got '${value}'`);
    return Number(value);
  };
  const pairs = (flag: string, items: string[] | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const item of items ?? []) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new UsageError(`--${flag} expects key=value, got '${item}' (example: --${flag} retention.ms=86400000)`);
      out[item.slice(0, eq)] = item.slice(eq + 1);
    }
    return out;
  };
  if (!['create', 'list', 'describe', 'delete', 'alter-config'].includes(sub)) {
    throw new UsageError(`unknown topic command '${sub}'. Run 'samsa topic --help'.`);
  }

  let admin: Admin;
  try {
    admin = await Admin.connect(bootstrap, { clientId: 'samsa-cli', timeoutMs: 15_000 });
  } catch (err) {
    if (err instanceof ConnectionError || err instanceof Error) {
      process.stderr.write(`samsa: ${err.message}. Is a broker running there? Start one with 'npx samsa server' or pass --bootstrap-server host:port.\n`);
      return 1;
    }
    throw err;
  }
  try {
    switch (sub) {
      case 'create': {
        const name = needName();
        await admin.createTopics([
          {
            name,
            numPartitions: intOption('partitions', values.partitions),
            replicationFactor: intOption('replication-factor', values['replication-factor']),
            configs: pairs('config', values.config),
          },
        ]);
        process.stdout.write(`Created topic ${name}.\n`);
        return 0;
      }
      case 'list':
        for (const name of await admin.listTopics()) process.stdout.write(`${name}\n`);
        return 0;
      case 'describe': {
        const topics = await admin.describeTopics(positionals.length ? positionals : undefined);
        for (const t of topics) {
          const configs = (await admin.describeTopicConfigs(t.name)).filter((c) => c.source === 1);
          process.stdout.write(
            `Topic: ${t.name}\tTopicId: ${Buffer.from(t.topicId, 'hex').toString('base64url')}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${t.partitions[0]?.replicas.length ?? 0}\tConfigs: ${configs.map((c) => `${c.name}=${c.value}`).join(',')}\n`,
          );
          for (const p of t.partitions) {
            process.stdout.write(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\n`);
          }
        }
        return 0;
      }
      case 'delete':
        if (positionals.length === 0) needName();
        await admin.deleteTopics(positionals);
        process.stdout.write(`Deleted topic${positionals.length > 1 ? 's' : ''} ${positionals.join(', ')}.\n`);
        return 0;
      case 'alter-config': {
        const name = needName();
        const set = pairs('set', values.set);
        const remove = values.delete ?? [];
        if (Object.keys(set).length === 0 && remove.length === 0) {
          throw new UsageError('alter-config needs --set key=value or --delete key');
        }
        await admin.alterTopicConfigs(name, set, remove);
        const configs = (await admin.describeTopicConfigs(name)).filter((c) => c.source === 1);
        process.stdout.write(`Updated ${name}. Overrides now: ${configs.map((c) => `${c.name}=${c.value}`).join(', ') || '(none)'}\n`);
        return 0;
      }
    }
    return 2;
  } catch (err) {
    if (err instanceof KafkaError || err instanceof AggregateError) {
      process.stderr.write(`samsa: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    admin.close();
  }
}
