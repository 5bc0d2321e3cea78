#!/usr/bin/python3
"""librdkafka load for bench/txn/run.mjs (confluent-kafka-python 1.7 / librdkafka 2.0.2).

Run it with /usr/bin/python3: Debian's python3-confluent-kafka does not import under the pyenv
python3 that is first on PATH. Every subcommand prints JSON lines on stdout: {"event": "start"}
just before its clock starts, then one result line (or {"error": ...} and exit 1).

  produce   bench/e2e/load.py's produce load, unchanged, with enable.idempotence set by
            --idempotence on|off (the e2e load pins it to false). N records as fast as possible.
  txn       transactions of --per-txn records each, back to back, for --seconds (or --max-txns):
            begin, produce, commit_transaction(). One warm-up transaction before the clock.
            --abort-every M aborts every M-th transaction after flush() (its records reach the
            log, then the ABORT marker), which is how the consume topic gets aborted data.
  consume   one pass over every partition from offset 0 to its end with --isolation
            read_committed or read_uncommitted; checks the record count against --expect.
  --trace   (produce, txn) also report librdkafka's round trip per API and how many Produce
            requests were in flight, from its debug=protocol log: a diagnostic, slower run.
  offsets   the summed high watermarks of several topics (--topic, repeatable) in one process;
            {"high": {topic: sum}}. (bench/e2e/load.py offsets takes one topic per process.)

Mock host and topic creation are bench/e2e/load.py's (mock, create).
"""

