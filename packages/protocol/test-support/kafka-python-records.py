#!/usr/bin/env python3
"""Cross-check helper for Samsa's record batch codec, driven by
packages/protocol/test/records/interop.test.ts.

Uses kafka-python's pure-Python record builders/readers (Debian python3-kafka 2.0.2)
as an independent implementation of magic 0/1/2 records.

  build   -> prints JSON {"<name>": {"hex": ..., "magic": m, "codec": c}} for every
             (magic, codec) combination kafka-python can write here, from the fixed
             RECORDS below.
  read    -> reads JSON {"<name>": "<hex>"} on stdin and prints, per entry, the
             batches and records kafka-python decodes from it (or an "error").
  check   -> prints JSON {"codecs": {...}} saying which codec modules are importable.
"""
import json
import sys

from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.legacy_records import LegacyRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords
from kafka import codec as kcodec

BASE_TS = 1700000000000

# (offset, timestamp, key, value, headers) -- kept in sync with interop.test.ts
RECORDS = [
    (0, BASE_TS, b"key-0", b"value-0", [("h1", b"v1"), ("h2", None)]),
    (1, BASE_TS + 7, None, b"value-1 " * 40, []),
    (2, BASE_TS + 3, b"key-2", None, [("\u00e9t\u00e9", b"")]),
    (3, BASE_TS + 1000000, b"", b"", []),
]

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def available():
    return {
        "none": True,
        "gzip": kcodec.has_gzip(),
        "snappy": kcodec.has_snappy(),
        "lz4": kcodec.has_lz4(),
        "zstd": kcodec.has_zstd(),
        # magic 0 lz4 needs xxhash for Kafka's broken header checksum
        "lz4_magic0": kcodec.has_lz4() and getattr(kcodec, "xxhash", None) is not None,
    }


def build():
    avail = available()
    out = {}
    for name, codec in CODECS.items():
        if not avail[name]:
            continue
        b = DefaultRecordBatchBuilder(
            magic=2, compression_type=codec, is_transactional=False,
            producer_id=4242, producer_epoch=3, base_sequence=17, batch_size=1 << 30)
        for off, ts, key, value, headers in RECORDS:
            b.append(off, timestamp=ts, key=key, value=value, headers=headers)
        out["v2-" + name] = {"hex": bytes(b.build()).hex(), "magic": 2, "codec": codec}
        if codec == 4:
            continue  # zstd does not exist for magic 0/1
        for magic in (0, 1):
            if magic == 0 and codec == 3 and not avail["lz4_magic0"]:
                continue
            lb = LegacyRecordBatchBuilder(magic=magic, compression_type=codec, batch_size=1 << 30)
            for off, ts, key, value, _headers in RECORDS:
                lb.append(off, timestamp=ts, key=key, value=value)
            out["v%d-%s" % (magic, name)] = {"hex": bytes(lb.build()).hex(), "magic": magic, "codec": codec}
    return out


def hexb(b):
    return None if b is None else bytes(b).hex()


def read(entries):
    out = {}
    for name, hx in entries.items():
        try:
            recs = MemoryRecords(bytes.fromhex(hx))
            batches = []
            while True:
                batch = recs.next_batch()
                if batch is None:
                    break
                info = {"records": []}
                if batch.magic == 2:
                    ok = batch.validate_crc()
                    info.update({
                        "crcOk": ok, "baseOffset": batch.base_offset,
                        "compression": batch.compression_type,
                        "timestampType": batch.timestamp_type,
                        "isTransactional": batch.is_transactional,
                        "isControl": batch.is_control_batch,
                        # kafka-python 2.0.2 has no accessors for these; read its parsed header tuple
                        "producerId": batch._header_data[9], "producerEpoch": batch._header_data[10],
                        "baseSequence": batch._header_data[11],
                        "lastOffsetDelta": batch.last_offset_delta,
                        "firstTimestamp": batch.first_timestamp, "maxTimestamp": batch.max_timestamp,
                    })
                for r in batch:
                    info["records"].append({
                        "offset": r.offset, "timestamp": r.timestamp,
                        "key": hexb(r.key), "value": hexb(r.value),
                        "headers": [[k, hexb(v)] for k, v in r.headers],
                    })
                batches.append(info)
            out[name] = {"batches": batches}
        except Exception as e:  # report, don't crash: the test asserts on it
            out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
    return out


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "build"
    if mode == "check":
        res = {"codecs": available()}
    elif mode == "build":
        res = build()
    elif mode == "read":
        res = read(json.load(sys.stdin))
    else:
        raise SystemExit("unknown mode " + mode)
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
