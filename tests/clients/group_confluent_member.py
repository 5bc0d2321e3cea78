"""A long-lived confluent-kafka (librdkafka) consumer-group member, driven over stdin.

spec (argv[1]): {bootstrap, topic, group, config?: {}}
stdin: one command per line: "close" (commit, leave the group, exit).
stdout (JSON lines):
  {"event": "assigned", "partitions": [int]}   after each (re)assignment
  {"event": "revoked", "partitions": [int]}
  {"event": "record", "partition", "offset", "value"}  each record, after its offset was committed synchronously
  {"event": "error", "error": str}
  {"event": "closed"}
Offsets are committed synchronously after every record so that a rebalance never hands a
consumed-but-uncommitted record to another member (the test checks exactly-once reads).
"""
import os
import select
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition

from common import spec, b64, out

s = spec()
conf = {
    'bootstrap.servers': s['bootstrap'],
    'group.id': s['group'],
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 500,
    'topic.metadata.refresh.interval.ms': 2000,
}
conf.update(s.get('config', {}))
c = Consumer(conf)


def on_assign(consumer, partitions):
    out({'event': 'assigned', 'partitions': sorted(p.partition for p in partitions)})


def on_revoke(consumer, partitions):
    out({'event': 'revoked', 'partitions': sorted(p.partition for p in partitions)})


c.subscribe([s['topic']], on_assign=on_assign, on_revoke=on_revoke)
stdin_fd = sys.stdin.fileno()
os.set_blocking(stdin_fd, False)
pending = b''
running = True
while running:
    ready, _, _ = select.select([stdin_fd], [], [], 0)
    if ready:
        chunk = os.read(stdin_fd, 4096)
        if chunk == b'':
            running = False
        pending += chunk
        if b'close' in pending:
            running = False
    if not running:
        break
    msg = c.poll(0.1)
    if msg is None:
        continue
    if msg.error() is not None:
        if msg.error().code() != KafkaError._PARTITION_EOF:
            out({'event': 'error', 'error': msg.error().name() + ': ' + msg.error().str()})
        continue
    try:
        c.commit(offsets=[TopicPartition(msg.topic(), msg.partition(), msg.offset() + 1)], asynchronous=False)
    except Exception as e:  # noqa: BLE001 - reported to the test
        out({'event': 'error', 'error': 'commit: ' + str(e)})
    out({'event': 'record', 'partition': msg.partition(), 'offset': msg.offset(), 'value': b64(msg.value())})
c.close()
out({'event': 'closed'})
