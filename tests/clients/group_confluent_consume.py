"""Consume with confluent-kafka in a consumer group (subscribe), then commit and close.

spec: {bootstrap, topic, group, count, timeout_s?, config?: {}}
Reads until `count` records arrived (or the timeout), commits the offsets after the last
record read of each partition synchronously, and closes (LeaveGroup).
prints: {"records": [{partition, offset, value}], "errors": [str], "timed_out": bool, "committed": [[p, offset]]}
"""
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

from common import spec, b64, out

s = spec()
timeout_s = s.get('timeout_s', 45)
conf = {
    'bootstrap.servers': s['bootstrap'],
    'group.id': s['group'],
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 500,
}
conf.update(s.get('config', {}))
c = Consumer(conf)
c.subscribe([s['topic']])
records, errors, nxt = [], [], {}
deadline = time.time() + timeout_s
while len(records) < s['count'] and time.time() < deadline:
    msg = c.poll(0.2)
    if msg is None:
        continue
    if msg.error() is not None:
        if msg.error().code() != KafkaError._PARTITION_EOF:
            errors.append(msg.error().name() + ': ' + msg.error().str())
        continue
    records.append({'partition': msg.partition(), 'offset': msg.offset(), 'value': b64(msg.value())})
    nxt[msg.partition()] = msg.offset() + 1
committed = []
if nxt:
    tps = [TopicPartition(s['topic'], p, o) for p, o in sorted(nxt.items())]
    for tp in c.commit(offsets=tps, asynchronous=False):
        if tp.error is not None:
            errors.append('commit: ' + str(tp.error))
        committed.append([tp.partition, tp.offset])
c.close()
out({'records': records, 'errors': errors, 'timed_out': time.time() >= deadline, 'committed': committed})
