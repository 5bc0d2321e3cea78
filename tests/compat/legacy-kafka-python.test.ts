// kafka-python 2.0.2 pinned to Kafka 0.9 and 0.10.1 protocols (issue 10, item 3):
// api_version=(0, 9) sends Produce v1 / Fetch v1 with message format v0 (no timestamps) and
// joins groups with JoinGroup v0; (0, 10, 1) sends Produce v2 / Fetch v3 with message format
// v1. Each produces and consumes in a consumer group; librdkafka and kafkajs read what it
// wrote identically and the reverse (tests/support/legacy-roundtrip.ts).
import { describe, test } from 'node:test';
import { kafkaPythonLegacy } from '../support/legacy-clients.js';
import { legacyRoundTrip } from '../support/legacy-roundtrip.js';

describe('kafka-python with old protocol versions', () => {
  test('api_version=(0, 9): magic 0, lz4 (old Kafka frame checksum)', { timeout: 180_000 }, async (t) => {
    await legacyRoundTrip(t, kafkaPythonLegacy('0.9'), { codec: 'lz4', keepsTimestamps: false, nullValues: false });
  });

  test('api_version=(0, 10, 1): magic 1, gzip, timestamps kept', { timeout: 180_000 }, async (t) => {
    await legacyRoundTrip(t, kafkaPythonLegacy('0.10.1'), { codec: 'gzip', keepsTimestamps: true, nullValues: false });
  });
});
