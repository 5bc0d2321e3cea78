"""DescribeGroups with IncludeAuthorizedOperations through kafka-python 2.0.2's KafkaAdminClient.

describe_consumer_groups(include_authorized_operations=...) sends DescribeGroups v3 (the highest
kafka-python knows) and returns GroupInformation tuples whose last field is the 32-bit
authorized-operations field as the broker sent it.

kafka-python 2.0.2 cannot read the field from any broker, for two bugs in its protocol tables:
DescribeGroupsRequest_v3 names the v2 response as its answer (the field is dropped and None
reported), and DescribeGroupsResponse_v3 puts authorized_operations after the groups array
instead of inside each group (Kafka's DescribeGroupsResponse.json). This driver corrects those
two table entries with kafka-python's own schema types; everything else (request encoding with
include_authorized_operations, version choice, coordinator lookup, response decoding) is
kafka-python's.

spec: {bootstrap, groups: [group id], include_authorized_operations: bool, timeout_s?}
prints: {"groups": [{"group", "error_code", "state", "authorized_operations"}]}
"""
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsResponse
from kafka.protocol.types import Array, Bytes, Int16, Int32, Schema, String

from common import spec, out

DescribeGroupsResponse[3].SCHEMA = Schema(
    ('throttle_time_ms', Int32),
    ('groups', Array(
        ('error_code', Int16),
        ('group', String('utf-8')),
        ('state', String('utf-8')),
        ('protocol_type', String('utf-8')),
        ('protocol', String('utf-8')),
        ('members', Array(
            ('member_id', String('utf-8')),
            ('client_id', String('utf-8')),
            ('client_host', String('utf-8')),
            ('member_metadata', Bytes),
            ('member_assignment', Bytes))),
        ('authorized_operations', Int32))))
DescribeGroupsRequest[3].RESPONSE_TYPE = DescribeGroupsResponse[3]

s = spec()
admin = KafkaAdminClient(bootstrap_servers=s['bootstrap'], client_id='samsa-compat-authz-ops',
                         request_timeout_ms=int(s.get('timeout_s', 20) * 1000))
try:
    described = admin.describe_consumer_groups(s['groups'], include_authorized_operations=s['include_authorized_operations'])
    out({'groups': [{'group': g.group, 'error_code': g.error_code, 'state': g.state,
                     'authorized_operations': g.authorized_operations} for g in described]})
finally:
    admin.close()
