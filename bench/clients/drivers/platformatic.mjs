// Driver for @platformatic/kafka 1.x. Its producer defaults to acks 1, so acks -1 (ALL) is set;
// idempotence stays at its default (off). The consumer is a group member reading a
// messages stream from the earliest offset (autocommit on, its default).

import { readFileSync } from 'node:fs';
import { Consumer, MessagesStreamModes, ProduceAcks, Producer } from '@platformatic/kafka';

// The package exports neither its package.json nor its version module.
const manifest = new URL('../node_modules/@platformatic/kafka/package.json', import.meta.url);
export const label = `@platformatic/kafka ${JSON.parse(readFileSync(manifest, 'utf8')).version}`;

export async function createProducer({ bootstrap, idempotence }) {
  const producer = new Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: [bootstrap],
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    ...(idempotence === 'default' ? {} : { idempotent: idempotence === 'on' }),
  });
  return {
    idempotent: idempotence === 'on',
    send: (topic, values) => producer.send({ messages: values.map((value) => ({ topic, value })) }),
    close: () => producer.close(),
  };
}

export async function createConsumer({ bootstrap, groupId }) {
  const consumer = new Consumer({ clientId: 'bench-platformatic', groupId, bootstrapBrokers: [bootstrap] });
  // The client connects lazily; a metadata request opens the connection before the timed part.
  await consumer.metadata({ topics: [] });
  let stream = null;
  return {
    async start(topic, onMessage) {
      stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
      stream.on('data', (message) => onMessage(message.value));
    },
    async close() {
      await stream?.close();
      await consumer.close();
    },
  };
}
