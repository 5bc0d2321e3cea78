import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Progress, renderProgress } from '../src/progress.js';

const MIB = 1_048_576;

test('the progress line: a bar when the total is known, a count otherwise', () => {
  assert.equal(
    renderProgress({ bytes: 25 * MIB, records: 25_600, elapsedMs: 2000 }, 100 * MIB),
    '[########......................]  25%  25.0/100.0 MiB  12.5 MiB/s  25,600 records',
  );
  assert.equal(renderProgress({ bytes: 100 * MIB, records: 1, elapsedMs: 1000 }, 100 * MIB).slice(0, 37), `[${'#'.repeat(30)}] 100%`);
  assert.equal(renderProgress({ bytes: 3 * MIB, records: 7, elapsedMs: 0 }, null), '3.0 MiB  0.0 MiB/s  7 records');
});

test('nothing is drawn when the stream is not a terminal', () => {
  let written = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const p = new Progress(sink, 100);
  p.update(50, 1, true);
  p.finish();
  assert.equal(written, '');
  Object.assign(sink, { isTTY: true, columns: 200 });
  const tty = new Progress(sink, 100);
  tty.update(50, 1, true);
  tty.finish();
  assert.match(written, /^\r\[#{15}\.{15}\]  50%.*\x1b\[K\r\x1b\[K$/);
});
