// Driver for kafkajs 2.2.4. Producer at its defaults (not idempotent, no linger; acks -1 is the
// default of send()); a group consumer with autoCommit and eachMessage.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

export const label = `kafkajs ${require('kafkajs/package.json').version}`;

export async function createProducer({ bootstrap, idempotence }) {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR });
  // kafkajs' documentation pairs idempotence with one request in flight (its ordering guarantee);
  // with awaited sends there is never more than one anyway.
  const producer = kafka.producer(idempotence === 'on' ? { idempotent: true, maxInFlightRequests: 1 } : {});
  await producer.connect();
  return {
    idempotent: idempotence === 'on',
    send: (topic, values) => producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) }),
    close: () => producer.disconnect(),
  };
}

export async function createConsumer({ bootstrap, groupId }) {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  return {
    async start(topic, onMessage) {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          onMessage(message.value);
        },
      });
    },
    close: () => consumer.disconnect(),
  };
}
