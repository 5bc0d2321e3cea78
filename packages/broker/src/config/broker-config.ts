// BrokerConfig: the properties file, dynamic updates and built-in defaults
// layered into effective broker values, topic defaults and DescribeConfigs
// entries for the BROKER resource.
//
// Precedence of one broker config name (highest first), as in Kafka:
//   DYNAMIC_BROKER_CONFIG (this broker) > DYNAMIC_DEFAULT_BROKER_CONFIG
//   (cluster default) > STATIC_BROKER_CONFIG (properties file) > DEFAULT_CONFIG.
//
// Synonym chains (log.retention.ms ← minutes ← hours, etc.) resolve to the
// first member that is *set* in any layer, and only when none is set to the
// first member that has a default. For Kafka's own chains, where only the last
// member has a default, this is exactly Kafka's order; it also makes
// node.id (default 0) lose to an explicitly set broker.id.
//
//   log.retention.ms | .minutes | .hours  → retention.ms
//   ---------------- | -------- | ------  | -----------
//   set (x)          | any      | any     | x (negative → -1)
//   unset            | set (m)  | any     | m × 60000
//   unset            | unset    | h / 168 | h × 3600000
//
// Kafka's broker DescribeConfigs shows a chain head's own raw value (so
// log.retention.ms reads null when only log.retention.hours is set); here the
// head of a broker chain (log.retention.ms, log.roll.ms, ...) shows the
// resolved value, which is what operators want to read, with the same source
// and synonyms Kafka reports. Other chain members show their own value.

import {
  clampToSafe,
  ConfigError,
  INVALID_REQUEST,
  parseTyped,
  type ConfigKey,
  type ConfigValue,
  type ParsedValue,
} from './config-def.js';
import { BROKER_CONFIG_DEF, BROKER_CONFIG_SYNONYMS } from './broker-config-keys.js';
import {
  describeConfigType,
  type ConfigCheckResult,
  type ConfigEntryView,
  type ConfigSource,
  type ConfigSynonymView,
} from './config-view.js';
import { parsePerIpOverrides } from './per-ip-overrides.js';
import { parseListeners, parseSecurityProtocolMap, type Listener } from './listeners.js';
import { TOPIC_CONFIG_DEF, TOPIC_CONFIG_SYNONYMS, type BrokerSynonym } from './topic-config.js';

// Re-exported so `BrokerConfig` and the error it throws come from one module.
export { ConfigError } from './config-def.js';

/** Where a dynamic broker update applies: this broker, or the cluster-wide default. */
export type DynamicScope = 'broker' | 'cluster-default';

interface LayerEntry {
  readonly name: string;
  readonly source: ConfigSource;
  readonly parsed: ParsedValue;
  readonly factor: bigint;
}

const SELF = 1n;

/** Convert a chain member's value into the head's unit (hours → ms). Non-integers pass through. */
function convert(entry: LayerEntry): ParsedValue {
  if (entry.factor === SELF || entry.parsed.exact === undefined) return entry.parsed;
  const exact = entry.parsed.exact * entry.factor;
  return { value: clampToSafe(exact), text: exact.toString(), exact };
}

/** Kafka's logRetentionTimeMillis: any negative retention means "forever", shown as -1. */
function normaliseRetention(head: string, parsed: ParsedValue): ParsedValue {
  if (head !== 'log.retention.ms' || parsed.exact === undefined || parsed.exact >= 0n) return parsed;
  return { value: -1, text: '-1', exact: -1n };
}

function setToString(names: readonly string[]): string {
  // Kafka prints a Scala Set here; keep its look so messages match what users search for.
  return `Set(${names.join(', ')})`;
}

/**
 * The broker's configuration: the properties file (static), dynamic updates
 * (per broker and cluster default), and built-in defaults.
 *
 * Read-only values (listeners, node id, directories) are fixed at
 * construction. Dynamic ones are read through `get`/typed getters each time,
 * so an applied update is seen at the next read.
 */
