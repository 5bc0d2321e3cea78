// Driver for @confluentinc/kafka-javascript 1.x (librdkafka inside), through its kafkajs-compatible
// API. Idempotence at its default (off) and acks -1 (librdkafka's default). linger.ms is set to 0:
// librdkafka's default of 5 ms would hold every awaited send for 5 ms, where the other three
// clients send at once. The consumer is a group member with autoCommit and eachMessage.
//
// The package has a native addon: when it is not installed (its optional build failed), importing
// this module throws and the orchestrator reports confluent as skipped, with the reason.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { KafkaJS, librdkafkaVersion } = require('@confluentinc/kafka-javascript');
const { Kafka, logLevel } = KafkaJS;

export const label = `@confluentinc/kafka-javascript ${require('@confluentinc/kafka-javascript/package.json').version} (librdkafka ${librdkafkaVersion})`;

export async function createProducer({ bootstrap, idempotence }) {
  const kafka = new Kafka({ kafkaJS: { clientId: 'bench-confluent', brokers: [bootstrap], logLevel: logLevel.ERROR } });
  const producer = kafka.producer({
    'linger.ms': 0,
    kafkaJS: { acks: -1, ...(idempotence === 'default' ? {} : { idempotent: idempotence === 'on' }) },
  });
  await producer.connect();
  return {
    idempotent: idempotence === 'on',
    send: (topic, values) => producer.send({ topic, messages: values.map((value) => ({ value })) }),
    close: () => producer.disconnect(),
  };
}

export async function createConsumer({ bootstrap, groupId }) {
  const kafka = new Kafka({ kafkaJS: { clientId: 'bench-confluent', brokers: [bootstrap], logLevel: logLevel.ERROR } });
  const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true } });
  await consumer.connect();
  return {
    async start(topic, onMessage) {
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({
        eachMessage: async ({ message }) => {
          onMessage(message.value);
        },
      });
    },
    close: () => consumer.disconnect(),
  };
}
