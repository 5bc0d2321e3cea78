import type { Logger } from 'pino';
import type { BrokerConfig } from './config/broker-config.js';
import type { GroupCoordinator } from './coordinators/group/group-coordinator.js';
import type { ProducerIdManager } from './coordinators/txn/producer-id-manager.js';
import type { TransactionCoordinator } from './coordinators/txn/transaction-coordinator.js';
import type { TransactionStateTopic } from './coordinators/txn/transaction-state-topic.js';
import type { OffsetsTopic } from './coordinators/group/offsets-topic.js';
import type { AppendNotifier } from './fetch/append-notifier.js';
import type { MetadataStore } from './metadata/metadata-store.js';
import type { TopicManager } from './topic-manager.js';

/** A host and port clients should use to reach this broker. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The broker's state and services that request handlers use. One instance per broker. */
export interface BrokerServices {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly metadata: MetadataStore;
  readonly topics: TopicManager;
  readonly notifier: AppendNotifier;
  /** The group coordinator (this node coordinates every group). */
  readonly groups: GroupCoordinator;
  /** `__consumer_offsets`, created on first need. */
  readonly offsetsTopic: OffsetsTopic;
  /** Producer ids for InitProducerId. */
  readonly producerIds: ProducerIdManager;
  /** The transaction coordinator (this node coordinates every transactional id). */
  readonly txns: TransactionCoordinator;
  /** `__transaction_state`, created on first need. */
  readonly transactionStateTopic: TransactionStateTopic;
  readonly logger: Logger;
  readonly logDirs: readonly string[];
  /** The advertised endpoint of the listener a connection came in on (clients must reconnect there). */
  advertisedEndpoint(listenerName: string): Endpoint;
  /** Versions served, for ApiVersions. */
  supportedVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
}

/** The leader epoch of every partition while Samsa runs as a single node (replication will move it). */
export const SINGLE_NODE_LEADER_EPOCH = 0;
