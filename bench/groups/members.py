#!/usr/bin/python3
"""Consumer-group members for bench/groups/run.mjs (confluent-kafka-python 1.7 / librdkafka 2.0.2).

Run it with /usr/bin/python3: Debian's python3-confluent-kafka does not import under the pyenv
python3 that is first on PATH. Each subcommand measures one trial against one broker and prints
JSON lines on stdout; the last line is the result ({"error": ...} on failure, exit status 1).
Every member is a real librdkafka consumer (eager `range` assignor, the classic protocol).

  join      N members subscribe to a fresh group at once: time until every member holds its
            assignment. Then one extra member subscribes: time until all N+1 hold the new one.
  death     a group of N members, one of them in a child process. The child is SIGKILLed
            (--how kill: no LeaveGroup) or closes (--how leave: close(), i.e. LeaveGroup): time
            until the survivors hold all partitions.
  commits   one member of a fresh group commits explicit offsets in a loop, synchronously and
            with many asynchronous commits in flight, for 1 and for P partitions per commit.
  member    the child of `death` (one consumer; stdin "close" closes it, EOF exits).

Clock: time.monotonic() is CLOCK_MONOTONIC, one clock for every process on the machine, so the
child's timestamps compare directly with the parent's.

"Holds its assignment" is librdkafka's on_assign callback having run for it. The callbacks are
served by one poll thread per consumer (poll() releases the GIL while it waits in C), so a
rebalance event is seen within microseconds instead of after a round-robin sweep over 100
consumers, and the process does not spin a core the brokers need.
"""

import argparse
import ctypes
import json
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(msg):
    emit({"error": msg})
    sys.stdout.flush()
    # os._exit: consumer threads must not keep the process alive, nor run close() handshakes.
    os._exit(1)


def finish(obj):
    emit(obj)
    # Exit without close(): members simply disappear (the trial's group is never used again, the
    # broker expires them after session.timeout.ms). Closing 100 members one by one would make
    # each broker run up to 100 rebalances before the next trial; killing is the same for both.
    os._exit(0)


def consumer_conf(args, group, extra=None):
    conf = {
        "bootstrap.servers": args.bootstrap,
        "group.id": group,
        "session.timeout.ms": args.session_timeout_ms,
        "heartbeat.interval.ms": args.heartbeat_ms,
        "partition.assignment.strategy": "range",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "latest",
        # Assigned partitions are empty; keep the idle members' fetch long-polls infrequent.
        "fetch.wait.max.ms": 500,
        "log_level": 3,
    }
    if extra:
        conf.update(extra)
    return conf


def group_generation(c):
    """The generation librdkafka currently sees, from its serialized group metadata (CGMDv2)."""
    try:
        raw = c.consumer_group_metadata()
        if isinstance(raw, bytes) and raw.startswith(b"CGMDv2:"):
            return struct.unpack("<i", raw[7:11])[0]
    except Exception:  # noqa: BLE001 - best effort, the generation is only a cross-check
        pass
    return None


# ---------------------------------------------------------------------------------------------
# Tracking assignments


class Tracker:
    """Latest rebalance event of every member, and a watch that fires when a set of members all
    hold assignments (received after t0) that together cover every partition exactly once."""

    def __init__(self, partitions):
        self.lock = threading.Lock()
        self.expected = frozenset(range(partitions))
        self.latest = {}  # name -> (kind, t, frozenset(partitions), generation)
        self.assigns = {}  # name -> [t of every assign]
        self.watch = None  # (t0, frozenset(names))
        self.done = threading.Event()
        self.done_t = None
        self.trace = []  # (t, name, kind, generation, partition count)

    def record(self, name, kind, parts, gen, t=None):
        t = time.monotonic() if t is None else t
        with self.lock:
            self.trace.append((t, name, kind, gen, len(parts)))
            self.latest[name] = (kind, t, frozenset(parts), gen)
            if kind == "assign":
                self.assigns.setdefault(name, []).append(t)
            self._check()

    def forget(self, name):
        with self.lock:
            self.latest.pop(name, None)

    def arm(self, t0, names):
        with self.lock:
            self.watch = (t0, frozenset(names))
            self.done.clear()
            self.done_t = None
            self._check()

    def _check(self):
        if self.watch is None or self.done.is_set():
            return
        t0, names = self.watch
        seen = set()
        total = 0
        gens = set()
        last = t0
        for n in names:
            st = self.latest.get(n)
            if st is None or st[0] != "assign" or st[1] < t0:
                return
            seen |= st[2]
            total += len(st[2])
            gens.add(st[3])
            last = max(last, st[1])
        if total != len(self.expected) or seen != self.expected:
            return
        if len(gens - {None}) > 1:
            return
        self.done_t = last
        self.done.set()

    def rounds_since(self, t0, names):
        """Most assignments any of the members received after t0 (1 = a single generation)."""
        with self.lock:
            return max((sum(1 for t in self.assigns.get(n, []) if t >= t0) for n in names), default=0)

    def summary(self, names):
        with self.lock:
            assigned = [n for n in names if self.latest.get(n, ("",))[0] == "assign"]
            covered = set()
            for n in assigned:
                covered |= self.latest[n][2]
            return "%d of %d members hold an assignment, %d of %d partitions covered" % (
                len(assigned), len(names), len(covered), len(self.expected))


