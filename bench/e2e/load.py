#!/usr/bin/python3
"""librdkafka-based load for bench/e2e/run.mjs (confluent-kafka-python 1.7 / librdkafka 2.0.2).

Run it with /usr/bin/python3: Debian's python3-confluent-kafka does not import under the
pyenv python3 that is first on PATH. Every subcommand prints one JSON line on stdout.

  mock                      host librdkafka's in-memory mock cluster (the reference broker).
                            Prints {"bootstrap": ...}; then reads `topic NAME PARTITIONS` lines on
                            stdin and answers {"created": NAME}; exits on stdin EOF.
  create                    create topics (--topic NAME:PARTITIONS ...) with the AdminClient (Samsa).
  offsets                   sum of a topic's low and high watermarks (to check what was stored).
  produce                   N records of SIZE bytes as fast as possible; records/s, MB/s and the
                            per-record produce latency (enqueue -> delivery report).
  paced                     records at a fixed rate with linger.ms=0: the latency of an unloaded
                            broker, not of the client's queue.
  consume                   assign() every partition from the beginning (no group) and read N
                            records; records/s and MB/s.

Why a ctypes mock host instead of `kcat -X test.mock.num.brokers=1`: the mock answers
CreateTopics with an error and auto-creates every topic with 4 partitions (librdkafka 2.0.2),
and no `test.mock.*` property changes that. rd_kafka_mock_topic_create() (a public C function of
librdkafka.so.1) makes topics with the partition count the cell needs, so both brokers see the
same layout. The mock's broker threads live in this process, so its CPU and RSS are measured the
same way as Samsa's.
"""

import argparse
import json
import os
import sys
import time


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(msg):
    emit({"error": msg})
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# mock


def cmd_mock(args):
    # The ctypes binding is the tests' (tests/clients/librdkafka_mock.py), so both host the same mock.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "clients"))
    from librdkafka_mock import MockCluster

    try:
        mock = MockCluster(args.brokers)
    except RuntimeError as e:
        fail(str(e))
    emit({"bootstrap": mock.bootstrap, "pid": os.getpid()})
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "topic":
            err = mock.create_topic(parts[1], parts[2])
            emit({"created": parts[1], "err": err})
        elif parts:
            emit({"error": "unknown command " + line.strip()})
    # stdin EOF: exit without destroying the handles (the process is going away anyway).
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# create


