"""Consume a topic from the beginning with confluent-kafka, without a group (assign).

spec: {bootstrap, topic, partitions?: [int], count?: int, timeout_s?, config?: {}}
Reads every assigned partition up to its end (partition EOF), or until `count` records.
prints: {"records": [{partition, offset, key, value, headers, timestamp}], "errors": [str]}
"""
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING

from common import spec, b64, out, headers_out

s = spec()
timeout_s = s.get('timeout_s', 30)
conf = {
    'bootstrap.servers': s['bootstrap'],
    'group.id': 'compat-confluent-consume',
    'enable.auto.commit': False,
    'enable.partition.eof': True,
    'auto.offset.reset': 'earliest',
}
conf.update(s.get('config', {}))
c = Consumer(conf)
partitions = s.get('partitions')
if partitions is None:
    md = c.list_topics(s['topic'], timeout=timeout_s)
    partitions = sorted(md.topics[s['topic']].partitions.keys())
c.assign([TopicPartition(s['topic'], p, OFFSET_BEGINNING) for p in partitions])
records, errors, at_eof = [], [], set()
deadline = time.time() + timeout_s
count = s.get('count')
while time.time() < deadline:
    if count is not None and len(records) >= count:
        break
    if count is None and len(at_eof) == len(partitions):
        break
    msg = c.poll(0.2)
    if msg is None:
        continue
    if msg.error() is not None:
        if msg.error().code() == KafkaError._PARTITION_EOF:
            at_eof.add(msg.partition())
        else:
            errors.append(msg.error().name() + ': ' + msg.error().str())
        continue
    at_eof.discard(msg.partition())
    records.append({
        'partition': msg.partition(),
        'offset': msg.offset(),
        'key': b64(msg.key()),
        'value': b64(msg.value()),
        'headers': headers_out(msg.headers()),
        'timestamp': msg.timestamp()[1],
    })
c.close()
out({'records': records, 'errors': errors, 'timed_out': time.time() >= deadline})
