import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  AclOperation,
  SUPPORTED_OPERATIONS,
  authorizedOperations,
  operationsBitField,
  operationsFromBitField,
} from '../../src/auth/authorized-operations.js';

const names = (bits: number): string[] =>
  operationsFromBitField(bits)
    .map((code) => Object.entries(AclOperation).find(([, c]) => c === code)?.[0] ?? `code ${code}`)
    .sort();

test('not requested: Kafka answers INT32_MIN', () => {
  for (const resourceType of ['topic', 'group', 'cluster'] as const) {
    assert.equal(authorizedOperations({ resourceType, name: 'x' }, false), -2147483648);
  }
  assert.equal(AUTHORIZED_OPERATIONS_OMITTED, -(2 ** 31));
});

test("requested without an authorizer: every operation Kafka's AclEntry.supportedOperations lists", () => {
  assert.deepEqual(names(authorizedOperations({ resourceType: 'topic', name: 't' }, true)), [
    'ALTER',
    'ALTER_CONFIGS',
    'CREATE',
    'DELETE',
    'DESCRIBE',
    'DESCRIBE_CONFIGS',
    'READ',
    'WRITE',
  ]);
  assert.deepEqual(names(authorizedOperations({ resourceType: 'group', name: 'g' }, true)), ['DELETE', 'DESCRIBE', 'READ']);
  assert.deepEqual(names(authorizedOperations({ resourceType: 'cluster', name: 'kafka-cluster' }, true)), [
    'ALTER',
    'ALTER_CONFIGS',
    'CLUSTER_ACTION',
    'CREATE',
    'DESCRIBE',
    'DESCRIBE_CONFIGS',
    'IDEMPOTENT_WRITE',
  ]);
});

test('bit field: bit i set for AclOperation code i, and back', () => {
  assert.equal(operationsBitField([AclOperation.READ]), 8);
  assert.equal(operationsBitField([AclOperation.READ, AclOperation.DELETE, AclOperation.DESCRIBE]), 0x148);
  assert.equal(operationsBitField(SUPPORTED_OPERATIONS.topic), 0xdf8);
  assert.equal(operationsBitField(SUPPORTED_OPERATIONS.cluster), 0x1fa0);
  assert.equal(operationsBitField([]), 0);
  for (const ops of Object.values(SUPPORTED_OPERATIONS)) {
    assert.deepEqual(operationsFromBitField(operationsBitField(ops)), [...ops].sort((a, b) => a - b));
  }
  // No real set of operations collides with the "not requested" value.
  assert.notEqual(operationsBitField(Object.values(AclOperation)), AUTHORIZED_OPERATIONS_OMITTED);
});
