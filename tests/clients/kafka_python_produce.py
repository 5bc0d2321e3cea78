"""Produce records with kafka-python 2.0.2 (api_version auto-detected from the broker).

spec: {bootstrap, topic, records: [{key, value, headers, timestamp, partition?}],
       compression?: none|gzip|snappy|lz4|zstd, acks?: 0|1|-1|'all', timeout_s?, config?: {}}
prints: {"delivered": [{"partition", "offset", "error"}], "api_version": [..]}
"""
from kafka import KafkaProducer

from common import spec, unb64, out, headers_in

s = spec()
compression = s.get('compression', 'none')
acks = s.get('acks', 'all')
conf = dict(bootstrap_servers=s['bootstrap'], acks=acks if acks != -1 else 'all',
            compression_type=None if compression == 'none' else compression,
            linger_ms=5, request_timeout_ms=int(s.get('timeout_s', 30) * 1000))
conf.update(s.get('config', {}))
p = KafkaProducer(**conf)
futures = []
for r in s['records']:
    futures.append(p.send(s['topic'], key=unb64(r.get('key')), value=unb64(r.get('value')),
                          headers=headers_in(r.get('headers')), partition=r.get('partition'),
                          timestamp_ms=r.get('timestamp')))
p.flush(s.get('timeout_s', 30))
delivered = []
for f in futures:
    try:
        md = f.get(timeout=s.get('timeout_s', 30))
        delivered.append({'partition': md.partition, 'offset': md.offset, 'error': None})
    except Exception as e:  # noqa: BLE001 - reported to the test
        delivered.append({'partition': -1, 'offset': -1, 'error': type(e).__name__ + ': ' + str(e)})
version = list(p.config['api_version'])
p.close(5)
out({'delivered': delivered, 'api_version': version})
