// sarama 1.22 (Debian golang-github-shopify-sarama-dev) with Version = V0_10_2_0 (issue 10,
// item 3): Produce v2 with message format v1, Fetch v3 (down-converted to magic 1), JoinGroup
// v1, OffsetCommit v2, OffsetFetch v1, FindCoordinator v0. It produces and consumes in a
// consumer group; librdkafka and kafkajs read what it wrote identically and the reverse
// (tests/support/legacy-roundtrip.ts). The Go program is tests/clients/go/sarama-legacy,
// built here in GOPATH mode (Go's build cache makes later runs fast).
import { test } from 'node:test';
import { buildGoClient } from '../support/legacy-clients.js';
import { legacyRoundTrip } from '../support/legacy-roundtrip.js';

test('sarama V0_10_2_0: magic 1, snappy (stored re-compressed as gzip)', { timeout: 360_000 }, async (t) => {
  const client = await buildGoClient('sarama-legacy', 'sarama V0_10_2_0', '0.10.2.0');
  await legacyRoundTrip(t, client, { codec: 'snappy', keepsTimestamps: false, nullValues: true });
});
