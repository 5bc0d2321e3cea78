export { Broker, type BrokerStartOptions } from './broker.js';
export { startBroker, type StartBrokerOptions, type StartedBroker } from './start-broker.js';
export { BrokerConfig, ConfigError } from './config/broker-config.js';
export { parseProperties } from './config/properties.js';
export { topicNameProblem } from './topic-name.js';
