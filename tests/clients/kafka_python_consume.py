"""Consume a topic from the beginning with kafka-python 2.0.2, without a group (assign).

spec: {bootstrap, topic, partitions?: [int], count?: int, timeout_s?, config?: {}}
Reads each partition up to its end offset at start, or until `count` records.
prints: {"records": [{partition, offset, key, value, headers, timestamp}], "errors": [], "api_version": [..]}
"""
import time

from kafka import KafkaConsumer, TopicPartition

from common import spec, b64, out, headers_out

s = spec()
timeout_s = s.get('timeout_s', 30)
conf = dict(bootstrap_servers=s['bootstrap'], enable_auto_commit=False, group_id=None,
            auto_offset_reset='earliest', consumer_timeout_ms=1000)
conf.update(s.get('config', {}))
c = KafkaConsumer(**conf)
partitions = s.get('partitions')
deadline = time.time() + timeout_s
while partitions is None:
    found = c.partitions_for_topic(s['topic'])
    if found:
        partitions = sorted(found)
    elif time.time() > deadline:
        raise SystemExit('no metadata for topic ' + s['topic'])
    else:
        c.topics()  # refresh metadata
tps = [TopicPartition(s['topic'], p) for p in partitions]
c.assign(tps)
c.seek_to_beginning(*tps)
end = c.end_offsets(tps)
records, errors = [], []
count = s.get('count')


def done():
    if count is not None:
        return len(records) >= count
    return all(c.position(tp) >= end[tp] for tp in tps)


while not done() and time.time() < deadline:
    batch = c.poll(timeout_ms=200)
    for tp, msgs in batch.items():
        for m in msgs:
            records.append({
                'partition': m.partition,
                'offset': m.offset,
                'key': b64(m.key),
                'value': b64(m.value),
                'headers': headers_out(m.headers),
                'timestamp': m.timestamp,
            })
version = list(c.config['api_version'])
c.close()
out({'records': records, 'errors': errors, 'timed_out': time.time() >= deadline, 'api_version': version})
