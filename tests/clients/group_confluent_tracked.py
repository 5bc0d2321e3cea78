"""A confluent-kafka (librdkafka) group member that logs every group event with a timestamp.

Used by tests/compat/groups-clients.test.ts (cooperative-sticky, static membership, SIGKILL).

spec (argv[1]): {bootstrap, topic, group, name, config?: {}}
stdin: one command per line:
  "status"  print a status line (generation and member id as librdkafka currently sees them)
  "close"   leave the group (close) and exit
stdout (JSON lines; "t" is wall-clock milliseconds, comparable across processes):
  {"event": "assigned"|"revoked"|"lost", "t", "partitions": [int], "protocol", "gen", "member"}
      from the rebalance callbacks; with cooperative-sticky the lists are incremental
  {"event": "record", "t", "partition", "offset", "value"}      printed BEFORE the commit
  {"event": "committed", "t", "partition", "offset"}           the synchronous commit of
      offset+1 for that record succeeded (so a record without "committed" may be read again)
  {"event": "status", "t", "gen", "member", "assignment": [int], "positions": {partition: offset}}
      "fetch": {partition: [fetch_state, next_offset]} from librdkafka's statistics (every 250 ms):
      fetch_state "active" means the start offset is known and fetching runs
  {"event": "error", "t", "error": str}
  {"event": "closed", "t"}
"""
import json
import os
import select
import struct
import sys
import time

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
latest_stats = {}


def on_stats(raw):
    try:
        latest_stats['v'] = json.loads(raw)
    except Exception:  # noqa: BLE001
        pass


conf.setdefault('statistics.interval.ms', 250)
conf['stats_cb'] = on_stats
c = Consumer(conf)


def fetch_states():
    """partition -> [fetch_state, next_offset] from librdkafka's latest statistics."""
    try:
        parts = latest_stats['v']['topics'][s['topic']]['partitions']
        return {k: [v.get('fetch_state'), v.get('next_offset')] for k, v in parts.items() if int(k) >= 0}
    except Exception:  # noqa: BLE001
        return None


def now():
    return int(time.time() * 1000)


def group_metadata():
    """(generation, member id) from librdkafka's serialized consumer group metadata (CGMDv2)."""
    try:
        raw = c.consumer_group_metadata()
        if not isinstance(raw, bytes) or not raw.startswith(b'CGMDv2:'):
            return None, None
        gen = struct.unpack('<i', raw[7:11])[0]
        parts = raw[11:].split(b'\x00')
        member = parts[1].decode('utf-8', 'replace') if len(parts) > 1 else None
        return gen, member
    except Exception:  # noqa: BLE001 - best effort
        return None, None


def event(kind, partitions):
    gen, member = group_metadata()
    out({'event': kind, 't': now(), 'partitions': sorted(p.partition for p in partitions),
         'protocol': c_protocol(), 'gen': gen, 'member': member})


def c_protocol():
    try:
        return conf.get('partition.assignment.strategy', 'range,roundrobin')
    except Exception:  # noqa: BLE001
        return None


def on_assign(consumer, partitions):
    event('assigned', partitions)


def on_revoke(consumer, partitions):
    event('revoked', partitions)


def on_lost(consumer, partitions):
    event('lost', partitions)


c.subscribe([s['topic']], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
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
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            cmd = line.strip()
            if cmd == b'close':
                running = False
            elif cmd == b'status':
                gen, member = group_metadata()
                try:
                    assigned = c.assignment()
                    assignment = sorted(p.partition for p in assigned)
                    positions = {str(p.partition): p.offset for p in c.position(assigned)}
                except Exception:  # noqa: BLE001
                    assignment, positions = None, None
                out({'event': 'status', 't': now(), 'gen': gen, 'member': member, 'assignment': assignment,
                     'positions': positions, 'fetch': fetch_states()})
    if not running:
        break
    msg = c.poll(0.1)
    if msg is None:
        continue
    if msg.error() is not None:
        if msg.error().code() != KafkaError._PARTITION_EOF:
            out({'event': 'error', 't': now(), 'error': msg.error().name() + ': ' + msg.error().str()})
        continue
    out({'event': 'record', 't': now(), 'partition': msg.partition(), 'offset': msg.offset(), 'value': b64(msg.value())})
    try:
        c.commit(offsets=[TopicPartition(msg.topic(), msg.partition(), msg.offset() + 1)], asynchronous=False)
        out({'event': 'committed', 't': now(), 'partition': msg.partition(), 'offset': msg.offset() + 1})
    except Exception as e:  # noqa: BLE001 - reported to the test
        out({'event': 'error', 't': now(), 'error': 'commit: ' + str(e)})
c.close()
out({'event': 'closed', 't': now()})
