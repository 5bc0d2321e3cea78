"""Produce, then consume in a consumer group, with kafka-python 2.0.2 pinned to an old protocol
(api_version=(0, 9) → Produce v1 / Fetch v1 / magic 0; (0, 10, 1) → Produce v2 / Fetch v3 / magic 1).
The same spec and output as the Go drivers in tests/clients/go/ (tests/compat/legacy-*.test.ts).

spec (stdin): {bootstrap, topic, group, version: "0.9", compression?: none|gzip|snappy|lz4,
               produce: [{key, value, timestamp?}], consume: N, timeout_s?}
prints: {"produced": [{partition, offset}], "records": [{partition, offset, key, value, timestamp}], "error": ""}
"""
import time

from kafka import KafkaConsumer, KafkaProducer

from common import spec, b64, unb64, out

s = spec()
version = tuple(int(x) for x in s['version'].split('.'))
timeout_s = s.get('timeout_s', 45)
result = {'produced': [], 'records': [], 'error': ''}
try:
    if s.get('produce'):
        compression = s.get('compression', 'none')
        p = KafkaProducer(bootstrap_servers=s['bootstrap'], api_version=version, acks='all', linger_ms=5,
                          compression_type=None if compression == 'none' else compression)
        futures = [p.send(s['topic'], key=unb64(r.get('key')), value=unb64(r.get('value')), partition=0,
                          timestamp_ms=r.get('timestamp')) for r in s['produce']]
        p.flush(timeout_s)
        for f in futures:
            md = f.get(timeout=timeout_s)
            result['produced'].append({'partition': md.partition, 'offset': md.offset})
        p.close(5)
    if s.get('consume'):
        c = KafkaConsumer(s['topic'], bootstrap_servers=s['bootstrap'], api_version=version, group_id=s['group'],
                          enable_auto_commit=False, auto_offset_reset='earliest',
                          session_timeout_ms=10000, heartbeat_interval_ms=1000)
        deadline = time.time() + timeout_s
        while len(result['records']) < s['consume'] and time.time() < deadline:
            for tp, msgs in c.poll(timeout_ms=200).items():
                for m in msgs:
                    result['records'].append({'partition': m.partition, 'offset': m.offset, 'key': b64(m.key),
                                              'value': b64(m.value), 'timestamp': m.timestamp})
        if len(result['records']) < s['consume']:
            result['error'] = 'timed out with %d of %d records' % (len(result['records']), s['consume'])
        c.commit()
        c.close()
except Exception as e:  # noqa: BLE001 - reported to the test
    result['error'] = type(e).__name__ + ': ' + str(e)
out(result)
