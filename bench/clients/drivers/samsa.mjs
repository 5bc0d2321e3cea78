// Driver for our client, @samsa/client (built by `npx tsc -b` at the root and resolved through the
// root's node_modules/@samsa/client symlink). Producer and consumer at their defaults: idempotent,
// acks -1, lingerMs 0; a group consumer with autoCommit and eachMessage.
//
// SAMSA_CLIENT_ENTRY, when set, is the index.js of another build of the client (run.mjs
// --baseline): the same driver then measures that build, for before/after comparisons.

const entry = process.env.SAMSA_CLIENT_ENTRY;
const { Kafka, silentLogger } = await import(entry ?? '@samsa/client');

export const label = entry === undefined ? '@samsa/client (ours)' : `@samsa/client baseline build (${entry})`;

/** @param {{ bootstrap: string, idempotence: 'default' | 'on' | 'off' }} o */
export async function createProducer({ bootstrap, idempotence }) {
  const kafka = new Kafka({ clientId: 'bench-samsa', brokers: [bootstrap], logger: silentLogger });
  const producer = kafka.producer(idempotence === 'default' ? {} : { idempotent: idempotence === 'on' });
  await producer.connect();
  return {
    idempotent: producer.idempotent,
    send: (topic, values) => producer.send({ topic, messages: values.map((value) => ({ value })) }),
    close: () => producer.disconnect(),
  };
}

/**
 * A connected group consumer of `groupId`. `start(topic, onMessage)` subscribes to `topic` from
 * the beginning and runs `onMessage(value)` for every record; `close()` stops and leaves the group.
 */
export async function createConsumer({ bootstrap, groupId }) {
  const kafka = new Kafka({ clientId: 'bench-samsa', brokers: [bootstrap], logger: silentLogger });
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
