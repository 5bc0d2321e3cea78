"""Produce records with confluent-kafka (librdkafka).

spec: {bootstrap, topic, records: [{key, value, headers, timestamp, partition?}],
       compression?: none|gzip|snappy|lz4|zstd, acks?: 0|1|-1|'all', partitioner?, config?: {}, timeout_s?}
prints: {"delivered": [{"partition", "offset", "error", "error_code"}]} in input order.
"""
from confluent_kafka import Producer

from common import spec, unb64, out, headers_in

s = spec()
conf = {
    'bootstrap.servers': s['bootstrap'],
    'compression.codec': s.get('compression', 'none'),
    'acks': str(s.get('acks', 'all')),
    'linger.ms': 5,
    'message.timeout.ms': int(s.get('timeout_s', 30) * 1000),
}
if s.get('partitioner'):
    conf['partitioner'] = s['partitioner']
conf.update(s.get('config', {}))
p = Producer(conf)
results = [None] * len(s['records'])


def report(i):
    def cb(err, msg):
        if err is not None:
            results[i] = {'partition': msg.partition(), 'offset': -1, 'error': err.name(), 'error_code': err.code()}
        else:
            results[i] = {'partition': msg.partition(), 'offset': msg.offset(), 'error': None, 'error_code': 0}
    return cb


for i, r in enumerate(s['records']):
    kwargs = {'value': unb64(r.get('value')), 'key': unb64(r.get('key')), 'on_delivery': report(i)}
    if r.get('headers'):
        kwargs['headers'] = headers_in(r['headers'])
    if r.get('timestamp') is not None:
        kwargs['timestamp'] = r['timestamp']
    if r.get('partition') is not None:
        kwargs['partition'] = r['partition']
    while True:
        try:
            p.produce(s['topic'], **kwargs)
            break
        except BufferError:
            p.poll(0.1)
    p.poll(0)
remaining = p.flush(s.get('timeout_s', 30))
out({'delivered': results, 'undelivered': remaining})
