"""Transactional history workload (confluent-kafka): concurrent transactional producers that log
what each transaction wrote and how it ended, for tests/support/txn-history-checker.ts.

spec (argv[1]): {bootstrap, topics: [str], partitions: int, writers: int, txns_per_writer: int,
       seed: int, id_prefix: str, commit_ratio?: 0.6, max_partitions_per_txn?: 3,
       max_records_per_partition?: 3, zombie_ratio?: 0.05, impatient_ratio?: 0.08,
       op_timeout_s?: 10, deadline_s?: 100, config?: {}, debug_log?: path}

One thread per writer, each with its own transactional.id `<id_prefix>-w<i>` and its own
random.Random seeded with "<seed>/<i>", so the plan of every transaction (partitions, record counts, commit or
abort, flush before abort, injected fault) replays with the seed; only the interleaving of the
threads and the moments of the broker's failures do not. Transaction `seq` of writer `w`
writes the values "w<i>.<seq>.<n>" (n = production order) round robin over a random set of
partitions of the topics, then commits or aborts. Two client faults are injected at random:

  zombie     after producing, a new producer for the same transactional.id runs
             init_transactions (fencing the old one and aborting its open transaction), then
             the old producer tries to commit, which must fail
  impatient  commit_transaction with a timeout of a few milliseconds and no retry: when it
             times out the producer is replaced, and the commit may or may not have happened

The outcome logged is what the producer observed:

  committed  commit_transaction returned (it is retried while its error is retriable)
  aborted    abort_transaction returned, or the producer was fenced by its successor's
             init_transactions before commit_transaction was called (init_transactions returns
             only once the open transaction is aborted, and nothing else can commit it)
  unknown    commit_transaction was called and neither it nor abort_transaction returned

Errors: abortable or retriable ones abort the transaction and the writer goes on; fatal ones
(e.g. fenced), an abort that keeps failing, or any other error replace the producer with a new
one for the same transactional.id, whose init_transactions is retried until it succeeds. When
every writer is done (or stdin is closed, or the deadline passes) each writer "settles": a
fresh producer with its transactional.id runs init_transactions, which returns only once the
coordinator has completed or aborted the writer's last transaction, so no transaction stays
open and the last stable offsets reach the high watermarks.

With `debug_log`, librdkafka's transaction debug log (debug=eos,msg) of every producer goes to
that file; each producer's client.id is "<writer>-<n>" (n counts the writer's producers).

stdout, one JSON object per line:
  {"txn": {"writer", "seq", "outcome", "intent", "fault": null|"zombie"|"impatient",
           "writes": [[topic, partition, value, offset|null]], "error": str|null}}
      one per transaction, when it ended; writes in production order, offset from the delivery
      report (committed transactions only)
  {"event": "replace"|"init-retry", "writer", "error"}     producer replaced / init retried
  {"done": true, "txns": int, "settled": [writer], "unsettled": {writer: error}, "failed": {writer: error},
   "stopped_early": bool}                                  at the end ("failed": writers whose thread died)
"""
import logging
import os
import random
import sys
import threading
import time

from confluent_kafka import KafkaException, Producer

from common import spec, out

s = spec()
stop = threading.Event()
out_lock = threading.Lock()
deadline = time.time() + s.get('deadline_s', 100)
op_timeout = s.get('op_timeout_s', 10)
commit_ratio = s.get('commit_ratio', 0.6)
max_parts = s.get('max_partitions_per_txn', 3)
max_records = s.get('max_records_per_partition', 3)
zombie_ratio = s.get('zombie_ratio', 0.05)
impatient_ratio = s.get('impatient_ratio', 0.08)
all_partitions = [(t, p) for t in s['topics'] for p in range(s['partitions'])]
txn_count = [0]
# Producers replaced or done with are kept here, never destroyed while the workload runs:
# librdkafka 2.0.2 may crash (an assertion in rd_kafka_txn_handle_AddPartitionsToTxn, or heap
# corruption noticed at thread exit) when a transactional producer is destroyed with
# transactional requests in flight to a broker that was just killed. The process ends with
# os._exit once everything is reported, so none is destroyed at all.
graveyard = []
failed = {}  # writer -> the error that ended its thread


