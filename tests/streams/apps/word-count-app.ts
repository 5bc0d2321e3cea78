// The word count of Kafka's tutorial as a separate process, so tests can kill -9 it. Spec as JSON in
// argv[2]: { bootstrap, applicationId, input, output, guarantee }. Prints one JSON line per state
// change ({"state": "RUNNING"}, ...); SIGTERM closes the application cleanly.
import { silentLogger } from '@samsa/client';
import { KafkaStreams, Serdes, StreamsBuilder, type ProcessingGuarantee } from '@samsa/streams';

interface Spec {
  bootstrap: string;
  applicationId: string;
  input: string;
  output: string;
  guarantee: ProcessingGuarantee;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const S = Serdes.String();
const builder = new StreamsBuilder();
builder
  .stream(spec.input, { keySerde: S, valueSerde: S })
  .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter((w) => w !== ''))
  .groupBy((_key, word) => word, { keySerde: S, valueSerde: S })
  .count({ storeName: 'counts-store' })
  .toStream()
  .to(spec.output, { keySerde: S, valueSerde: Serdes.Int64() });

const app = new KafkaStreams(builder.build(), {
  applicationId: spec.applicationId,
  brokers: spec.bootstrap,
  processingGuarantee: spec.guarantee,
  logger: silentLogger,
  consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, maxBytesPerPartition: 4096 },
});
app.onStateChange((state) => {
  process.stdout.write(`${JSON.stringify({ state, metrics: app.metrics(), error: app.error?.message ?? null })}\n`);
  if (state === 'ERROR') process.exitCode = 1;
});
process.on('SIGTERM', () => {
  void app.close();
});
app.start().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ state: 'START_FAILED', error: String(err) })}\n`);
  process.exitCode = 1;
});
