"""Simple-consumer commits with an explicit retention, sent by kafka-python 2.0.2.

KafkaConsumer.commit() always sends RetentionTimeMs -1, so this driver uses kafka-python's own
client (KafkaClient) and request classes: OffsetCommitRequest v2 or v3 with generation -1,
member "" and the given retention_time, then OffsetFetchRequest v3 to read offsets back.

spec: {bootstrap, group, timeout_s?, ops: [
  {op: "commit", version: 2|3, retention_ms, offsets: [[topic, partition, offset]]},
  {op: "fetch", partitions: [[topic, partition]]}]}
prints: {"coordinator": node id, "results": [...]}: a commit gives
{"partitions": [[topic, partition, error_code]]}; a fetch {"error_code", "partitions":
[[topic, partition, offset, error_code]]} (offset -1 = nothing committed).
"""
import time

from kafka.client_async import KafkaClient
from kafka.protocol.commit import GroupCoordinatorRequest, OffsetCommitRequest, OffsetFetchRequest

from common import spec, out

s = spec()
timeout_s = s.get('timeout_s', 20)
client = KafkaClient(bootstrap_servers=s['bootstrap'], client_id='samsa-compat-retention',
                     request_timeout_ms=timeout_s * 1000)


def call(node_id, request):
    """Sends one request to `node_id` and waits (bounded) for its response."""
    deadline = time.time() + timeout_s
    while not client.ready(node_id):
        if time.time() > deadline:
            raise TimeoutError('node %s not ready within %d s' % (node_id, timeout_s))
        client.poll(timeout_ms=100)
    future = client.send(node_id, request)
    while not future.is_done:
        if time.time() > deadline:
            raise TimeoutError('no answer to %s within %d s' % (type(request).__name__, timeout_s))
        client.poll(timeout_ms=100, future=future)
    if future.failed():
        raise future.exception
    return future.value


def any_broker():
    deadline = time.time() + timeout_s
    while True:
        node_id = client.least_loaded_node()
        if node_id is not None:
            return node_id
        if time.time() > deadline:
            raise TimeoutError('no broker known within %d s' % timeout_s)
        client.poll(timeout_ms=100)


found = call(any_broker(), GroupCoordinatorRequest[0](s['group']))
if found.error_code != 0:
    raise SystemExit('FindCoordinator error %d' % found.error_code)
# The coordinator's own connection, as kafka-python's consumer does it (node id 'coordinator-<id>').
coordinator = client.cluster.add_group_coordinator(s['group'], found)

results = []
for op in s['ops']:
    if op['op'] == 'commit':
        by_topic = {}
        for topic, partition, offset in op['offsets']:
            by_topic.setdefault(topic, []).append((partition, offset, ''))
        request = OffsetCommitRequest[op['version']](s['group'], -1, '', op['retention_ms'], list(by_topic.items()))
        response = call(coordinator, request)
        results.append({'partitions': [[topic, p, code] for topic, parts in response.topics for p, code in parts]})
    elif op['op'] == 'fetch':
        by_topic = {}
        for topic, partition in op['partitions']:
            by_topic.setdefault(topic, []).append(partition)
        response = call(coordinator, OffsetFetchRequest[3](s['group'], list(by_topic.items())))
        results.append({'error_code': response.error_code,
                        'partitions': [[topic, p, offset, code] for topic, parts in response.topics
                                       for p, offset, _metadata, code in parts]})
    else:
        raise SystemExit('unknown op ' + op['op'])
client.close()
out({'coordinator': coordinator, 'results': results})