debug_logger = None
if s.get('debug_log'):
    debug_logger = logging.getLogger('txn-history-librdkafka')
    debug_logger.setLevel(logging.DEBUG)
    _handler = logging.FileHandler(s['debug_log'])
    _handler.setFormatter(logging.Formatter('%(created).3f %(message)s'))
    debug_logger.addHandler(_handler)


def emit(obj):
    with out_lock:
        out(obj)


def watch_stdin():
    sys.stdin.read()
    stop.set()


def error_text(e):
    if isinstance(e, KafkaException) and e.args:
        err = e.args[0]
        try:
            return '%s: %s' % (err.name(), err.str())
        except AttributeError:
            return str(err)
    return '%s: %s' % (type(e).__name__, e)


def kafka_error(e):
    """The KafkaError inside a KafkaException, or None for other exceptions."""
    if isinstance(e, KafkaException) and e.args and hasattr(e.args[0], 'fatal'):
        return e.args[0]
    return None


class Writer:
    def __init__(self, index):
        self.index = index
        self.name = 'w%d' % index
        self.transactional_id = '%s-w%d' % (s['id_prefix'], index)
        self.rng = random.Random('%d/%d' % (s['seed'], index))
        self.producer = None
        self.instances = 0

    def config(self):
        self.instances += 1
        conf = {
            'bootstrap.servers': s['bootstrap'],
            'client.id': '%s-%d' % (self.name, self.instances),
            'transactional.id': self.transactional_id,
            'transaction.timeout.ms': 30000,
            'linger.ms': 2,
            'retry.backoff.ms': 100,
            'reconnect.backoff.ms': 50,
            'reconnect.backoff.max.ms': 500,
            'socket.connection.setup.timeout.ms': 3000,
            'log_level': 3,
        }
        if debug_logger is not None:
            conf.update({'debug': 'eos,msg', 'logger': debug_logger, 'log_level': 7})
        conf.update(s.get('config', {}))
        return conf

    def fresh_producer(self):
        """A new producer for the transactional id, init_transactions retried until it works."""
        if self.producer is not None:
            graveyard.append(self.producer)
        self.producer = None
        while True:
            p = Producer(self.config())
            while True:
                try:
                    p.init_transactions(op_timeout)
                    return p
                except KafkaException as e:
                    err = kafka_error(e)
                    emit({'event': 'init-retry', 'writer': self.name, 'error': error_text(e)})
                    if time.time() > deadline + 30:
                        raise
                    if err is None or err.fatal() or not err.retriable():
                        break  # a new producer instance
            graveyard.append(p)

    def replace(self, reason):
        emit({'event': 'replace', 'writer': self.name, 'error': reason})
        self.producer = self.fresh_producer()

    def try_abort(self):
        """abort_transaction, retried while retriable; True if it returned."""
        if self.producer is None:
            return False
        for _ in range(4):
            try:
                self.producer.abort_transaction(op_timeout)
                return True
            except KafkaException as e:
                err = kafka_error(e)
                if err is None or err.fatal() or not err.retriable():
                    return False
        return False

    def plan(self, seq):
        """(writes in production order, intent, flush first, fault, impatient timeout), from the writer's rng."""
        parts = self.rng.sample(all_partitions, self.rng.randint(1, min(max_parts, len(all_partitions))))
        counts = [self.rng.randint(1, max_records) for _ in parts]
        writes = []
        for round_ in range(max(counts)):
            for (topic, partition), count in zip(parts, counts):
                if round_ < count:
                    writes.append([topic, partition, '%s.%d.%d' % (self.name, seq, len(writes)), None])
        intent = 'commit' if self.rng.random() < commit_ratio else 'abort'
        flush_first = self.rng.random() < 0.8
        r = self.rng.random()
        fault = 'zombie' if r < zombie_ratio else 'impatient' if r < zombie_ratio + impatient_ratio and intent == 'commit' else None
        impatient_timeout = 0.001 + self.rng.random() * 0.05
        return writes, intent, flush_first, fault, impatient_timeout

    def zombie_commit(self, p):
        """Fences `p` with a new producer, then lets `p` try to commit: 'committed' only if it may."""
        emit({'event': 'replace', 'writer': self.name, 'error': 'injected: zombie'})
        self.producer = self.fresh_producer()
        try:
            p.commit_transaction(op_timeout)
            return 'committed', None  # a fenced producer committed: the checker decides if that shows
        except KafkaException as e:
            return 'aborted', error_text(e)

    def run_txn(self, seq):
        planned, intent, flush_first, fault, impatient_timeout = self.plan(seq)
        written = []  # the planned writes actually handed to produce()
        commit_called = False
        outcome, error = None, None

        def delivered(write):
            def cb(err, msg):
                if err is None:
                    write[3] = msg.offset()
            return cb

        p = self.producer
        try:
            p.begin_transaction()
            for write in planned:
                p.produce(write[0], value=write[2].encode(), key=write[2].encode(), partition=write[1], on_delivery=delivered(write))
                written.append(write)
                p.poll(0)
            if fault == 'zombie':
                if flush_first:
                    p.flush(op_timeout)
                outcome, error = self.zombie_commit(p)
            elif fault == 'impatient':
                commit_called = True
                try:
                    p.commit_transaction(impatient_timeout)
                    outcome = 'committed'
                except KafkaException as e:
                    error = error_text(e)
                    self.replace('injected: impatient commit: ' + error)
                    outcome = 'unknown'
            elif intent == 'commit':
                commit_called = True
                for attempt in range(4):
                    try:
                        p.commit_transaction(op_timeout)
                        outcome = 'committed'
                        break
                    except KafkaException as e:
                        err = kafka_error(e)
                        error = error_text(e)
                        if err is None or err.fatal() or err.txn_requires_abort() or not err.retriable():
                            raise
                if outcome is None:
                    raise RuntimeError('commit_transaction still failing after 4 attempts: %s' % error)
            else:
                if flush_first:
                    p.flush(op_timeout)  # the records reach the log before the abort
                p.abort_transaction(op_timeout)
                outcome = 'aborted'
        except (KafkaException, BufferError, RuntimeError) as e:
            error = error_text(e)
            err = kafka_error(e)
            if err is not None and not err.fatal() and self.try_abort():
                outcome = 'aborted'
            else:
                # The replacement fences this producer; what it never asked to commit stays aborted.
                self.replace(error)
                outcome = 'unknown' if commit_called else 'aborted'
        if outcome == 'committed':
            p.poll(0)  # delivery reports not served yet (commit_transaction flushes, so rarely any)
        else:
            for write in written:
                write[3] = None  # offsets matter only for records that must be read
        emit({'txn': {'writer': self.name, 'seq': seq, 'outcome': outcome, 'intent': intent, 'fault': fault, 'writes': written, 'error': error}})
        with out_lock:
            txn_count[0] += 1

    def run(self):
        try:
            self.producer = self.fresh_producer()
            for seq in range(s['txns_per_writer']):
                if stop.is_set() or time.time() > deadline:
                    break
                self.run_txn(seq)
        except Exception as e:  # noqa: BLE001 - reported in the done line, the test fails on it
            failed[self.name] = error_text(e)
        graveyard.append(self.producer)
        self.producer = None


def settle(writer, settled, unsettled):
    try:
        p = Producer(writer.config())
        graveyard.append(p)
        for _ in range(6):
            try:
                p.init_transactions(op_timeout)
                settled.append(writer.name)
                return
            except KafkaException as e:
                err = kafka_error(e)
                unsettled[writer.name] = error_text(e)
                if err is None or err.fatal():
                    return
    except Exception as e:  # noqa: BLE001 - reported, the test fails on it
        unsettled[writer.name] = error_text(e)


threading.Thread(target=watch_stdin, daemon=True).start()
writers = [Writer(i) for i in range(s['writers'])]
threads = [threading.Thread(target=w.run, name=w.name) for w in writers]
for t in threads:
    t.start()
for t in threads:
    t.join()
settled, unsettled = [], {}
for w in writers:
    settle(w, settled, unsettled)
for name in settled:
    unsettled.pop(name, None)
emit({'done': True, 'txns': txn_count[0], 'settled': settled, 'unsettled': unsettled, 'failed': failed,
      'stopped_early': stop.is_set() or time.time() > deadline})
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)  # see graveyard