export class BrokerConfig {
  readonly #static: ReadonlyMap<string, ParsedValue>;
  readonly #clusterDefault = new Map<string, ParsedValue>();
  readonly #perBroker = new Map<string, ParsedValue>();

  /** Keys in the properties file that Samsa does not know; accepted and ignored, as Kafka does. */
  readonly unknownKeys: readonly string[];
  /** Human-readable warnings for the startup log (unknown keys, keys that have no effect). */
  readonly warnings: readonly string[];
  /** Parsed `listeners`. */
  readonly listeners: readonly Listener[];
  /** Parsed `advertised.listeners`, or `listeners` when unset. A '' host means "advertise this machine's host name". */
  readonly advertisedListeners: readonly Listener[];
  /** node.id, or broker.id when only that is set, else 0. */
  readonly nodeId: number;
  readonly #logDirs: readonly string[];

  private constructor(staticValues: ReadonlyMap<string, ParsedValue>, unknownKeys: string[], warnings: string[]) {
    this.#static = staticValues;
    this.unknownKeys = unknownKeys;
    this.warnings = warnings;

    const explicitNodeId = staticValues.get('node.id');
    const explicitBrokerId = staticValues.get('broker.id');
    if (explicitNodeId !== undefined && explicitBrokerId !== undefined && explicitNodeId.text !== explicitBrokerId.text) {
      throw new ConfigError(
        `broker.id (${String(explicitBrokerId.text)}) and node.id (${String(explicitNodeId.text)}) must match; set only node.id`,
        { key: 'node.id' },
      );
    }
    this.nodeId = this.getNumber('node.id');

    const dirs = this.getList('log.dirs');
    if (dirs.length === 0 || dirs.some((d) => d === '')) {
      throw new ConfigError('log.dirs must list at least one directory and no empty entries', { key: 'log.dirs' });
    }
    this.#logDirs = dirs;

    // Kafka's rule: a per-IP limit of 0 refuses every address that has no override.
    if (this.getNumber('max.connections.per.ip') === 0 && this.maxConnectionsPerIpOverrides.size === 0) {
      throw new ConfigError('max.connections.per.ip is 0, so max.connections.per.ip.overrides must allow at least one address', {
        key: 'max.connections.per.ip',
      });
    }

    const protocols = parseSecurityProtocolMap('listener.security.protocol.map', this.getString('listener.security.protocol.map') ?? '');
    this.listeners = parseListeners('listeners', this.getString('listeners') ?? '', protocols, { uniquePorts: true });
    if (this.listeners.length === 0) {
      throw new ConfigError('listeners must name at least one listener, e.g. listeners=PLAINTEXT://127.0.0.1:9092', { key: 'listeners' });
    }
    // A listener named SSL or SASL_* would otherwise be served in plain text, which its clients cannot speak.
    const secured = this.listeners.find((l) => l.securityProtocol !== 'PLAINTEXT');
    if (secured !== undefined) {
      throw new ConfigError(
        `listener ${secured.name} uses security protocol ${secured.securityProtocol}; Samsa serves PLAINTEXT listeners only (no TLS or SASL yet)`,
        { key: 'listeners' },
      );
    }
    const advertisedText = this.getString('advertised.listeners');
    this.advertisedListeners =
      advertisedText === null ? this.listeners : parseListeners('advertised.listeners', advertisedText, protocols, { uniquePorts: false });
    const listenerNames = new Set(this.listeners.map((l) => l.name));
    for (const l of this.advertisedListeners) {
      if (!listenerNames.has(l.name)) {
        throw new ConfigError(
          `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${l.name}. ` +
            `The valid options based on the current configuration are ${[...listenerNames].join(',')}`,
          { key: 'advertised.listeners' },
        );
      }
      if (l.host === '0.0.0.0') {
        throw new ConfigError(
          'advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address' +
            (advertisedText === null ? ' (set advertised.listeners when listeners binds 0.0.0.0)' : ''),
          { key: 'advertised.listeners' },
        );
      }
    }
  }

