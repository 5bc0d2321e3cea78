"""Consume-transform-produce with exactly-once (confluent-kafka transactions).

spec: {bootstrap, input, output, group, transactional_id, total: int, batch: int, timeout_s?}
Reads `input` (read_committed, group `group`), writes each value upper-cased to `output` with
the same partition, and commits the consumed offsets with send_offsets_to_transaction in the
same transaction, `batch` records per transaction, until the group's committed offsets cover
`total` input records. Transient failures (a broker restart) abort the transaction and rewind
the consumer to the committed offsets, as the exactly-once recipe says.
Prints progress lines {"committed_txns": n} and a final {"done": true, "txns": n, "aborts": n}
or {"error": str}.
"""
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from common import spec, out

s = spec()
deadline = time.time() + s.get('timeout_s', 240)
consumer = Consumer({
    'bootstrap.servers': s['bootstrap'],
    'group.id': s['group'],
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
    'isolation.level': 'read_committed',
    'session.timeout.ms': 30000,
})
producer = Producer({
    'bootstrap.servers': s['bootstrap'],
    'transactional.id': s['transactional_id'],
    'transaction.timeout.ms': 60000,
    'reconnect.backoff.ms': 50,
    'reconnect.backoff.max.ms': 500,
})
consumer.subscribe([s['input']])
producer.init_transactions(60)
txns, aborts, done = 0, 0, 0


def rewind():
    assignment = consumer.assignment()
    if not assignment:
        return
    for tp in consumer.committed(assignment, timeout=30):
        consumer.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else 0))


def committed_total():
    assignment = consumer.assignment()
    if not assignment:
        return 0
    return sum(max(tp.offset, 0) for tp in consumer.committed(assignment, timeout=30))


try:
    while time.time() < deadline:
        msgs = consumer.consume(s['batch'], 1.0)
        msgs = [m for m in msgs if m.error() is None]
        if not msgs:
            if committed_total() >= s['total']:
                break
            continue
        try:
            producer.begin_transaction()
            for m in msgs:
                producer.produce(s['output'], value=m.value().upper(), key=m.key(), partition=m.partition())
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(30)
            txns += 1
            out({'committed_txns': txns})
        except KafkaException as e:
            err = e.args[0]
            if err.txn_requires_abort() or err.retriable():
                aborts += 1
                try:
                    producer.abort_transaction(30)
                except KafkaException:
                    pass
                rewind()
            else:
                raise
    out({'done': True, 'txns': txns, 'aborts': aborts, 'committed': committed_total()})
except KafkaException as e:
    out({'error': str(e)})
finally:
    consumer.close()
