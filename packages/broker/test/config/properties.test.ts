import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-def.js';
import { mergeProperties, parseProperties, parseSetOverrides } from '../../src/config/properties.js';

const entries = (text: string): Array<[string, string]> => [...parseProperties(text)];

describe('parseProperties', () => {
  it('reads the three separators', () => {
    assert.deepEqual(entries('a=1\nb: 2\nc 3\n'), [['a', '1'], ['b', '2'], ['c', '3']]);
  });

  it('skips blank lines and # / ! comments, including indented ones', () => {
    assert.deepEqual(entries('# comment\n\n   \n  ! also a comment\n\tkey=value\n'), [['key', 'value']]);
  });

  it('skips whitespace around the separator but keeps trailing whitespace of the value', () => {
    assert.deepEqual(entries('  key   =   value  \n'), [['key', 'value  ']]);
  });

  it('takes only one separator: the rest belongs to the value', () => {
    assert.deepEqual(entries('a==b\nc = : d\ne::f\n'), [['a', '=b'], ['c', ': d'], ['e', ':f']]);
  });

  it('reads a key with no value as an empty value', () => {
    assert.deepEqual(entries('lonely\nempty=\n'), [['lonely', ''], ['empty', '']]);
  });

  it('joins continuation lines and drops the next line\'s leading whitespace', () => {
    assert.deepEqual(entries('listeners=PLAINTEXT://a:1,\\\n    SSL://b:2\nnext=x\n'), [
      ['listeners', 'PLAINTEXT://a:1,SSL://b:2'],
      ['next', 'x'],
    ]);
  });

  it('treats an even number of trailing backslashes as escaped backslashes, not a continuation', () => {
    assert.deepEqual(entries('path=C:\\\\dir\\\\\nnext=1\n'), [['path', 'C:\\dir\\'], ['next', '1']]);
  });

  it('does not continue a comment line', () => {
    assert.deepEqual(entries('# note \\\nkey=value\n'), [['key', 'value']]);
  });

  it('continues into a line that starts with # (it is part of the value)', () => {
    assert.deepEqual(entries('a=b\\\n#c\n'), [['a', 'b#c']]);
  });

  it('accepts \\r\\n and bare \\r line ends', () => {
    assert.deepEqual(entries('a=1\r\nb=2\rc=3'), [['a', '1'], ['b', '2'], ['c', '3']]);
  });

  it('decodes escapes in keys and values', () => {
    assert.deepEqual(entries('tab\\tkey=a\\tb\\nc\\u00e9\\\\\\=\\:x\n'), [['tab\tkey', 'a\tb\nc\u00e9\\=:x']]);
  });

  it('allows separators inside a key when escaped', () => {
    assert.deepEqual(entries('a\\=b\\:c\\ d=v\n'), [['a=b:c d', 'v']]);
  });

  it('rejects a malformed \\u escape with the line number', () => {
    assert.throws(() => parseProperties('ok=1\nbad=\\u12G4\n'), (e: unknown) => e instanceof ConfigError && /line 2/.test(e.message));
  });

  it('keeps the last value of a repeated key', () => {
    const props = parseProperties('a=1\nb=2\na=3\n');
    assert.equal(props.get('a'), '3');
    assert.deepEqual([...props.keys()], ['b', 'a']);
  });

  it('ignores a trailing backslash at end of input', () => {
    assert.deepEqual(entries('a=1\\'), [['a', '1']]);
  });
});

describe('parseSetOverrides', () => {
  it('splits at the first =', () => {
    assert.deepEqual([...parseSetOverrides(['a=1', ' b =x=y', 'c='])], [['a', '1'], ['b', 'x=y'], ['c', '']]);
  });

  it('rejects an argument without = or with an empty key', () => {
    assert.throws(() => parseSetOverrides(['num.partitions']), /expected key=value/);
    assert.throws(() => parseSetOverrides(['=3']), /expected key=value/);
  });

  it('layers over file properties', () => {
    const merged = mergeProperties(parseProperties('a=1\nb=2\n'), parseSetOverrides(['b=3', 'c=4']));
    assert.deepEqual([...merged], [['a', '1'], ['b', '3'], ['c', '4']]);
  });
});