class Member:
    """One consumer with its own poll thread that serves the rebalance callbacks."""

    def __init__(self, name, conf, tracker):
        from confluent_kafka import Consumer

        self.name = name
        self.tracker = tracker
        self.consumer = Consumer(conf)
        self.errors = []
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def _on_assign(self, c, parts):
        self.tracker.record(self.name, "assign", [p.partition for p in parts], group_generation(c))

    def _on_revoke(self, c, parts):
        self.tracker.record(self.name, "revoke", [], None)

    def _loop(self):
        c = self.consumer
        while True:
            try:
                msg = c.poll(0.5)
            except Exception as e:  # noqa: BLE001 - the consumer is broken, report it
                self.errors.append(str(e))
                return
            if msg is not None and msg.error() is not None:
                self.errors.append(msg.error().str())

    def warm_up(self, topic, timeout):
        """OffsetFetch through the group coordinator: the coordinator is found and connected."""
        from confluent_kafka import TopicPartition

        self.consumer.committed([TopicPartition(topic, 0)], timeout=timeout)

    def subscribe(self, topic):
        self.consumer.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke)


def wait_done(tracker, names, timeout, what, members=()):
    if not tracker.done.wait(timeout):
        errs = sorted({e for m in members for e in m.errors})
        fail("%s: not complete after %.0f s (%s)%s" % (
            what, timeout, tracker.summary(names), "; client errors: " + "; ".join(errs[:5]) if errs else ""))
    return tracker.done_t


def warm_up_all(members, topic, timeout):
    t0 = time.monotonic()
    for m in members:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            fail("warm-up: the coordinator was not reachable within %.0f s" % timeout)
        try:
            m.warm_up(topic, left)
        except Exception as e:  # noqa: BLE001
            fail("warm-up of %s (OffsetFetch): %s" % (m.name, e))
    return time.monotonic() - t0


# ---------------------------------------------------------------------------------------------
# join


def cmd_join(args):
    group = "bench-join-%s" % uuid.uuid4().hex[:12]
    tracker = Tracker(args.partitions)
    t_create = time.monotonic()
    members = [Member("m%d" % i, consumer_conf(args, group), tracker) for i in range(args.members)]
    create_s = time.monotonic() - t_create
    warm_s = warm_up_all(members, args.topic, args.timeout)
    names = [m.name for m in members]

    # Initial join: the clock starts before the first subscribe(); subscribing 100 consumers
    # takes a few ms, which is part of "the members' joins".
    t0 = time.monotonic()
    tracker.arm(t0, names)
    for m in members:
        m.subscribe(args.topic)
    t_done = wait_done(tracker, names, args.timeout, "initial join of %d members" % args.members, members)
    result = {
        "members": args.members,
        "partitions": args.partitions,
        "createSeconds": create_s,
        "warmUpSeconds": warm_s,
        "joinSeconds": t_done - t0,
        "joinRounds": tracker.rounds_since(t0, names),
    }

    if args.extra:
        extra = Member("extra", consumer_conf(args, group), tracker)
        warm_up_all([extra], args.topic, args.timeout)
        names2 = names + ["extra"]
        t1 = time.monotonic()
        tracker.arm(t1, names2)
        extra.subscribe(args.topic)
        t_done2 = wait_done(tracker, names2, args.timeout, "rebalance for an extra member (%d + 1)" % args.members,
                            members + [extra])
        result["extraSeconds"] = t_done2 - t1
        result["extraRounds"] = tracker.rounds_since(t1, names2)
    if args.trace:
        result["trace"] = [["%.3f" % (t - t0), n, k, g, c] for t, n, k, g, c in tracker.trace]
    finish(result)


# ---------------------------------------------------------------------------------------------
# death