  /**
   * Build from parsed properties (file and `--set` overrides already merged).
   * Unknown keys are accepted and collected in `unknownKeys`, as Kafka logs
   * "supplied but isn't a known config" and carries on.
   * @throws ConfigError naming the key for an invalid value or an inconsistent combination.
   */
  static fromProperties(props: ReadonlyMap<string, string>): BrokerConfig {
    const staticValues = new Map<string, ParsedValue>();
    const unknownKeys: string[] = [];
    const warnings: string[] = [];
    for (const [name, raw] of props) {
      const key = BROKER_CONFIG_DEF.key(name);
      if (key === undefined) {
        unknownKeys.push(name);
        warnings.push(`The configuration '${name}' was supplied but isn't a known config; it is ignored.`);
        continue;
      }
      staticValues.set(name, BROKER_CONFIG_DEF.parse(name, raw));
      const noEffect = BrokerConfig.noEffectWarning(name);
      if (noEffect !== null) warnings.push(noEffect);
    }
    return new BrokerConfig(staticValues, unknownKeys, warnings);
  }

  /** The "accepted, no effect" warning for a key Samsa ignores, or null for a key that has its effect. */
  static noEffectWarning(name: string): string | null {
    const key = BROKER_CONFIG_DEF.key(name);
    return key?.ignored === true ? `The configuration '${name}' is accepted, no effect in Samsa: ${key.doc}` : null;
  }

  // -- Layer resolution ------------------------------------------------------

  /** The layers of one name that hold a value, highest precedence first, and its default last. */
  #layers(name: string, factor: bigint): { set: LayerEntry[]; fallback: LayerEntry | undefined } {
    const set: LayerEntry[] = [];
    const perBroker = this.#perBroker.get(name);
    if (perBroker !== undefined) set.push({ name, source: 'DYNAMIC_BROKER_CONFIG', parsed: perBroker, factor });
    const cluster = this.#clusterDefault.get(name);
    if (cluster !== undefined) set.push({ name, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG', parsed: cluster, factor });
    const fromFile = this.#static.get(name);
    if (fromFile !== undefined) set.push({ name, source: 'STATIC_BROKER_CONFIG', parsed: fromFile, factor });
    const dflt = BROKER_CONFIG_DEF.defaultValue(name);
    return { set, fallback: dflt.text === null ? undefined : { name, source: 'DEFAULT_CONFIG', parsed: dflt, factor } };
  }

  /** Every entry of a chain in resolution order: set values by member order, then defaults. */
  #chainEntries(chain: readonly BrokerSynonym[]): LayerEntry[] {
    const set: LayerEntry[] = [];
    const defaults: LayerEntry[] = [];
    for (const member of chain) {
      const layers = this.#layers(member.name, member.factor);
      set.push(...layers.set);
      if (layers.fallback !== undefined) defaults.push(layers.fallback);
    }
    return [...set, ...defaults];
  }

