/**
 * `samsa topic <create|list|describe|delete|alter-config>`: topic admin over
 * the Kafka protocol, so it works against any Kafka-compatible broker.
 * Broker address: --bootstrap-server, else $SAMSA_BOOTSTRAP, else 127.0.0.1:9092.
 */
import { KafkaError, type Admin } from '@samsa/client';
import { bootstrapServer, connectAdmin } from '../broker-connection.js';
import { parseFlags } from '../flags.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage:
  samsa topic create <name> [--partitions N] [--replication-factor N] [--config key=value ...]
  samsa topic list
  samsa topic describe [<name> ...]
  samsa topic delete <name> [<name> ...]
  samsa topic alter-config <name> [--set key=value ...] [--delete key ...]
common options: --bootstrap-server/-b host:port (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

export async function runTopic(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const { values, positionals } = parseFlags('topic', rest, {
    'bootstrap-server': { type: 'string', short: 'b' },
    partitions: { type: 'string', short: 'p' },
    'replication-factor': { type: 'string', short: 'r' },
    config: { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
    delete: { type: 'string', multiple: true },
  });
  const bootstrap = bootstrapServer(values['bootstrap-server']);
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
  // Usage mistakes are reported before connecting (exit code 2 even with no broker running).
  if (sub === 'create' || sub === 'delete' || sub === 'alter-config') needName();
  intOption('partitions', values.partitions);
  intOption('replication-factor', values['replication-factor']);
  pairs('config', values.config);
  pairs('set', values.set);
  if (sub === 'alter-config' && (values.set ?? []).length === 0 && (values.delete ?? []).length === 0) {
    throw new UsageError('alter-config needs --set key=value or --delete key');
  }

  const admin: Admin = await connectAdmin(bootstrap);
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
