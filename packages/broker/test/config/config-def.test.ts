import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { atLeast, between, ConfigDef, ConfigError, listOf, LONG_MAX_TEXT, oneOf, parseTyped } from '../../src/config/config-def.js';
import { BROKER_CONFIG_DEF } from '../../src/config/broker-config-keys.js';
import { TOPIC_CONFIG_DEF } from '../../src/config/topic-config.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, 'expected a ConfigError');
    return e.message;
  }
  assert.fail('expected a throw');
}

describe('parseTyped', () => {
  it('parses booleans case-insensitively and trims', () => {
    assert.deepEqual(parseTyped('k', 'boolean', ' TRUE '), { value: true, text: 'true' });
    assert.deepEqual(parseTyped('k', 'boolean', 'False'), { value: false, text: 'false' });
    assert.equal(message(() => parseTyped('k', 'boolean', 'yes')), 'Invalid value yes for configuration k: Expected value to be either true or false');
  });

  it('parses ints within range only', () => {
    assert.equal(parseTyped('k', 'int', ' +42 ').value, 42);
    assert.equal(parseTyped('k', 'int', '-2147483648').value, -2147483648);
    assert.equal(message(() => parseTyped('k', 'int', '2147483648')), 'Invalid value 2147483648 for configuration k: Not a number of type INT');
    assert.equal(message(() => parseTyped('k', 'int', '1.5')), 'Invalid value 1.5 for configuration k: Not a number of type INT');
    assert.equal(message(() => parseTyped('k', 'int', '')), 'Invalid value  for configuration k: Not a number of type INT');
    assert.equal(message(() => parseTyped('k', 'short', '40000')), 'Invalid value 40000 for configuration k: Not a number of type SHORT');
  });

  it('keeps Long.MAX_VALUE exact in text and caps the number', () => {
    const p = parseTyped('k', 'long', LONG_MAX_TEXT);
    assert.equal(p.text, LONG_MAX_TEXT);
    assert.equal(p.value, Number.MAX_SAFE_INTEGER);
    assert.equal(p.exact, 2n ** 63n - 1n);
    assert.equal(message(() => parseTyped('k', 'long', '9223372036854775808')), 'Invalid value 9223372036854775808 for configuration k: Not a number of type LONG');
  });

  it('parses doubles with Java forms and prints integral ones with .0', () => {
    assert.deepEqual(parseTyped('k', 'double', '0.5'), { value: 0.5, text: '0.5' });
    assert.deepEqual(parseTyped('k', 'double', '1'), { value: 1, text: '1.0' });
    assert.equal(parseTyped('k', 'double', '.25d').value, 0.25);
    assert.equal(parseTyped('k', 'double', '1e-2').value, 0.01);
    assert.equal(message(() => parseTyped('k', 'double', 'half')), 'Invalid value half for configuration k: Not a number of type DOUBLE');
  });

  it('splits lists on commas with surrounding whitespace; empty is an empty list', () => {
    assert.deepEqual(parseTyped('k', 'list', ' compact ,  delete '), { value: ['compact', 'delete'], text: 'compact,delete' });
    assert.deepEqual(parseTyped('k', 'list', '   '), { value: [], text: '' });
  });
});

describe('validators', () => {
  const def = new ConfigDef([
    { name: 'n', type: 'int', default: '1', validator: atLeast(1), importance: 'low', doc: '' },
    { name: 'r', type: 'double', default: '0.5', validator: between(0, 1), importance: 'low', doc: '' },
    { name: 's', type: 'string', default: 'a', validator: oneOf('a', 'b'), importance: 'low', doc: '' },
    { name: 'l', type: 'list', default: 'x', validator: listOf('x', 'y'), importance: 'low', doc: '' },
  ]);

  it('reports range violations with the bound', () => {
    assert.equal(message(() => def.parse('n', '0')), 'Invalid value 0 for configuration n: Value must be at least 1');
    assert.equal(message(() => def.parse('r', '1.5')), 'Invalid value 1.5 for configuration r: Value must be no more than 1');
  });

  it('reports the allowed strings, and the offending list element', () => {
    assert.equal(message(() => def.parse('s', 'c')), 'Invalid value c for configuration s: String must be one of: a, b');
    assert.equal(message(() => def.parse('l', 'x, z')), 'Invalid value z for configuration l: String must be one of: x, y');
  });

  it('describes valid values the way Kafka documents them', () => {
    assert.equal(atLeast(0).description, '[0,...]');
    assert.equal(between(0, 1).description, '[0,...,1]');
    assert.equal(listOf('compact', 'delete').description, '[compact, delete]');
  });

  it('rejects a definition whose default breaks its own rule', () => {
    assert.throws(() => new ConfigDef([{ name: 'bad', type: 'int', default: '0', validator: atLeast(1), importance: 'low', doc: '' }]), ConfigError);
  });

  it('brands ConfigError so instanceof survives duplicate module copies', () => {
    const fake = { [Symbol.for('samsa.config.ConfigError')]: true };
    assert.ok(fake instanceof ConfigError);
    assert.ok(!(new Error('x') instanceof ConfigError));
  });
});

describe('definition tables', () => {
  it('have docs and types for every key, and dynamic modes for broker keys', () => {
    for (const key of TOPIC_CONFIG_DEF.keys()) assert.ok(key.doc.length > 0, key.name);
    for (const key of BROKER_CONFIG_DEF.keys()) {
      assert.ok(key.doc.length > 0, key.name);
      assert.ok(key.dynamic !== undefined, `${key.name} has a dynamic mode`);
    }
  });

  it('validate topic enums like Kafka', () => {
    assert.equal(
      message(() => TOPIC_CONFIG_DEF.parse('compression.type', 'brotli')),
      'Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
    );
    assert.equal(
      message(() => TOPIC_CONFIG_DEF.parse('message.timestamp.type', 'createtime')),
      'Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime',
    );
    assert.equal(
      message(() => TOPIC_CONFIG_DEF.parse('cleanup.policy', 'delete,archive')),
      'Invalid value archive for configuration cleanup.policy: String must be one of: compact, delete',
    );
  });

  it('validate compression levels and throttled replica lists', () => {
    assert.equal(TOPIC_CONFIG_DEF.parse('compression.gzip.level', '-1').value, -1);
    assert.match(message(() => TOPIC_CONFIG_DEF.parse('compression.gzip.level', '0')), /between 1 and 9, or -1/);
    assert.match(message(() => TOPIC_CONFIG_DEF.parse('compression.zstd.level', '23')), /no more than 22/);
    assert.deepEqual(TOPIC_CONFIG_DEF.parse('leader.replication.throttled.replicas', '0:1, 1:2').value, ['0:1', '1:2']);
    assert.equal(TOPIC_CONFIG_DEF.parse('follower.replication.throttled.replicas', '*').text, '*');
    assert.match(message(() => TOPIC_CONFIG_DEF.parse('follower.replication.throttled.replicas', '0-1')), /literal '\*'/);
  });
});
