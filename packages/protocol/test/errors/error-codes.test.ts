import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, errorCodeInfo, errorName, isRetriable } from '../../src/errors/error-codes.js';

test('codes and names are unique and consistent', () => {
  const entries = Object.entries(ErrorCode);
  const codes = new Set(entries.map(([, c]) => c));
  assert.equal(codes.size, entries.length);
  assert.equal(errorCodeInfo.size, entries.length);
  for (const [name, code] of entries) {
    const info = errorCodeInfo.get(code);
    assert.ok(info);
    assert.equal(info.name, name);
    assert.equal(info.code, code);
    assert.ok(info.message.length > 0);
  }
  // Contiguous from -1 to the newest code: a gap would mean a missing entry.
  for (let c = -1; c <= 133; c++) assert.ok(errorCodeInfo.has(c), `missing code ${c}`);
});

test('spot checks against Kafka', () => {
  assert.equal(ErrorCode.NONE, 0);
  assert.equal(ErrorCode.CORRUPT_MESSAGE, 2);
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
  assert.equal(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, 43);
  assert.equal(ErrorCode.INVALID_RECORD, 87);
  assert.equal(ErrorCode.PRODUCER_FENCED, 90);
  assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100);
  assert.equal(ErrorCode.SHARE_SESSION_LIMIT_REACHED, 133);
  assert.equal(errorName(76), 'UNSUPPORTED_COMPRESSION_TYPE');
  assert.equal(errorName(9999), 'UNKNOWN_ERROR_CODE_9999');
  assert.equal(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
  assert.equal(isRetriable(ErrorCode.CORRUPT_MESSAGE), true);
  assert.equal(isRetriable(ErrorCode.REQUEST_TIMED_OUT), true);
  assert.equal(isRetriable(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), true);
  assert.equal(isRetriable(ErrorCode.INVALID_RECORD), false);
  assert.equal(isRetriable(ErrorCode.REBALANCE_IN_PROGRESS), false);
  assert.equal(isRetriable(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER), false);
  assert.equal(isRetriable(ErrorCode.UNKNOWN_SERVER_ERROR), false);
  assert.equal(isRetriable(12345), false);
});
