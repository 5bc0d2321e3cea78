// segmentio/kafka-go 0.2.1 (Debian golang-github-segmentio-kafka-go-dev), which speaks only
// Produce v2 / Fetch v2 (message format v1), JoinGroup v1, SyncGroup v0, OffsetCommit v2 and
// OffsetFetch v1 (issue 10, item 3). It produces and consumes in a consumer group; librdkafka
// and kafkajs read what it wrote identically and the reverse (tests/support/legacy-roundtrip.ts).
// The Go program is tests/clients/go/kafka-go-legacy, built here in GOPATH mode.
import { test } from 'node:test';
import { buildGoClient } from '../support/legacy-clients.js';
import { legacyRoundTrip } from '../support/legacy-roundtrip.js';

test('kafka-go 0.2.1: magic 1, gzip', { timeout: 360_000 }, async (t) => {
  const client = await buildGoClient('kafka-go-legacy', 'kafka-go 0.2.1');
  await legacyRoundTrip(t, client, { codec: 'gzip', keepsTimestamps: false, nullValues: false });
});