def cmd_death(args):
    group = "bench-death-%s" % uuid.uuid4().hex[:12]
    tracker = Tracker(args.partitions)
    child_args = [sys.executable, os.path.abspath(__file__), "member", "--bootstrap", args.bootstrap, "--topic", args.topic,
                  "--group", group, "--session-timeout-ms", str(args.session_timeout_ms),
                  "--heartbeat-ms", str(args.heartbeat_ms)]
    child = subprocess.Popen(child_args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    child_events = {}
    child_lock = threading.Condition()

    def read_child():
        for raw in child.stdout:
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            if ev.get("event") in ("assign", "revoke"):
                tracker.record("victim", ev["event"], ev.get("partitions", []), ev.get("gen"), ev["t"])
            with child_lock:
                child_events[ev.get("event")] = ev
                child_lock.notify_all()

    threading.Thread(target=read_child, daemon=True).start()

    survivors = [Member("s%d" % i, consumer_conf(args, group), tracker) for i in range(args.members - 1)]
    warm_up_all(survivors, args.topic, args.timeout)
    for m in survivors:
        m.subscribe(args.topic)
    names = [m.name for m in survivors]

    # Stable: every member, the victim included, holds an assignment of the same generation and
    # together they cover every partition once.
    tracker.arm(0.0, names + ["victim"])
    wait_done(tracker, names + ["victim"], args.timeout, "forming the group of %d members" % args.members, survivors)
    # Act at a random phase of the heartbeat cycle. Right after the group forms, every member's
    # heartbeats are in step with the SyncGroup answers, and the session timeout is a multiple of
    # the interval: the survivors' discovery heartbeat would then land just before or just after
    # the victim's expiry, and the result would jump between two values one interval apart.
    settle_s = random.uniform(1.0, 2.0) * args.heartbeat_ms / 1000
    time.sleep(settle_s)

    if args.how == "kill":
        t0 = time.monotonic()
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    else:
        child.stdin.write(b"close\n")
        child.stdin.flush()
        with child_lock:
            if not child_lock.wait_for(lambda: "closing" in child_events, args.timeout):
                fail("the leaving member did not start close()")
            t0 = child_events["closing"]["t"]
    # Only the survivors are watched from here on; the victim's last state is dropped (a late event
    # of it, the revoke inside its close(), is recorded but not watched).
    tracker.forget("victim")
    close_s = None
    tracker.arm(t0, names)
    t_done = wait_done(tracker, names, args.timeout, "reassignment after the member %s" % (
        "was killed" if args.how == "kill" else "left"), survivors)
    if args.how == "leave":
        with child_lock:
            child_lock.wait_for(lambda: "closed" in child_events, 10)
            if "closed" in child_events:
                close_s = child_events["closed"]["t"] - t0
        child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
    finish({
        "how": args.how,
        "members": args.members,
        "partitions": args.partitions,
        "sessionTimeoutMs": args.session_timeout_ms,
        "seconds": t_done - t0,
        "settleSeconds": settle_s,
        "closeSeconds": close_s,
        "rounds": tracker.rounds_since(t0, names),
    })


def cmd_member(args):
    # Die with the parent (which dies with run.mjs): PR_SET_PDEATHSIG = 1.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass
    if os.getppid() == 1:
        os._exit(1)
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(consumer_conf(args, args.group))

    def on_assign(cons, parts):
        emit({"event": "assign", "t": time.monotonic(), "partitions": [p.partition for p in parts], "gen": group_generation(cons)})

    def on_revoke(cons, parts):
        emit({"event": "revoke", "t": time.monotonic()})

    c.committed([TopicPartition(args.topic, 0)], timeout=30)
    c.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)
    stop = threading.Event()

    def read_stdin():
        for line in sys.stdin:
            if line.strip() == "close":
                break
        stop.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    while not stop.is_set():
        c.poll(0.1)
    emit({"event": "closing", "t": time.monotonic()})
    c.close()
    emit({"event": "closed", "t": time.monotonic()})
    sys.stdin.read()  # wait for EOF: the parent decides when the child is gone
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# commits


