"""DescribeCluster through librdkafka's Admin API (rd_kafka_DescribeCluster, librdkafka >= 2.3).

Neither Debian's librdkafka 2.0.2 nor the Node binding @confluentinc/kafka-javascript offers
DescribeCluster, so this driver calls the C API of the librdkafka 2.15 that
scripts/install-librdkafka-js.sh builds, through ctypes, with include_authorized_operations on
or off.

spec: {bootstrap, library: path of librdkafka.so.1, include_authorized_operations: bool, timeout_s?}
prints: {"version": librdkafka version, "error": null or message, "cluster_id", "controller_id",
"nodes": [[id, host, port]], "authorized_operations": [AclOperation codes] or null (not returned)}
"""
import ctypes

from common import spec, out

RD_KAFKA_PRODUCER = 0
RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER = 20
RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT = 0x200000

s = spec()
timeout_ms = int(s.get('timeout_s', 20) * 1000)
lib = ctypes.CDLL(s['library'])
vp, cp, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
for name, restype, argtypes in [
    ('rd_kafka_version_str', cp, []),
    ('rd_kafka_conf_new', vp, []),
    ('rd_kafka_conf_set', ctypes.c_int, [vp, cp, cp, cp, sz]),
    ('rd_kafka_new', vp, [ctypes.c_int, vp, cp, sz]),
    ('rd_kafka_destroy', None, [vp]),
    ('rd_kafka_queue_new', vp, [vp]),
    ('rd_kafka_queue_destroy', None, [vp]),
    ('rd_kafka_queue_poll', vp, [vp, ctypes.c_int]),
    ('rd_kafka_AdminOptions_new', vp, [vp, ctypes.c_int]),
    ('rd_kafka_AdminOptions_destroy', None, [vp]),
    ('rd_kafka_AdminOptions_set_include_authorized_operations', vp, [vp, ctypes.c_int]),
    ('rd_kafka_AdminOptions_set_request_timeout', ctypes.c_int, [vp, ctypes.c_int, cp, sz]),
    ('rd_kafka_DescribeCluster', None, [vp, vp, vp]),
    ('rd_kafka_event_type', ctypes.c_int, [vp]),
    ('rd_kafka_event_error', ctypes.c_int, [vp]),
    ('rd_kafka_event_error_string', cp, [vp]),
    ('rd_kafka_event_destroy', None, [vp]),
    ('rd_kafka_event_DescribeCluster_result', vp, [vp]),
    ('rd_kafka_DescribeCluster_result_authorized_operations', ctypes.POINTER(ctypes.c_int), [vp, ctypes.POINTER(sz)]),
    ('rd_kafka_DescribeCluster_result_cluster_id', cp, [vp]),
    ('rd_kafka_DescribeCluster_result_controller', vp, [vp]),
    ('rd_kafka_DescribeCluster_result_nodes', ctypes.POINTER(vp), [vp, ctypes.POINTER(sz)]),
    ('rd_kafka_Node_id', ctypes.c_int, [vp]),
    ('rd_kafka_Node_host', cp, [vp]),
    ('rd_kafka_Node_port', ctypes.c_uint16, [vp]),
]:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = argtypes

errstr = ctypes.create_string_buffer(512)
conf = lib.rd_kafka_conf_new()
for key, value in [('bootstrap.servers', s['bootstrap']), ('client.id', 'samsa-compat-describe-cluster')]:
    if lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), errstr, 512) != 0:
        raise RuntimeError('%s: %s' % (key, errstr.value.decode()))
rk = lib.rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, 512)
if not rk:
    raise RuntimeError('rd_kafka_new: ' + errstr.value.decode())
queue = lib.rd_kafka_queue_new(rk)
options = lib.rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER)
if lib.rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, errstr, 512) != 0:
    raise RuntimeError('request timeout: ' + errstr.value.decode())
if lib.rd_kafka_AdminOptions_set_include_authorized_operations(options, 1 if s['include_authorized_operations'] else 0):
    raise RuntimeError('set_include_authorized_operations failed')
lib.rd_kafka_DescribeCluster(rk, options, queue)
event = lib.rd_kafka_queue_poll(queue, timeout_ms + 5000)
if not event:
    raise TimeoutError('no DescribeCluster result within %d ms' % (timeout_ms + 5000))
if lib.rd_kafka_event_type(event) != RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT:
    raise RuntimeError('unexpected event type %d' % lib.rd_kafka_event_type(event))
result = {'version': lib.rd_kafka_version_str().decode(), 'error': None}
if lib.rd_kafka_event_error(event) != 0:
    result['error'] = lib.rd_kafka_event_error_string(event).decode()
else:
    res = lib.rd_kafka_event_DescribeCluster_result(event)
    count = sz(0)
    ops = lib.rd_kafka_DescribeCluster_result_authorized_operations(res, ctypes.byref(count))
    result['authorized_operations'] = None if not ops else sorted(ops[i] for i in range(count.value))
    cluster_id = lib.rd_kafka_DescribeCluster_result_cluster_id(res)
    result['cluster_id'] = None if cluster_id is None else cluster_id.decode()
    controller = lib.rd_kafka_DescribeCluster_result_controller(res)
    result['controller_id'] = lib.rd_kafka_Node_id(controller) if controller else None
    ncount = sz(0)
    nodes = lib.rd_kafka_DescribeCluster_result_nodes(res, ctypes.byref(ncount))
    result['nodes'] = [[lib.rd_kafka_Node_id(nodes[i]), lib.rd_kafka_Node_host(nodes[i]).decode(), lib.rd_kafka_Node_port(nodes[i])]
                       for i in range(ncount.value)]
lib.rd_kafka_event_destroy(event)
lib.rd_kafka_AdminOptions_destroy(options)
lib.rd_kafka_queue_destroy(queue)
lib.rd_kafka_destroy(rk)
out(result)
