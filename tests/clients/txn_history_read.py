"""read_committed reader of the transactional history workload (confluent-kafka).

spec (argv[1] or stdin): {bootstrap, topics: [str], partitions: int, mode: "final"|"follow",
       timeout_s?: 60, drain_s?: 30}

Assigns every partition of `topics` from its beginning, without a consumer group: the reader
must see each partition as a prefix from offset 0, which assign gives directly, while a group
would add rebalances, a group coordinator and committed offsets that move across broker kills
and have nothing to do with what is checked. Nothing is committed.

  final   run after the workload has settled: reads until every partition is at its end,
          i.e. the position has reached the high watermark (with read_committed, positions
          stop at the last stable offset, so this also shows that no transaction was left open)
  follow  runs during the workload and its broker kills: reads until stdin is closed, then
          drains until every partition reports EOF (bounded by drain_s)

prints {"records": [[topic, partition, offset, value]], "errors": [str], "complete": bool,
        "ends": {"topic/partition": {"position": int, "high": int}}, "timed_out": bool}
`complete` is true when every partition's position reached its high watermark.
"""
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition, OFFSET_BEGINNING

from common import spec, out

s = spec()
mode = s['mode']
c = Consumer({
    'bootstrap.servers': s['bootstrap'],
    'group.id': 'txn-history-reader',  # required by librdkafka; never joined (assign, no commits)
    'enable.auto.commit': False,
    'enable.auto.offset.store': False,
    'enable.partition.eof': True,
    'auto.offset.reset': 'earliest',
    'isolation.level': 'read_committed',
    'reconnect.backoff.ms': 50,
    'reconnect.backoff.max.ms': 500,
    'fetch.wait.max.ms': 100,
    'log_level': 3,
})
tps = [TopicPartition(t, p, OFFSET_BEGINNING) for t in s['topics'] for p in range(s['partitions'])]
c.assign(tps)
records, errors, at_eof = [], [], set()
stop = threading.Event()
if mode == 'follow':
    def watch_stdin():
        sys.stdin.read()
        stop.set()
    threading.Thread(target=watch_stdin, daemon=True).start()


def ends():
    """Position and high watermark of every partition (None where unknown)."""
    result = {}
    positions = {(tp.topic, tp.partition): tp.offset for tp in c.position(tps)}
    for tp in tps:
        try:
            high = c.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=5, cached=False)[1]
        except KafkaException:
            high = None
        result['%s/%d' % (tp.topic, tp.partition)] = {'position': positions[(tp.topic, tp.partition)], 'high': high}
    return result


def at_end(e):
    return all(v['high'] is not None and v['position'] is not None and v['position'] >= v['high'] for v in e.values())


def poll_once():
    msg = c.poll(0.2)
    if msg is None:
        return
    if msg.error() is not None:
        if msg.error().code() == KafkaError._PARTITION_EOF:
            at_eof.add((msg.topic(), msg.partition()))
        else:
            errors.append(msg.error().name() + ': ' + msg.error().str())
        return
    at_eof.discard((msg.topic(), msg.partition()))
    records.append([msg.topic(), msg.partition(), msg.offset(), msg.value().decode()])


timed_out = False
if mode == 'follow':
    hard = time.time() + s.get('timeout_s', 300)
    while not stop.is_set() and time.time() < hard:
        poll_once()
    drain_until = time.time() + s.get('drain_s', 30)
    while len(at_eof) < len(tps) and time.time() < drain_until:
        poll_once()
    timed_out = len(at_eof) < len(tps)
    last = ends()
else:
    hard = time.time() + s.get('timeout_s', 60)
    last = None
    while time.time() < hard:
        poll_once()
        if len(at_eof) == len(tps):
            last = ends()
            if at_end(last):
                break
    else:
        timed_out = True
    if last is None:
        last = ends()
c.close()
out({'records': records, 'errors': errors, 'complete': at_end(last), 'ends': last, 'timed_out': timed_out})
