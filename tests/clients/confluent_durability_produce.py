"""Durability workload: sequential numbered values to one partition with acks=all.

spec: {bootstrap, topic, partition?: 0, partitions?: int, max_count?: int, flush_every?: int, config?: {}}
Produces values b"000000001", b"000000002", ... until stdin is closed (or max_count), to
`partition`, or to partition n % partitions when `partitions` is given. Idempotence is off
unless `config` turns it on, so by default retries after a broker crash may duplicate records
whose ack was lost. Prints one JSON line per delivery report, as it arrives:
  {"n": int, "partition": int, "offset": int}  acknowledged (acks=all)
  {"n": int, "error": str}                   given up (not acknowledged)
and {"done": true, "produced": int} at the end. Flushes every `flush_every` records so the
number of unacknowledged records in flight stays small.
"""
import sys
import threading

from confluent_kafka import Producer

from common import spec, out

s = spec()
stop = threading.Event()


def watch_stdin():
    sys.stdin.read()
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()
conf = {
    'bootstrap.servers': s['bootstrap'],
    'acks': 'all',
    'enable.idempotence': False,
    'linger.ms': 2,
    'message.timeout.ms': 300000,
    'retry.backoff.ms': 100,
    'reconnect.backoff.ms': 50,
    'reconnect.backoff.max.ms': 500,
    'socket.connection.setup.timeout.ms': 2000,
}
conf.update(s.get('config', {}))
p = Producer(conf)
partition = s.get('partition', 0)
partitions = s.get('partitions')
flush_every = s.get('flush_every', 20)
max_count = s.get('max_count', 1000000)


def report(n):
    def cb(err, msg):
        if err is not None:
            out({'n': n, 'error': err.name()})
        else:
            out({'n': n, 'partition': msg.partition(), 'offset': msg.offset()})
    return cb


n = 0
while not stop.is_set() and n < max_count:
    n += 1
    target = n % partitions if partitions else partition
    p.produce(s['topic'], value=b'%09d' % n, partition=target, on_delivery=report(n))
    if n % flush_every == 0:
        while p.flush(1.0) > 0:
            pass
    else:
        p.poll(0)
while p.flush(1.0) > 0:
    pass
out({'done': True, 'produced': n})
