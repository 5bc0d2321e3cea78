import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topicNameProblem } from '../src/topic-name.js';

test('Kafka topic name rules', () => {
  for (const ok of ['a', 'orders', 'my.topic_1-x', '__consumer_offsets', 'x'.repeat(249)]) assert.equal(topicNameProblem(ok), null, ok);
  for (const bad of ['', '.', '..', 'x'.repeat(250), 'bad/name', 'spa ce', 'ümlaut', 'a:b']) assert.notEqual(topicNameProblem(bad), null, bad);
});
