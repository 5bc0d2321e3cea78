import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { startBroker } from '../src/start-broker.js';

test('the embeddable broker starts on a free port and stops cleanly, repeatedly', { timeout: 60_000 }, async () => {
  const ports = new Set<number>();
  for (let i = 0; i < 5; i++) {
    const b = await startBroker();
    assert.match(b.bootstrap, /^127\.0\.0\.1:\d+$/);
    ports.add(b.port);
    await new Promise<void>((resolve, reject) => {
      const s = connect(b.port, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    });
    await b.stop();
    assert.equal(existsSync(b.dataDir), false, 'temporary data dir removed');
  }
  assert.ok(ports.size >= 1);
});
