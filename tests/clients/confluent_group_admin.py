"""Consumer-group admin with confluent-kafka-python 1.7 and the librdkafka (2.0.2) under it.

The 1.7 binding's AdminClient has one group call, list_groups() (librdkafka's legacy
rd_kafka_list_groups: ListGroups, then DescribeGroups of every group). The other group
operations exist in librdkafka's C API but not in this binding; they are called through ctypes
(librdkafka_group_admin.py), the same C functions the 2.x bindings wrap.

spec: {bootstrap, timeout_s?, ops: [
  {op: "list_groups", group?}                          AdminClient.list_groups (binding)
  {op: "list_consumer_groups", states?: [str]}          rd_kafka_ListConsumerGroups
  {op: "describe_consumer_groups", groups: [str]}       rd_kafka_DescribeConsumerGroups
  {op: "delete_groups", groups: [str]}                  rd_kafka_DeleteGroups
  {op: "list_offsets", group, partitions?: [[t, p]]}    rd_kafka_ListConsumerGroupOffsets
  {op: "alter_offsets", group, offsets: [[t, p, o]]}    rd_kafka_AlterConsumerGroupOffsets
  {op: "delete_offsets", group, partitions: [[t, p]]}   rd_kafka_DeleteConsumerGroupOffsets
]}
prints: {"results": [...]} one object per op, in order, each with error_code/error_name of the
whole call (0/null on success) and what the call returned. Partitions are
{topic, partition, offset, error_name}; subscriptions and assignments of list_groups are decoded
from the consumer protocol.
"""
import struct

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from common import spec, out
from librdkafka_group_admin import GroupAdmin


def _string(buf, at):
    (n,) = struct.unpack_from('>h', buf, at)
    at += 2
    return (None if n < 0 else buf[at:at + n].decode('utf-8')), at + max(n, 0)


def subscription_topics(buf):
    """Topics of a ConsumerProtocolSubscription (every version starts with the v0 fields)."""
    if not buf:
        return None
    at = 2
    (n,) = struct.unpack_from('>i', buf, at)
    at += 4
    topics = []
    for _ in range(max(n, 0)):
        topic, at = _string(buf, at)
        topics.append(topic)
    return sorted(topics)


def assignment_partitions(buf):
    """[[topic, partition]] of a ConsumerProtocolAssignment."""
    if not buf:
        return []
    at = 2
    (n,) = struct.unpack_from('>i', buf, at)
    at += 4
    parts = []
    for _ in range(max(n, 0)):
        topic, at = _string(buf, at)
        (count,) = struct.unpack_from('>i', buf, at)
        at += 4
        for _ in range(max(count, 0)):
            (p,) = struct.unpack_from('>i', buf, at)
            at += 4
            parts.append([topic, p])
    return sorted(parts)


def list_groups(admin, group, timeout):
    try:
        groups = admin.list_groups(group, timeout=timeout)
    except KafkaException as e:
        err = e.args[0]
        return {'error_code': err.code(), 'error_name': err.name(), 'message': err.str()}
    listed = []
    for g in groups:
        listed.append({
            'group': g.id,
            'error_name': None if g.error is None or g.error.code() == 0 else g.error.name(),
            'state': g.state,
            'protocol_type': g.protocol_type,
            'protocol': g.protocol,
            'members': sorted(({'id': m.id, 'client_id': m.client_id, 'client_host': m.client_host,
                                'subscription': subscription_topics(m.metadata),
                                'assignment': assignment_partitions(m.assignment)} for m in g.members),
                              key=lambda m: m['id']),
        })
    return {'error_code': 0, 'error_name': None, 'groups': sorted(listed, key=lambda g: g['group'])}


s = spec()
timeout = s.get('timeout_s', 20)
binding = AdminClient({'bootstrap.servers': s['bootstrap']})
admin = GroupAdmin(s['bootstrap'], timeout)
results = []
try:
    for op in s['ops']:
        kind = op['op']
        if kind == 'list_groups':
            res = list_groups(binding, op.get('group'), timeout)
        elif kind == 'list_consumer_groups':
            res = admin.list_consumer_groups(op.get('states'))
        elif kind == 'describe_consumer_groups':
            res = admin.describe_consumer_groups(op['groups'])
        elif kind == 'delete_groups':
            res = admin.delete_groups(op['groups'])
        elif kind == 'list_offsets':
            parts = op.get('partitions')
            res = admin.list_consumer_group_offsets(op['group'], None if parts is None else [tuple(p) for p in parts])
        elif kind == 'alter_offsets':
            res = admin.alter_consumer_group_offsets(op['group'], [tuple(o) for o in op['offsets']])
        elif kind == 'delete_offsets':
            res = admin.delete_consumer_group_offsets(op['group'], [tuple(p) for p in op['partitions']])
        else:
            raise SystemExit('unknown op ' + kind)
        results.append(dict({'op': kind}, **res))
finally:
    admin.close()
out({'results': results})