import argparse
import importlib.util
import logging
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ next to bench/e2e/load.py
_spec = importlib.util.spec_from_file_location("e2e_load", os.path.join(HERE, "..", "e2e", "load.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

emit = e2e.emit
fail = e2e.fail
percentile = e2e.percentile


# ---------------------------------------------------------------------------------------------
# --trace: request anatomy from librdkafka's protocol debug log (a diagnostic, not a measurement:
# the logging costs client time)


class ProtocolTrace(logging.Handler):
    """Collects librdkafka `debug=protocol` lines: round trip per API, Produce requests in flight."""

    SENT = re.compile(r"Sent (\w+)Request \(v\d+, (\d+) bytes")
    RECV = re.compile(r"Received (\w+)Response \(.*rtt ([0-9.]+)ms")

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.rtt = {}
        self.in_flight = 0
        self.in_flight_after_send = {}
        self.produce_bytes = []

    def emit(self, record):
        line = record.getMessage()
        m = self.SENT.search(line)
        if m:
            if m.group(1) == "Produce":
                self.in_flight += 1
                self.in_flight_after_send[self.in_flight] = self.in_flight_after_send.get(self.in_flight, 0) + 1
                self.produce_bytes.append(int(m.group(2)))
            return
        m = self.RECV.search(line)
        if m:
            if m.group(1) == "Produce":
                self.in_flight = max(0, self.in_flight - 1)
            self.rtt.setdefault(m.group(1), []).append(float(m.group(2)))

    def reset(self):
        self.rtt = {}
        self.in_flight_after_send = {}
        self.produce_bytes = []

    def summary(self):
        out = {}
        for api, v in self.rtt.items():
            v = sorted(v)
            out[api] = {"n": len(v), "p50Ms": percentile(v, 0.5), "p90Ms": percentile(v, 0.9), "meanMs": sum(v) / len(v)}
        return {
            "rtt": out,
            # How many Produce requests were outstanding right after each one was sent.
            "produceInFlightAfterSend": {str(k): n for k, n in sorted(self.in_flight_after_send.items())},
            "produceRequestBytesMean": sum(self.produce_bytes) / len(self.produce_bytes) if self.produce_bytes else None,
        }


def add_trace(conf):
    trace = ProtocolTrace()
    lg = logging.getLogger("bench-txn-trace")
    lg.setLevel(logging.DEBUG)
    lg.addHandler(trace)
    lg.propagate = False
    conf["debug"] = "protocol"
    conf["logger"] = lg
    return trace


# ---------------------------------------------------------------------------------------------
# produce: plain vs idempotent


def cmd_produce(args):
    # e2e's cmd_produce builds its configuration with e2e.producer_conf (looked up in its module
    # globals at call time), so wrapping that one function changes only enable.idempotence and
    # keeps everything else, loop and measurements included, identical to the e2e produce load.
    base_conf = e2e.producer_conf
    idempotent = args.idempotence == "on"

    trace = []

    def conf(a, linger_ms):
        c = base_conf(a, linger_ms)
        c["enable.idempotence"] = idempotent
        if args.trace:
            trace.append(add_trace(c))
        return c

    e2e.producer_conf = conf
    if args.trace:
        # The result line gets the trace summary: e2e's cmd_produce emits it last.
        base_emit = e2e.emit

        def emit_with_trace(obj):
            if trace and "records" in obj:
                obj["trace"] = trace[0].summary()
            base_emit(obj)

        e2e.emit = emit_with_trace
    emit({"event": "start"})
    e2e.cmd_produce(args)


# ---------------------------------------------------------------------------------------------
# txn


def txn_conf(args):
    # The same batching settings as the e2e produce load; acks=all and idempotence are implied by
    # transactional.id (librdkafka enforces them), max.in.flight stays at 5.
    c = e2e.producer_conf(args, args.linger_ms)
    c.pop("acks", None)
    c.pop("enable.idempotence", None)
    c["transactional.id"] = args.transactional_id
    c["transaction.timeout.ms"] = 60000
    c["message.timeout.ms"] = 60000  # librdkafka requires it <= transaction.timeout.ms
    return c


def cmd_txn(args):
    from confluent_kafka import KafkaException, Producer

    stats = {"delivered": 0, "errors": 0, "last_error": None}

    def on_delivery(err, msg):
        if err is not None:
            stats["errors"] += 1
            stats["last_error"] = str(err)
        else:
            stats["delivered"] += 1

    conf = txn_conf(args)
    conf["on_delivery"] = on_delivery
    trace = add_trace(conf) if args.trace else None
    try:
        p = Producer(conf)
    except KafkaException as e:
        fail("Producer(): %s" % e)
    md = p.list_topics(topic=args.topic, timeout=10)
    if args.topic not in md.topics or md.topics[args.topic].error is not None:
        fail("topic %s missing" % args.topic)
    timeout = args.op_timeout
    try:
        t_init = time.perf_counter()
        p.init_transactions(timeout)
        init_ms = (time.perf_counter() - t_init) * 1000
    except KafkaException as e:
        fail("init_transactions: %s" % e)

    payload = os.urandom(args.size)
    topic = args.topic
    produce = p.produce
    per = args.per_txn

    def one_txn(abort):
        p.begin_transaction()
        i = 0
        while i < per:
            try:
                produce(topic, payload)
                i += 1
            except BufferError:
                p.poll(0.001)
        tc = time.perf_counter()
        if abort:
            # Send the records first: abort_transaction() would purge unsent ones and the log
            # would then hold no aborted data to filter.
            if p.flush(timeout):
                raise RuntimeError("records of an aborted transaction not delivered within %s s" % timeout)
            p.abort_transaction(timeout)
        else:
            # Flushes the transaction's records (librdkafka does not wait for linger.ms here),
            # then EndTxn; returns once the broker answered it, i.e. its markers are written.
            p.commit_transaction(timeout)
        return time.perf_counter() - tc

    # Warm-up: the first transaction pays for the partition's metadata and the first
    # AddPartitionsToTxn (about 1 s in librdkafka 2.0.2 on both brokers); not measured.
    try:
        t_w = time.perf_counter()
        one_txn(False)
        warmup_ms = (time.perf_counter() - t_w) * 1000
    except (KafkaException, RuntimeError) as e:
        fail("warm-up transaction: %s" % e)
    warm_delivered = stats["delivered"]

    commit_lat = []
    txn_lat = []
    committed = aborted = 0
    if trace is not None:
        p.poll(0)  # serve the log lines of the warm-up before forgetting them
        trace.reset()
    emit({"event": "start"})
    t0 = time.perf_counter()
    c0 = time.thread_time()
    deadline = t0 + args.seconds
    n = 0
    try:
        while (args.max_txns == 0 or n < args.max_txns) and (args.max_txns > 0 or time.perf_counter() < deadline):
            abort = args.abort_every > 0 and (n + 1) % args.abort_every == 0
            ts = time.perf_counter()
            commit_s = one_txn(abort)
            te = time.perf_counter()
            if not abort:
                commit_lat.append(commit_s)
            n += 1
            if abort:
                aborted += 1
            else:
                committed += 1
            txn_lat.append(te - ts)
            if time.perf_counter() - t0 > args.hard_limit:
                fail("still running after %s s (%d transactions)" % (args.hard_limit, n))
    except (KafkaException, RuntimeError) as e:
        fail("transaction %d (of %d records): %s" % (n + 1, per, e))
    t1 = time.perf_counter()
    main_cpu = time.thread_time() - c0
    p.poll(0)
    if stats["errors"]:
        fail("%d delivery errors, last: %s" % (stats["errors"], stats["last_error"]))
    records = n * per
    if stats["delivered"] - warm_delivered != records:
        fail("%d delivery reports for %d records" % (stats["delivered"] - warm_delivered, records))
    elapsed = t1 - t0
    txn_lat.sort()
    commit_lat.sort()
    result = {
        "transactions": n,
        "committed": committed,
        "aborted": aborted,
        "records": records,
        "committedRecords": committed * per,
        "warmupRecords": per,
        "bytes": records * args.size,
        "seconds": elapsed,
        "recordsPerSec": records / elapsed,
        "txnsPerSec": n / elapsed,
        "mbPerSec": records * args.size / elapsed / 1e6,
        "txnP50Ms": percentile(txn_lat, 0.50) * 1000 if txn_lat else None,
        "txnP99Ms": percentile(txn_lat, 0.99) * 1000 if txn_lat else None,
        "commitP50Ms": percentile(commit_lat, 0.50) * 1000 if commit_lat else None,
        "commitP99Ms": percentile(commit_lat, 0.99) * 1000 if commit_lat else None,
        "initMs": init_ms,
        "warmupMs": warmup_ms,
        "clientMainThreadPct": main_cpu / elapsed * 100,
    }
    if trace is not None:
        result["trace"] = trace.summary()
    emit(result)


# ---------------------------------------------------------------------------------------------
# consume


def cmd_consume(args):
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    c = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "bench-txn-unused",  # required by the client; no subscribe/commit is done
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "isolation.level": args.isolation,
        "fetch.max.bytes": 52428800,
        "max.partition.fetch.bytes": 10485760,
        "fetch.wait.max.ms": 1,
        "fetch.error.backoff.ms": 0,
        "queued.max.messages.kbytes": 262144,
        # See bench/e2e/load.py: a full queue otherwise stalls fetching for ~1 s.
        "queued.min.messages": 10000000,
    })
    md = c.list_topics(topic=args.topic, timeout=10)
    t = md.topics.get(args.topic)
    if t is None or t.error is not None:
        fail("topic %s missing" % args.topic)
    parts = sorted(t.partitions)
    c.assign([TopicPartition(args.topic, p, 0) for p in parts])
    emit({"event": "start"})
    got = 0
    nbytes = 0
    at_eof = set()
    t0 = None
    deadline = time.time() + args.timeout
    eof = KafkaError._PARTITION_EOF
    while len(at_eof) < len(parts):
        if time.time() > deadline:
            fail("read %d records, %d of %d partitions at their end, before the %s s timeout" % (got, len(at_eof), len(parts), args.timeout))
        msgs = c.consume(num_messages=10000, timeout=0.01)
        if msgs and t0 is None:
            t0 = time.perf_counter()  # first batch: connection and metadata setup excluded
        for m in msgs:
            e = m.error()
            if e is None:
                nbytes += len(m.value())
                got += 1
            elif e.code() == eof:
                at_eof.add(m.partition())
            else:
                fail("consume error: %s" % e)
    t1 = time.perf_counter()
    c.close()
    if args.expect >= 0 and got != args.expect:
        fail("%s read %d records, expected %d" % (args.isolation, got, args.expect))
    elapsed = t1 - (t0 if t0 is not None else t1)
    emit({
        "records": got,
        "bytes": nbytes,
        "seconds": elapsed,
        "recordsPerSec": got / elapsed if elapsed > 0 else None,
        "mbPerSec": nbytes / elapsed / 1e6 if elapsed > 0 else None,
    })


