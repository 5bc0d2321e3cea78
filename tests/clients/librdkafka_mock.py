"""librdkafka's in-memory mock cluster, hosted in this process through the library's public C API.

Used by tests/clients/mock_cluster_ctl.py (tests that steer leaders) and bench/e2e/load.py (the
benchmarks' reference broker). kcat's own mock (-X test.mock.num.brokers) can neither choose a
topic's partition count nor move a leader; these calls of Debian's librdkafka.so.1 can.
"""
import ctypes


class MockCluster:
    def __init__(self, brokers):
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
            raise RuntimeError("rd_kafka_new: " + errstr.value.decode())
        mcluster = lib.rd_kafka_mock_cluster_new(rk, int(brokers))
        if not mcluster:
            raise RuntimeError("rd_kafka_mock_cluster_new failed")
        self._lib = lib
        self._rk = rk  # the mock lives as long as this handle
        self._mcluster = mcluster
        self.bootstrap = lib.rd_kafka_mock_cluster_bootstraps(mcluster).decode()

    def create_topic(self, name, partitions, replication=1):
        """rd_kafka_mock_topic_create(); returns librdkafka's error code (0 = done)."""
        return self._lib.rd_kafka_mock_topic_create(self._mcluster, name.encode(), int(partitions), int(replication))

    def set_leader(self, topic, partition, broker_id):
        """rd_kafka_mock_partition_set_leader(); returns librdkafka's error code (0 = done)."""
        return self._lib.rd_kafka_mock_partition_set_leader(self._mcluster, topic.encode(), int(partition), int(broker_id))
