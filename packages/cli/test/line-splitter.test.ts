import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../src/line-splitter.js';

/** Splits `input` fed in chunks of `size` bytes. */
function split(input: Buffer, size: number, max = 1 << 20): string[] {
  const s = new LineSplitter(max);
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) out.push(...s.push(input.subarray(i, i + size)));
  const last = s.end();
  if (last !== null) out.push(last);
  return out.map((b) => b.toString('latin1'));
}

test('lines split at \\n only, whatever the chunk boundaries', () => {
  const input = Buffer.from('a\r\n\nbc\n\u00ff\u0000d\nlast', 'latin1');
  const expected = ['a\r', '', 'bc', '\u00ff\u0000d', 'last'];
  for (const size of [1, 2, 3, 5, 100]) assert.deepEqual(split(input, size), expected, `chunks of ${size}`);
  assert.deepEqual(split(Buffer.from('x\n'), 1), ['x'], 'a final newline ends the last line, no empty record after it');
  assert.deepEqual(split(Buffer.from(''), 1), []);
  assert.deepEqual(split(Buffer.from('\n'), 1), ['']);
});

test('a line longer than the limit is refused, across chunks too', () => {
  assert.throws(() => split(Buffer.from('12345\n'), 100, 4), /longer than 4 bytes/);
  assert.throws(() => split(Buffer.from('12345\n'), 2, 4), /longer than 4 bytes/);
  assert.deepEqual(split(Buffer.from('1234\n12\n'), 3, 4), ['1234', '12']);
});
