import { kafkajsConsume, kafkajsProduce } from './kafkajs-driver.js';
import { platformaticCodecs, platformaticConsume, platformaticProduce } from './platformatic-driver.js';
import { allCodecs, type Codec, type ConsumedRecord, type WireRecord } from './records.js';
import { kcatConsume, kcatProduce } from './run-kcat.js';
import { runPython } from './run-python.js';

/** Names of the third-party clients the compat suite drives. */
export type ClientName = 'kafkajs' | 'platformatic' | 'kcat' | 'confluent-kafka' | 'kafka-python';

/** One third-party client behind a uniform produce/consume interface. */
export interface ClientDriver {
  readonly name: ClientName;
  /** Codecs this client can write. */
  readonly codecs: readonly Codec[];
  /** Whether the client can set a record's timestamp (kcat cannot: create time = now). */
  readonly setsTimestamps: boolean;
  /** Whether the client needs ApiVersions v3 (fails against librdkafka 2.0.2's mock). */
  readonly needsApiVersionsV3: boolean;
  /** Writes `records` in order, acks=all; throws if any record is not acknowledged. */
  produce(bootstrap: string, topic: string, records: WireRecord[], codec: Codec): Promise<void>;
  /** Reads `count` records of `topic` from the beginning (all partitions). */
  consume(bootstrap: string, topic: string, count: number): Promise<ConsumedRecord[]>;
}

interface PythonProduceResult {
  delivered: Array<{ partition: number; offset: number; error: string | null } | null>;
}

/** Shape printed by the python consume drivers. */
export interface PythonConsumeResult {
  records: ConsumedRecord[];
  errors: string[];
  timed_out: boolean;
}

function checkDelivered(client: string, result: PythonProduceResult, expected: number): void {
  const failed = result.delivered.filter((d) => d === null || d.error !== null);
  if (result.delivered.length !== expected || failed.length > 0) {
    throw new Error(`${client}: not every record was acknowledged: ${JSON.stringify(result.delivered)}`);
  }
}

async function pythonConsume(script: string, bootstrap: string, topic: string, count: number): Promise<ConsumedRecord[]> {
  const result = await runPython<PythonConsumeResult>(script, { bootstrap, topic, count, timeout_s: 45 }, 60_000);
  if (result.errors.length > 0) throw new Error(`${script}: consumer errors ${JSON.stringify(result.errors)}`);
  return result.records;
}

export const kafkajsDriver: ClientDriver = {
  name: 'kafkajs',
  codecs: ['none', 'gzip'],
  setsTimestamps: true,
  needsApiVersionsV3: false,
  async produce(bootstrap, topic, records, codec) {
    if (codec !== 'none' && codec !== 'gzip') throw new Error(`kafkajs: no built-in ${codec}`);
    await kafkajsProduce(bootstrap, topic, records, { compression: codec });
  },
  consume: (bootstrap, topic, count) => kafkajsConsume(bootstrap, topic, count),
};

export const platformaticDriver: ClientDriver = {
  name: 'platformatic',
  codecs: platformaticCodecs,
  setsTimestamps: true,
  needsApiVersionsV3: true,
  produce: (bootstrap, topic, records, codec) => platformaticProduce(bootstrap, topic, records, codec),
  consume: (bootstrap, topic, count) => platformaticConsume(bootstrap, topic, count),
};

export const kcatDriver: ClientDriver = {
  name: 'kcat',
  codecs: allCodecs,
  setsTimestamps: false,
  needsApiVersionsV3: false,
  produce: (bootstrap, topic, records, codec) => kcatProduce(bootstrap, topic, records, { compression: codec }),
  async consume(bootstrap, topic, count) {
    const records = await kcatConsume(bootstrap, topic);
    if (records.length !== count) throw new Error(`kcat: read ${records.length} records of ${topic}, expected ${count}`);
    return records;
  },
};

export const confluentDriver: ClientDriver = {
  name: 'confluent-kafka',
  codecs: allCodecs,
  setsTimestamps: true,
  needsApiVersionsV3: false,
  async produce(bootstrap, topic, records, codec) {
    const result = await runPython<PythonProduceResult>('confluent_produce', { bootstrap, topic, records, compression: codec, acks: 'all' }, 60_000);
    checkDelivered('confluent-kafka', result, records.length);
  },
  consume: (bootstrap, topic, count) => pythonConsume('confluent_consume', bootstrap, topic, count),
};

export const kafkaPythonDriver: ClientDriver = {
  name: 'kafka-python',
  codecs: allCodecs,
  setsTimestamps: true,
  needsApiVersionsV3: false,
  async produce(bootstrap, topic, records, codec) {
    const result = await runPython<PythonProduceResult>('kafka_python_produce', { bootstrap, topic, records, compression: codec, acks: 'all' }, 60_000);
    checkDelivered('kafka-python', result, records.length);
  },
  consume: (bootstrap, topic, count) => pythonConsume('kafka_python_consume', bootstrap, topic, count),
};

/** Every client driver, in a fixed order. */
export const allClients: readonly ClientDriver[] = [kafkajsDriver, platformaticDriver, kcatDriver, confluentDriver, kafkaPythonDriver];