def cmd_create(args):
    from confluent_kafka.admin import AdminClient, NewTopic

    specs = [(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in args.topic]
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    futures = admin.create_topics([NewTopic(name, parts, 1) for name, parts in specs], operation_timeout=30)
    for name, _ in specs:
        try:
            futures[name].result(30)
        except Exception as e:  # noqa: BLE001 - report any admin error as data
            fail("create_topics %s: %s" % (name, e))
    # Wait until the metadata shows every partition with a leader.
    deadline = time.time() + 30
    pending = dict(specs)
    while pending and time.time() < deadline:
        md = admin.list_topics(timeout=5)
        for name, parts in list(pending.items()):
            t = md.topics.get(name)
            if t is not None and t.error is None and len(t.partitions) == parts and all(p.leader >= 0 for p in t.partitions.values()):
                del pending[name]
        if pending:
            time.sleep(0.05)
    if pending:
        fail("topics not ready in metadata: %s" % ", ".join(pending))
    emit({"created": [name for name, _ in specs]})


def cmd_offsets(args):
    """Sums the partitions' high watermarks: how many records the broker stored."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "bench-unused", "enable.auto.commit": False})
    md = c.list_topics(topic=args.topic, timeout=10)
    t = md.topics.get(args.topic)
    if t is None or t.error is not None:
        fail("topic %s missing" % args.topic)
    low = high = 0
    for p in t.partitions:
        lo, hi = c.get_watermark_offsets(TopicPartition(args.topic, p), timeout=10)
        low += lo
        high += hi
    c.close()
    emit({"topic": args.topic, "partitions": len(t.partitions), "low": low, "high": high})


# ---------------------------------------------------------------------------------------------
# produce


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[i]


def producer_conf(args, linger_ms):
    return {
        "bootstrap.servers": args.bootstrap,
        "acks": args.acks,
        "linger.ms": linger_ms,
        "batch.num.messages": 100000,
        "batch.size": 1048576,
        "message.max.bytes": 2097152,
        "queue.buffering.max.messages": 1000000,
        "queue.buffering.max.kbytes": 1048576,
        "compression.type": "none",
        "enable.idempotence": False,
        "max.in.flight.requests.per.connection": 5,
        "message.timeout.ms": 120000,
    }


def cmd_produce(args):
    from confluent_kafka import Producer

    # Fill mode packs the read set into ~1 MiB batches: the mock returns one batch per partition
    # per Fetch (and finds it by a linear scan), so small batches would measure that instead.
    p = Producer(producer_conf(args, 100 if args.round_robin else args.linger_ms))
    # Connect and fetch metadata before the clock starts.
    md = p.list_topics(topic=args.topic, timeout=10)
    if args.topic not in md.topics or md.topics[args.topic].error is not None:
        fail("topic %s missing" % args.topic)

    payload = os.urandom(args.size)
    n = args.records
    every = max(1, args.latency_every)
    lat = []
    errors = [0, None]

    # Every record gets a delivery report (errors must be counted); only 1 in `every` carries the
    # callback that records its latency, so the Python work per record stays small.
    def on_sampled(err, msg):
        if err is not None:
            errors[0] += 1
            errors[1] = str(err)
        else:
            lat.append(msg.latency())

    def on_error(err, msg):
        if err is not None:
            errors[0] += 1
            errors[1] = str(err)

    produce = p.produce
    poll = p.poll
    topic = args.topic
    if args.round_robin:
        # Fill mode (the consume read set): an exact, even spread over the partitions. The
        # default partitioner is sticky for null keys and would skew a short run.
        parts = len(md.topics[topic].partitions)
        for i in range(n):
            while True:
                try:
                    produce(topic, payload, partition=i % parts, callback=on_error)
                    break
                except BufferError:
                    poll(0.001)
        if p.flush(180):
            fail("fill: records not delivered")
        if errors[0]:
            fail("%d delivery errors, last: %s" % (errors[0], errors[1]))
        emit({"records": n, "filled": topic})
        return
    t0 = time.perf_counter()
    c0 = time.thread_time()
    i = 0
    while i < n:
        try:
            if i % every == 0:
                produce(topic, payload, callback=on_sampled)
            else:
                produce(topic, payload, callback=on_error)
            i += 1
        except BufferError:
            poll(0.001)
            continue
        if i % 4096 == 0:
            poll(0)
    t_enqueued = time.perf_counter()
    remaining = p.flush(180)
    t1 = time.perf_counter()
    main_cpu = time.thread_time() - c0
    if remaining:
        fail("%d records not delivered after flush" % remaining)
    if errors[0]:
        fail("%d delivery errors, last: %s" % (errors[0], errors[1]))
    elapsed = t1 - t0
    lat.sort()
    emit({
        "records": n,
        "bytes": n * args.size,
        "seconds": elapsed,
        "enqueueSeconds": t_enqueued - t0,
        "recordsPerSec": n / elapsed,
        "mbPerSec": n * args.size / elapsed / 1e6,
        # CPU of the Python thread that calls produce(); near 100 % means the load is client-bound.
        "clientMainThreadPct": main_cpu / elapsed * 100,
        "latencySamples": len(lat),
        "p50Ms": percentile(lat, 0.50) * 1000 if lat else None,
        "p99Ms": percentile(lat, 0.99) * 1000 if lat else None,
    })


def cmd_paced(args):
    from confluent_kafka import Producer

    p = Producer(producer_conf(args, 0))
    p.list_topics(topic=args.topic, timeout=10)
    payload = os.urandom(args.size)
    lat = []
    errors = [0, None]

    def on_delivery(err, msg):
        if err is not None:
            errors[0] += 1
            errors[1] = str(err)
        else:
            lat.append(msg.latency())

    # Send in small bursts every tick so the target rate is met without a busy loop.
    tick = 0.001
    per_tick = max(1, int(round(args.rate * tick)))
    total = int(args.rate * args.seconds)
    sent = 0
    start = time.perf_counter()
    next_t = start
    while sent < total:
        for _ in range(min(per_tick, total - sent)):
            p.produce(args.topic, payload, callback=on_delivery)
            sent += 1
        next_t += tick
        while True:
            now = time.perf_counter()
            if now >= next_t:
                break
            p.poll(min(0.0005, next_t - now))
        p.poll(0)
    p.flush(60)
    elapsed = time.perf_counter() - start
    if errors[0]:
        fail("%d delivery errors, last: %s" % (errors[0], errors[1]))
    lat.sort()
    emit({
        "records": sent,
        "rate": sent / elapsed,
        "p50Ms": percentile(lat, 0.50) * 1000,
        "p99Ms": percentile(lat, 0.99) * 1000,
    })


# ---------------------------------------------------------------------------------------------
# consume


def cmd_consume(args):
    """Reads the topic's partitions from offset 0 to their end, over and over, until N records.

    The mock keeps at most 5 MiB (and 100,000 batches) per partition and drops older batches, so
    a read set bigger than that cannot be read back from it. run.mjs therefore fills a separate
    topic with at most 3 MiB per partition on both brokers and this loop re-reads it: when every
    partition has reached its end, all are assigned again from offset 0.
    """
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    c = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "bench-unused",  # required by the client; no subscribe/commit is done
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "fetch.max.bytes": 52428800,
        "max.partition.fetch.bytes": 10485760,
        # Short long-polls: at the end of a pass the outstanding fetch waits fetch.wait.max.ms
        # before the next pass's fetch can go out (10 ms halves the 1-partition 1 KiB rate).
        "fetch.wait.max.ms": 1,
        # librdkafka backs a partition off for fetch.error.backoff.ms (500 ms) when a fetch
        # reaches the end of the log; the re-read loop below would mostly measure that sleep.
        "fetch.error.backoff.ms": 0,
        "queued.max.messages.kbytes": 262144,
        # With assign() every partition feeds one queue; once it holds queued.min.messages
        # (100,000) librdkafka 2.0.2 stops fetching and only re-checks about once a second.
        "queued.min.messages": 10000000,
    })
    assignment = [TopicPartition(args.topic, p, 0) for p in range(args.partitions)]
    c.assign(assignment)
    n = args.records
    got = 0
    nbytes = 0
    passes = 0
    at_eof = set()
    t0 = None
    deadline = time.time() + args.timeout
    eof = KafkaError._PARTITION_EOF
    while got < n:
        if time.time() > deadline:
            fail("consumed %d of %d records before the timeout" % (got, n))
        # consume() returns early only when num_messages are ready, so a long timeout would hold
        # the partition-EOF events (and the next pass) back until it expires.
        msgs = c.consume(num_messages=10000, timeout=0.01)
        if msgs and t0 is None:
            # The clock starts at the first batch so connection/metadata setup is excluded on
            # both brokers alike.
            t0 = time.perf_counter()
        for m in msgs:
            e = m.error()
            if e is None:
                nbytes += len(m.value())
                got += 1
            elif e.code() == eof:
                at_eof.add(m.partition())
            else:
                fail("consume error: %s" % e)
        if len(at_eof) == args.partitions and got < n:
            # Every partition is read to its end: start the next pass over all of them at once.
            # (Seeking each partition at its own EOF stalls the other partitions' fetches.)
            passes += 1
            at_eof.clear()
            c.unassign()
            c.assign(assignment)
    t1 = time.perf_counter()
    c.close()
    elapsed = t1 - t0
    emit({
        "records": got,
        "bytes": nbytes,
        "seconds": elapsed,
        "partitionPasses": passes,
        "recordsPerSec": got / elapsed,
        "mbPerSec": nbytes / elapsed / 1e6,
    })


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mock")
    m.add_argument("--brokers", type=int, default=1)
    c = sub.add_parser("create")
    c.add_argument("--bootstrap", required=True)
    c.add_argument("--topic", action="append", required=True, help="NAME:PARTITIONS, repeatable")
    o = sub.add_parser("offsets")
    o.add_argument("--bootstrap", required=True)
    o.add_argument("--topic", required=True)
    for name in ("produce", "paced"):
        p = sub.add_parser(name)
        p.add_argument("--bootstrap", required=True)
        p.add_argument("--topic", required=True)
        p.add_argument("--size", type=int, required=True)
        p.add_argument("--acks", default="1")
        p.add_argument("--records", type=int, default=100000)
        p.add_argument("--linger-ms", type=int, default=5)
        p.add_argument("--latency-every", type=int, default=1)
        p.add_argument("--rate", type=int, default=10000)
        p.add_argument("--seconds", type=float, default=2.0)
        p.add_argument("--round-robin", action="store_true")
    k = sub.add_parser("consume")
    k.add_argument("--bootstrap", required=True)
    k.add_argument("--topic", required=True)
    k.add_argument("--partitions", type=int, required=True)
    k.add_argument("--records", type=int, required=True)
    k.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    {"mock": cmd_mock, "create": cmd_create, "offsets": cmd_offsets, "produce": cmd_produce, "paced": cmd_paced, "consume": cmd_consume}[args.cmd](args)


if __name__ == "__main__":
    main()
