"""Topic and config admin with confluent-kafka's AdminClient (1.7.0: no incremental alter).

spec: {bootstrap, timeout_s?, ops: [
  {op: "create_topics", topics: [{name, partitions, replication_factor?, configs?}]},
  {op: "list_topics"},
  {op: "describe_configs", topic},
  {op: "alter_configs", topic, configs: {k: v}},
  {op: "create_partitions", topic, total},
  {op: "delete_topics", topics: [name]}]}
prints: {"results": [...]} one entry per op, in order. Per-topic outcomes are
{"error_code": int, "error_name": str|null} (0/null on success; codes are Kafka's).
"""
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource

from common import spec, out

s = spec()
timeout = s.get('timeout_s', 20)
admin = AdminClient({'bootstrap.servers': s['bootstrap']})


def outcome(future):
    try:
        value = future.result(timeout)
        return {'error_code': 0, 'error_name': None}, value
    except KafkaException as e:
        err = e.args[0]
        return {'error_code': err.code(), 'error_name': err.name(), 'message': err.str()}, None


def topic_resource(name):
    return ConfigResource(ConfigResource.Type.TOPIC, name)


results = []
for op in s['ops']:
    kind = op['op']
    if kind == 'create_topics':
        topics = [NewTopic(t['name'], num_partitions=t.get('partitions', 1),
                           replication_factor=t.get('replication_factor', 1),
                           config=t.get('configs', {})) for t in op['topics']]
        fs = admin.create_topics(topics, operation_timeout=timeout, request_timeout=timeout)
        results.append({'op': kind, 'topics': {name: outcome(f)[0] for name, f in fs.items()}})
    elif kind == 'list_topics':
        md = admin.list_topics(timeout=timeout)
        results.append({'op': kind, 'topics': {name: {'partitions': len(t.partitions),
                                                      'error_code': t.error.code() if t.error else 0}
                                               for name, t in md.topics.items()}})
    elif kind == 'describe_configs':
        fs = admin.describe_configs([topic_resource(op['topic'])], request_timeout=timeout)
        (f,) = fs.values()
        res, value = outcome(f)
        if value is not None:
            res['configs'] = {name: {'value': e.value, 'is_default': e.is_default, 'is_read_only': e.is_read_only,
                                     'source': int(e.source)}
                              for name, e in value.items()}
        results.append({'op': kind, 'result': res})
    elif kind == 'alter_configs':
        r = topic_resource(op['topic'])
        for k, v in op['configs'].items():
            r.set_config(k, v)
        fs = admin.alter_configs([r], request_timeout=timeout)
        (f,) = fs.values()
        results.append({'op': kind, 'result': outcome(f)[0]})
    elif kind == 'create_partitions':
        fs = admin.create_partitions([NewPartitions(op['topic'], op['total'])],
                                     operation_timeout=timeout, request_timeout=timeout)
        results.append({'op': kind, 'topics': {name: outcome(f)[0] for name, f in fs.items()}})
    elif kind == 'delete_topics':
        fs = admin.delete_topics(op['topics'], operation_timeout=timeout, request_timeout=timeout)
        results.append({'op': kind, 'topics': {name: outcome(f)[0] for name, f in fs.items()}})
    else:
        raise SystemExit('unknown op ' + kind)
out({'results': results})
