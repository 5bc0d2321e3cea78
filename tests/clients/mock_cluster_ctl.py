"""Hosts librdkafka's in-memory mock cluster and lets the test steer it.

Spec (argv[1]): {"brokers": N}. Prints {"bootstrap": "..."} once the cluster listens, then reads
commands on stdin, one per line, and answers each with one JSON line:
  topic NAME PARTITIONS REPLICATION   rd_kafka_mock_topic_create()        -> {"cmd": ..., "err": code}
  leader TOPIC PARTITION BROKER_ID    rd_kafka_mock_partition_set_leader() -> {"cmd": ..., "err": code}
Exits on stdin EOF. kcat's own mock (-X test.mock.num.brokers) cannot move a partition's leader,
so this drives the public mock API of Debian's librdkafka through ctypes.
"""
import ctypes
import os
import sys

from common import out, spec


def main():
    s = spec()
    lib = ctypes.CDLL("librdkafka.so.1")
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.restype = ctypes.c_int
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
    lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_topic_create.restype = ctypes.c_int
    lib.rd_kafka_mock_topic_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    lib.rd_kafka_mock_partition_set_leader.restype = ctypes.c_int
    lib.rd_kafka_mock_partition_set_leader.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_int32]
    errstr = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    # The host handle never connects anywhere; a dummy bootstrap silences its configuration warning.
    lib.rd_kafka_conf_set(conf, b"bootstrap.servers", b"127.0.0.1:1", errstr, 512)
    lib.rd_kafka_conf_set(conf, b"log_level", b"3", errstr, 512)
    rk = lib.rd_kafka_new(0, conf, errstr, 512)  # RD_KAFKA_PRODUCER
    if not rk:
        out({"error": "rd_kafka_new: " + errstr.value.decode()})
        sys.exit(1)
    mcluster = lib.rd_kafka_mock_cluster_new(rk, int(s.get("brokers", 3)))
    if not mcluster:
        out({"error": "rd_kafka_mock_cluster_new failed"})
        sys.exit(1)
    out({"bootstrap": lib.rd_kafka_mock_cluster_bootstraps(mcluster).decode()})
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "topic":
            err = lib.rd_kafka_mock_topic_create(mcluster, parts[1].encode(), int(parts[2]), int(parts[3]))
        elif len(parts) == 4 and parts[0] == "leader":
            err = lib.rd_kafka_mock_partition_set_leader(mcluster, parts[1].encode(), int(parts[2]), int(parts[3]))
        elif parts:
            out({"cmd": line.strip(), "error": "unknown command"})
            continue
        else:
            continue
        out({"cmd": line.strip(), "err": err})
    # stdin EOF: exit without destroying the handles (the process is going away anyway).
    os._exit(0)


main()