def cmd_commits(args):
    from confluent_kafka import TopicPartition

    group = "bench-commits-%s" % uuid.uuid4().hex[:12]
    tracker = Tracker(args.partitions)
    # Completions of the current async run: done, errors, last error, and the run's first offset.
    # A callback for an older offset (a sync commit's result, which librdkafka may also report
    # through on_commit) is not counted, so the window and the final drain stay exact.
    completions = [0, 0, None, 1 << 62]

    def on_commit(err, parts):
        if not parts or parts[0].offset < completions[3]:
            return
        completions[0] += 1
        if err is not None:
            completions[1] += 1
            completions[2] = str(err)
        else:
            for p in parts:
                if p.error is not None:
                    completions[1] += 1
                    completions[2] = str(p.error)
                    break

    m = Member("c", consumer_conf(args, group, {"on_commit": on_commit}), tracker)
    m.warm_up(args.topic, args.timeout)
    tracker.arm(0.0, ["c"])
    m.subscribe(args.topic)
    wait_done(tracker, ["c"], args.timeout, "the committing member's join", [m])
    c = m.consumer
    offset = [0]

    def batch(p):
        offset[0] += 1
        return [TopicPartition(args.topic, i, offset[0]) for i in range(p)]

    def run_sync(p):
        n = 0
        t0 = time.perf_counter()
        c0 = time.thread_time()
        p0 = time.process_time()
        end = t0 + args.seconds
        while True:
            res = c.commit(offsets=batch(p), asynchronous=False)
            n += 1
            for tp in res or ():
                if tp.error is not None:
                    fail("sync commit: %s" % tp.error)
            if time.perf_counter() >= end:
                break
        t1 = time.perf_counter()
        return n, t1 - t0, time.thread_time() - c0, time.process_time() - p0

    def run_async(p):
        # The poll thread of Member serves on_commit; this thread only issues commits while
        # fewer than --window are outstanding, and sleeps 0.2 ms when the window is full.
        completions[0] = 0
        completions[3] = offset[0] + 1
        start_done = 0
        sent = 0
        t0 = time.perf_counter()
        c0 = time.thread_time()
        p0 = time.process_time()
        end = t0 + args.seconds
        while time.perf_counter() < end:
            if sent - (completions[0] - start_done) < args.window:
                c.commit(offsets=batch(p), asynchronous=True)
                sent += 1
            else:
                time.sleep(0.0002)
        deadline = time.perf_counter() + args.timeout
        while completions[0] - start_done < sent:
            if time.perf_counter() > deadline:
                fail("async commits: %d of %d completed" % (completions[0] - start_done, sent))
            time.sleep(0.0002)
        t1 = time.perf_counter()
        if completions[1]:
            fail("%d async commits failed, last: %s" % (completions[1], completions[2]))
        completions[3] = 1 << 62
        return sent, t1 - t0, time.thread_time() - c0, time.process_time() - p0

    for rep in range(args.repeat):
        for mode in ("sync", "async"):
            for p in (1, args.partitions):
                emit({"event": "begin", "mode": mode, "p": p, "rep": rep})
                n, seconds, cpu, proc_cpu = (run_sync if mode == "sync" else run_async)(p)
                # The last offsets must be what the coordinator returns now.
                got = c.committed([TopicPartition(args.topic, i) for i in range(p)], timeout=10)
                bad = [tp.partition for tp in got if tp.offset != offset[0]]
                if bad:
                    fail("%s p=%d: committed offsets of partitions %s are not the last ones (%d)" % (mode, p, bad, offset[0]))
                emit({"event": "end", "mode": mode, "p": p, "rep": rep, "commits": n, "seconds": seconds,
                      "commitsPerSec": n / seconds, "clientThreadPct": cpu / seconds * 100,
                      # all threads of the client process: librdkafka's as well as Python's
                      "clientProcessPct": proc_cpu / seconds * 100})
    finish({"done": True})


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--bootstrap", required=True)
        p.add_argument("--topic", required=True)
        p.add_argument("--session-timeout-ms", type=int, default=6000)
        p.add_argument("--heartbeat-ms", type=int, default=500)
        p.add_argument("--timeout", type=float, default=60, help="bound on every wait, seconds")

    j = sub.add_parser("join")
    common(j)
    j.add_argument("--members", type=int, required=True)
    j.add_argument("--partitions", type=int, required=True)
    j.add_argument("--extra", action="store_true")
    j.add_argument("--trace", action="store_true", help="add every rebalance callback (s after t0) to the result")
    d = sub.add_parser("death")
    common(d)
    d.add_argument("--members", type=int, default=3)
    d.add_argument("--partitions", type=int, required=True)
    d.add_argument("--how", choices=("kill", "leave"), required=True)
    m = sub.add_parser("member")
    common(m)
    m.add_argument("--group", required=True)
    k = sub.add_parser("commits")
    common(k)
    k.add_argument("--partitions", type=int, default=8)
    k.add_argument("--seconds", type=float, default=2.0)
    k.add_argument("--window", type=int, default=100)
    k.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    {"join": cmd_join, "death": cmd_death, "member": cmd_member, "commits": cmd_commits}[args.cmd](args)


if __name__ == "__main__":
    main()