  /** The chain a broker config name resolves through: the whole group for its head, only itself otherwise. */
  #chainOf(name: string): readonly BrokerSynonym[] {
    return BROKER_CONFIG_SYNONYMS.get(name) ?? [{ name, factor: SELF }];
  }

  #resolve(name: string): ParsedValue {
    const first = this.#chainEntries(this.#chainOf(name))[0];
    if (first === undefined) return { value: null, text: null };
    return normaliseRetention(name, convert(first));
  }

  #keyOf(name: string): ConfigKey {
    const key = BROKER_CONFIG_DEF.key(name);
    if (key === undefined) throw new Error(`unknown broker config: ${name}`);
    return key;
  }

  // -- Reading -----------------------------------------------------------------

  /** The effective value of a known broker config (resolved through its synonyms). Throws for an unknown name. */
  get(name: string): ConfigValue {
    this.#keyOf(name);
    return this.#resolve(name).value;
  }

  /** The effective value in Kafka's string form (null when unset). */
  getText(name: string): string | null {
    this.#keyOf(name);
    return this.#resolve(name).text;
  }

  /** An INT/SHORT/LONG/DOUBLE config as a number. Throws if the config is another type or unset. */
  getNumber(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw new Error(`broker config ${name} is not a set number`);
    return v;
  }

  /** A BOOLEAN config. */
  getBoolean(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== 'boolean') throw new Error(`broker config ${name} is not a boolean`);
    return v;
  }

  /** A STRING/CLASS/PASSWORD config, or null when unset. */
  getString(name: string): string | null {
    const v = this.get(name);
    if (v !== null && typeof v !== 'string') throw new Error(`broker config ${name} is not a string`);
    return v;
  }

  /** A LIST config; unset reads as empty. */
  getList(name: string): string[] {
    const v = this.get(name);
    if (v === null) return [];
    if (!Array.isArray(v)) throw new Error(`broker config ${name} is not a list`);
    return [...(v as readonly string[])];
  }

  /** log.dirs, or log.dir when log.dirs is unset (a fresh copy). */
  get logDirs(): string[] { return [...this.#logDirs]; }
  get clusterId(): string | null { return this.getString('cluster.id'); }
  get brokerRack(): string | null { return this.getString('broker.rack'); }
  get numPartitions(): number { return this.getNumber('num.partitions'); }
  get defaultReplicationFactor(): number { return this.getNumber('default.replication.factor'); }
  get autoCreateTopicsEnable(): boolean { return this.getBoolean('auto.create.topics.enable'); }
  get deleteTopicEnable(): boolean { return this.getBoolean('delete.topic.enable'); }
  get messageMaxBytes(): number { return this.getNumber('message.max.bytes'); }
  get socketRequestMaxBytes(): number { return this.getNumber('socket.request.max.bytes'); }
  get queuedMaxRequests(): number { return this.getNumber('queued.max.requests'); }
  get queuedMaxRequestBytes(): number { return this.getNumber('queued.max.request.bytes'); }
  get socketListenBacklogSize(): number { return this.getNumber('socket.listen.backlog.size'); }
  /** max.connections.per.ip.overrides as address → limit (validated when set, so it parses). */
  get maxConnectionsPerIpOverrides(): Map<string, number> {
    const parsed = parsePerIpOverrides(this.getString('max.connections.per.ip.overrides') ?? '');
    return typeof parsed === 'string' ? new Map() : parsed;
  }
  get connectionsMaxIdleMs(): number { return this.getNumber('connections.max.idle.ms'); }
  get maxConnections(): number { return this.getNumber('max.connections'); }
  get maxConnectionsPerIp(): number { return this.getNumber('max.connections.per.ip'); }
  get fetchMaxBytes(): number { return this.getNumber('fetch.max.bytes'); }
  get replicaFetchMaxBytes(): number { return this.getNumber('replica.fetch.max.bytes'); }
  get maxIncrementalFetchSessionCacheSlots(): number { return this.getNumber('max.incremental.fetch.session.cache.slots'); }
  get logRetentionCheckIntervalMs(): number { return this.getNumber('log.retention.check.interval.ms'); }
  get logFlushSchedulerIntervalMs(): number { return this.getNumber('log.flush.scheduler.interval.ms'); }
  get logFlushOffsetCheckpointIntervalMs(): number { return this.getNumber('log.flush.offset.checkpoint.interval.ms'); }
  get logCleanerEnable(): boolean { return this.getBoolean('log.cleaner.enable'); }
  get minInsyncReplicas(): number { return this.getNumber('min.insync.replicas'); }
  get uncleanLeaderElectionEnable(): boolean { return this.getBoolean('unclean.leader.election.enable'); }
  get offsetsTopicNumPartitions(): number { return this.getNumber('offsets.topic.num.partitions'); }
  get offsetsTopicReplicationFactor(): number { return this.getNumber('offsets.topic.replication.factor'); }
  get offsetsTopicSegmentBytes(): number { return this.getNumber('offsets.topic.segment.bytes'); }
  /** offsets.retention.minutes in milliseconds. */
  get offsetsRetentionMs(): number { return this.getNumber('offsets.retention.minutes') * 60_000; }
  get offsetsRetentionCheckIntervalMs(): number { return this.getNumber('offsets.retention.check.interval.ms'); }
  get offsetsCommitTimeoutMs(): number { return this.getNumber('offsets.commit.timeout.ms'); }
  get groupInitialRebalanceDelayMs(): number { return this.getNumber('group.initial.rebalance.delay.ms'); }
  get groupMinSessionTimeoutMs(): number { return this.getNumber('group.min.session.timeout.ms'); }
  get groupMaxSessionTimeoutMs(): number { return this.getNumber('group.max.session.timeout.ms'); }
  get groupMaxSize(): number { return this.getNumber('group.max.size'); }
  get transactionStateLogNumPartitions(): number { return this.getNumber('transaction.state.log.num.partitions'); }
  get transactionStateLogReplicationFactor(): number { return this.getNumber('transaction.state.log.replication.factor'); }
  get transactionStateLogMinIsr(): number { return this.getNumber('transaction.state.log.min.isr'); }
  get transactionStateLogSegmentBytes(): number { return this.getNumber('transaction.state.log.segment.bytes'); }
  get transactionalIdExpirationMs(): number { return this.getNumber('transactional.id.expiration.ms'); }
  get transactionMaxTimeoutMs(): number { return this.getNumber('transaction.max.timeout.ms'); }
  get producerIdExpirationMs(): number { return this.getNumber('producer.id.expiration.ms'); }
  get saslEnabledMechanisms(): string[] { return this.getList('sasl.enabled.mechanisms'); }

  /**
   * The broker-level values used as topic defaults, keyed by topic config
   * name and resolved through synonyms (retention.ms from
   * log.retention.ms|minutes|hours), in Kafka's string form.
   */
  topicDefaults(): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of TOPIC_CONFIG_DEF.names()) out.set(name, this.topicDefault(name).value.text ?? '');
    return out;
  }

  /**
   * The broker-supplied default of one topic config, parsed as the topic
   * key's type, with the broker synonyms it came from (highest first). A
   * topic config with no broker synonym gets its built-in default and no
   * synonyms.
   */
  topicDefault(topicConfigName: string): { value: ParsedValue; synonyms: ConfigSynonymView[] } {
    const key = TOPIC_CONFIG_DEF.key(topicConfigName);
    if (key === undefined) throw new Error(`unknown topic config: ${topicConfigName}`);
    const chain = TOPIC_CONFIG_SYNONYMS.get(topicConfigName);
    const entries = chain === undefined ? [] : this.#chainEntries(chain);
    const synonyms = entries.map((e) => ({ name: e.name, value: e.parsed.text, source: e.source }));
    const first = entries[0];
    if (first === undefined) return { value: TOPIC_CONFIG_DEF.defaultValue(topicConfigName), synonyms };
    const converted = normaliseRetention(chain?.[0]?.name ?? '', convert(first));
    // Re-read as the topic key's type (log.retention.hours is an INT, retention.ms a LONG) without
    // validation: a broker value is valid by the broker's rules even where the topic rule is stricter.
    const value = converted.text === null ? converted : parseTyped(topicConfigName, key.type, converted.text);
    return { value, synonyms };
  }

  /**
   * DescribeConfigs on this broker's BROKER resource. Unknown requested names
   * are skipped (Kafka returns nothing for them); entries are sorted by name.
   */
  describe(names?: readonly string[], includeSynonyms = false, includeDocumentation = false): ConfigEntryView[] {
    const wanted = names === undefined || names.length === 0 ? BROKER_CONFIG_DEF.names() : names.filter((n) => BROKER_CONFIG_DEF.has(n));
    return [...new Set(wanted)].sort().map((name) => {
      const key = this.#keyOf(name);
      const sensitive = key.type === 'password';
      const entries = this.#chainEntries(this.#chainOf(name));
      const first = entries[0];
      const value = first === undefined ? null : normaliseRetention(name, convert(first)).text;
      return {
        name,
        value: sensitive ? null : value,
        source: first?.source ?? 'DEFAULT_CONFIG',
        readOnly: key.dynamic === 'read-only',
        isSensitive: sensitive,
        synonyms: includeSynonyms
          ? entries.map((e) => ({ name: e.name, value: sensitive ? null : e.parsed.text, source: e.source }))
          : [],
        type: describeConfigType(key.type),
        documentation: includeDocumentation ? key.doc : '',
      };
    });
  }

  // -- Dynamic updates --------------------------------------------------------

  #resourceText(scope: DynamicScope): string {
    return `ConfigResource(type=BROKER, name='${scope === 'broker' ? String(this.nodeId) : ''}')`;
  }

  /**
   * Check dynamic broker config changes (AlterConfigs/IncrementalAlterConfigs
   * on a BROKER resource) without applying them; `null` deletes a dynamic value.
   * Failures use Kafka's wording and INVALID_REQUEST (42), as Kafka wraps
   * these ConfigExceptions: unknown names, read-only names, per-broker names
   * at cluster-default level, and invalid values.
   */
  validateDynamicUpdate(changes: ReadonlyMap<string, string | null>, scope: DynamicScope = 'broker'): ConfigCheckResult {
    const fail = (reason: string): ConfigCheckResult => ({
      ok: false,
      errorCode: INVALID_REQUEST,
      message: `Invalid config value for resource ${this.#resourceText(scope)}: ${reason}`,
    });
    const names = [...changes.keys()];
    // Samsa rejects unknown names (Kafka stores them); a typo would otherwise be silently kept.
    const unknown = names.filter((n) => !BROKER_CONFIG_DEF.has(n));
    if (unknown.length > 0) return fail(`Unknown broker configs: ${setToString(unknown)}`);
    const readOnly = names.filter((n) => this.#keyOf(n).dynamic === 'read-only');
    if (readOnly.length > 0) return fail(`Cannot update these configs dynamically: ${setToString(readOnly)}`);
    if (scope === 'cluster-default') {
      const perBroker = names.filter((n) => this.#keyOf(n).dynamic === 'per-broker');
      if (perBroker.length > 0) {
        return fail(`Cannot update these configs at default cluster level, broker id must be specified: ${setToString(perBroker)}`);
      }
    }
    for (const [name, raw] of changes) {
      if (raw === null) continue;
      try {
        BROKER_CONFIG_DEF.parse(name, raw);
      } catch (e) {
        if (e instanceof ConfigError) return fail(e.message);
        throw e;
      }
    }
    return { ok: true };
  }

  /**
   * Validate, then apply dynamic changes atomically (all or none). Also used
   * at startup to replay persisted dynamic configs. The caller persists
   * `dynamicConfigs(scope)` afterwards; password values are included there in
   * clear text, so the store must be protected (Kafka encrypts them with
   * password.encoder.secret; Samsa does not yet).
   */
  applyDynamicUpdate(changes: ReadonlyMap<string, string | null>, scope: DynamicScope = 'broker'): ConfigCheckResult {
    const check = this.validateDynamicUpdate(changes, scope);
    if (!check.ok) return check;
    const layer = scope === 'broker' ? this.#perBroker : this.#clusterDefault;
    for (const [name, raw] of changes) {
      if (raw === null) layer.delete(name);
      else layer.set(name, BROKER_CONFIG_DEF.parse(name, raw));
    }
    return check;
  }

  /** The dynamic values of one scope in Kafka's string form, for persistence. */
  dynamicConfigs(scope: DynamicScope): Map<string, string> {
    const layer = scope === 'broker' ? this.#perBroker : this.#clusterDefault;
    const out = new Map<string, string>();
    for (const [name, parsed] of layer) if (parsed.text !== null) out.set(name, parsed.text);
    return out;
  }
}