# ---------------------------------------------------------------------------------------------
# offsets


def cmd_offsets(args):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "bench-txn-unused", "enable.auto.commit": False})
    md = c.list_topics(timeout=10)
    high = {}
    for name in args.topic:
        t = md.topics.get(name)
        if t is None or t.error is not None:
            fail("topic %s missing" % name)
        high[name] = sum(c.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1] for p in t.partitions)
    c.close()
    emit({"high": high})


def main():
    ap = argparse.ArgumentParser(description="librdkafka load for bench/txn/run.mjs")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("produce", help="e2e produce load with enable.idempotence on|off")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--acks", default="-1")
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--idempotence", choices=["on", "off"], required=True)
    p.add_argument("--linger-ms", type=int, default=5)
    p.add_argument("--latency-every", type=int, default=1)
    p.add_argument("--trace", action="store_true", help="add per-API round trips and Produce requests in flight (debug=protocol)")
    # Fields bench/e2e/load.py's cmd_produce reads; not used by this load.
    p.set_defaults(round_robin=False, rate=0, seconds=0)
    t = sub.add_parser("txn", help="back-to-back transactions")
    t.add_argument("--bootstrap", required=True)
    t.add_argument("--topic", required=True)
    t.add_argument("--transactional-id", required=True)
    t.add_argument("--size", type=int, required=True)
    t.add_argument("--per-txn", type=int, required=True)
    t.add_argument("--seconds", type=float, default=2.0, help="run whole transactions until this much time has passed")
    t.add_argument("--max-txns", type=int, default=0, help="exactly this many transactions instead (0: use --seconds)")
    t.add_argument("--abort-every", type=int, default=0, help="abort every M-th transaction (0: none)")
    t.add_argument("--linger-ms", type=int, default=5)
    t.add_argument("--op-timeout", type=float, default=30.0, help="timeout of each init/commit/abort/flush call, s")
    t.add_argument("--hard-limit", type=float, default=90.0, help="give up when the measured loop runs this long, s")
    t.add_argument("--trace", action="store_true", help="add per-API round trips (debug=protocol)")
    t.set_defaults(acks="-1")
    k = sub.add_parser("consume", help="one pass over a topic with an isolation level")
    k.add_argument("--bootstrap", required=True)
    k.add_argument("--topic", required=True)
    k.add_argument("--isolation", choices=["read_committed", "read_uncommitted"], required=True)
    k.add_argument("--expect", type=int, default=-1)
    k.add_argument("--timeout", type=float, default=60)
    o = sub.add_parser("offsets", help="summed high watermarks of topics")
    o.add_argument("--bootstrap", required=True)
    o.add_argument("--topic", action="append", required=True)
    args = ap.parse_args()
    {"produce": cmd_produce, "txn": cmd_txn, "consume": cmd_consume, "offsets": cmd_offsets}[args.cmd](args)


if __name__ == "__main__":
    main()
