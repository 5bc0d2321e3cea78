/**
 * `samsa cluster describe`: cluster id, controller and brokers
 * (DescribeCluster, or Metadata from brokers older than Kafka 2.8).
 */
import { bootstrapServer, withAdmin } from '../broker-connection.js';
import { parseFlags } from '../flags.js';
import { table } from '../table.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage:
  samsa cluster describe     cluster id, controller and brokers
common options: --bootstrap-server/-b host:port (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

/** Runs `samsa cluster <describe>`; resolves with the exit code. */
export async function runCluster(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'describe') throw new UsageError(`unknown cluster command '${sub}': expected describe. Run 'samsa cluster --help'.`);
  const { values, positionals } = parseFlags('cluster', rest, { 'bootstrap-server': { type: 'string', short: 'b' } });
  if (positionals.length > 0) throw new UsageError(`cluster describe takes no arguments, got '${positionals[0]}'`);
  const bootstrap = bootstrapServer(values['bootstrap-server']);
  const cluster = await withAdmin(bootstrap, (admin) => admin.describeCluster());
  const controller = cluster.brokers.find((b) => b.nodeId === cluster.controllerId);
  process.stdout.write(`Cluster ID: ${cluster.clusterId ?? '-'}\n`);
  process.stdout.write(`Controller: ${cluster.controllerId < 0 ? '-' : cluster.controllerId}${controller ? ` (${controller.host}:${controller.port})` : ''}\n`);
  process.stdout.write(`Brokers: ${cluster.brokers.length}\n\n`);
  process.stdout.write(table(['ID', 'HOST', 'PORT', 'RACK'], cluster.brokers.map((b) => [String(b.nodeId), b.host, String(b.port), b.rack ?? '-'])));
  return 0;
}
