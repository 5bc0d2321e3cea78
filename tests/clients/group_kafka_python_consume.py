"""Consume with kafka-python 2.0.2 in a consumer group (subscribe), commit, close.

spec: {bootstrap, topic, group, count, timeout_s?, config?: {}}
prints: {"records": [{partition, offset, value}], "errors": [], "timed_out": bool, "api_version": [..]}
"""
import time

from kafka import KafkaConsumer

from common import spec, b64, out

s = spec()
timeout_s = s.get('timeout_s', 45)
conf = dict(bootstrap_servers=s['bootstrap'], group_id=s['group'], enable_auto_commit=False,
            auto_offset_reset='earliest', session_timeout_ms=10000, heartbeat_interval_ms=1000)
conf.update(s.get('config', {}))
c = KafkaConsumer(s['topic'], **conf)
records = []
deadline = time.time() + timeout_s
while len(records) < s['count'] and time.time() < deadline:
    for tp, msgs in c.poll(timeout_ms=200).items():
        for m in msgs:
            records.append({'partition': m.partition, 'offset': m.offset, 'value': b64(m.value)})
c.commit()
version = list(c.config['api_version'])
c.close()
out({'records': records, 'errors': [], 'timed_out': time.time() >= deadline, 'api_version': version})
