"""Hosts librdkafka's in-memory mock cluster (librdkafka_mock.py) and lets the test steer it.

Spec (argv[1]): {"brokers": N}. Prints {"bootstrap": "..."} once the cluster listens, then reads
commands on stdin, one per line, and answers each with one JSON line:
  topic NAME PARTITIONS REPLICATION   rd_kafka_mock_topic_create()        -> {"cmd": ..., "err": code}
  leader TOPIC PARTITION BROKER_ID    rd_kafka_mock_partition_set_leader() -> {"cmd": ..., "err": code}
Exits on stdin EOF.
"""
import os
import sys

from common import out, spec
from librdkafka_mock import MockCluster


def main():
    try:
        mock = MockCluster(spec().get("brokers", 3))
    except RuntimeError as e:
        out({"error": str(e)})
        sys.exit(1)
    out({"bootstrap": mock.bootstrap})
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "topic":
            err = mock.create_topic(parts[1], parts[2], parts[3])
        elif len(parts) == 4 and parts[0] == "leader":
            err = mock.set_leader(parts[1], parts[2], parts[3])
        elif parts:
            out({"cmd": line.strip(), "error": "unknown command"})
            continue
        else:
            continue
        out({"cmd": line.strip(), "err": err})
    # stdin EOF: exit without destroying the handles (the process is going away anyway).
    os._exit(0)


main()
