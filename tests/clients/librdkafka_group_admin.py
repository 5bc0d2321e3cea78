"""librdkafka's consumer-group admin API, called through ctypes (a module, not a driver).

confluent-kafka-python 1.7 binds only AdminClient.list_groups() for groups, but the
librdkafka it runs on (Debian's 2.0.2) has the whole group admin API in C: what the 2.x Python
bindings wrap as list_consumer_groups, describe_consumer_groups, delete_consumer_groups,
list_consumer_group_offsets, alter_consumer_group_offsets and (C only)
DeleteConsumerGroupOffsets. GroupAdmin calls those C functions directly, so the requests on
the wire are librdkafka's own; against Samsa 2.0.2 sends ListGroups v4 (with the state filter),
DescribeGroups v4, DeleteGroups v1, OffsetFetch v7, OffsetCommit v7 (generation -1, member "")
and OffsetDelete v0.

Only opaque handles and accessor functions are used, except two public structs whose layout is
part of librdkafka's stable ABI: rd_kafka_topic_partition_t and rd_kafka_topic_partition_list_t.
Every call is bounded: results are polled from a private queue until a deadline.
"""
import ctypes
import time
from ctypes import POINTER, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint16, c_void_p


class _TopicPartition(ctypes.Structure):
    _fields_ = [('topic', c_char_p), ('partition', c_int32), ('offset', c_int64),
                ('metadata', c_void_p), ('metadata_size', c_size_t), ('opaque', c_void_p),
                ('err', c_int), ('_private', c_void_p)]


class _TopicPartitionList(ctypes.Structure):
    _fields_ = [('cnt', c_int), ('size', c_int), ('elems', POINTER(_TopicPartition))]


_TPL = POINTER(_TopicPartitionList)
_PTRS = POINTER(c_void_p)

# name: (restype, argtypes). Every pointer-returning function needs its restype: the ctypes
# default (int) would cut 64-bit pointers.
_PROTOTYPES = {
    'rd_kafka_conf_new': (c_void_p, []),
    'rd_kafka_conf_set': (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_size_t]),
    'rd_kafka_new': (c_void_p, [c_int, c_void_p, c_char_p, c_size_t]),
    'rd_kafka_destroy': (None, [c_void_p]),
    'rd_kafka_queue_new': (c_void_p, [c_void_p]),
    'rd_kafka_queue_destroy': (None, [c_void_p]),
    'rd_kafka_queue_poll': (c_void_p, [c_void_p, c_int]),
    'rd_kafka_event_error': (c_int, [c_void_p]),
    'rd_kafka_event_error_string': (c_char_p, [c_void_p]),
    'rd_kafka_event_name': (c_char_p, [c_void_p]),
    'rd_kafka_event_destroy': (None, [c_void_p]),
    'rd_kafka_err2name': (c_char_p, [c_int]),
    'rd_kafka_error_code': (c_int, [c_void_p]),
    'rd_kafka_error_name': (c_char_p, [c_void_p]),
    'rd_kafka_error_string': (c_char_p, [c_void_p]),
    'rd_kafka_error_destroy': (None, [c_void_p]),
    'rd_kafka_AdminOptions_new': (c_void_p, [c_void_p, c_int]),
    'rd_kafka_AdminOptions_destroy': (None, [c_void_p]),
    'rd_kafka_AdminOptions_set_request_timeout': (c_int, [c_void_p, c_int, c_char_p, c_size_t]),
    'rd_kafka_AdminOptions_set_match_consumer_group_states': (c_void_p, [c_void_p, POINTER(c_int), c_size_t]),
    'rd_kafka_topic_partition_list_new': (_TPL, [c_int]),
    'rd_kafka_topic_partition_list_add': (POINTER(_TopicPartition), [_TPL, c_char_p, c_int32]),
    'rd_kafka_topic_partition_list_destroy': (None, [_TPL]),
    'rd_kafka_consumer_group_state_name': (c_char_p, [c_int]),
    'rd_kafka_consumer_group_state_code': (c_int, [c_char_p]),
    'rd_kafka_group_result_name': (c_char_p, [c_void_p]),
    'rd_kafka_group_result_error': (c_void_p, [c_void_p]),
    'rd_kafka_group_result_partitions': (_TPL, [c_void_p]),
    # ListConsumerGroups
    'rd_kafka_ListConsumerGroups': (None, [c_void_p, c_void_p, c_void_p]),
    'rd_kafka_event_ListConsumerGroups_result': (c_void_p, [c_void_p]),
    'rd_kafka_ListConsumerGroups_result_valid': (_PTRS, [c_void_p, POINTER(c_size_t)]),
    'rd_kafka_ListConsumerGroups_result_errors': (_PTRS, [c_void_p, POINTER(c_size_t)]),
    'rd_kafka_ConsumerGroupListing_group_id': (c_char_p, [c_void_p]),
    'rd_kafka_ConsumerGroupListing_is_simple_consumer_group': (c_int, [c_void_p]),
    'rd_kafka_ConsumerGroupListing_state': (c_int, [c_void_p]),
    # DescribeConsumerGroups
    'rd_kafka_DescribeConsumerGroups': (None, [c_void_p, POINTER(c_char_p), c_size_t, c_void_p, c_void_p]),
    'rd_kafka_event_DescribeConsumerGroups_result': (c_void_p, [c_void_p]),
    'rd_kafka_DescribeConsumerGroups_result_groups': (_PTRS, [c_void_p, POINTER(c_size_t)]),
    'rd_kafka_ConsumerGroupDescription_group_id': (c_char_p, [c_void_p]),
    'rd_kafka_ConsumerGroupDescription_error': (c_void_p, [c_void_p]),
    'rd_kafka_ConsumerGroupDescription_is_simple_consumer_group': (c_int, [c_void_p]),
    'rd_kafka_ConsumerGroupDescription_partition_assignor': (c_char_p, [c_void_p]),
    'rd_kafka_ConsumerGroupDescription_state': (c_int, [c_void_p]),
    'rd_kafka_ConsumerGroupDescription_coordinator': (c_void_p, [c_void_p]),
    'rd_kafka_ConsumerGroupDescription_member_count': (c_size_t, [c_void_p]),
    'rd_kafka_ConsumerGroupDescription_member': (c_void_p, [c_void_p, c_size_t]),
    'rd_kafka_Node_id': (c_int, [c_void_p]),
    'rd_kafka_Node_host': (c_char_p, [c_void_p]),
    'rd_kafka_Node_port': (c_uint16, [c_void_p]),
    'rd_kafka_MemberDescription_client_id': (c_char_p, [c_void_p]),
    'rd_kafka_MemberDescription_group_instance_id': (c_char_p, [c_void_p]),
    'rd_kafka_MemberDescription_consumer_id': (c_char_p, [c_void_p]),
    'rd_kafka_MemberDescription_host': (c_char_p, [c_void_p]),
    'rd_kafka_MemberDescription_assignment': (c_void_p, [c_void_p]),
    'rd_kafka_MemberAssignment_partitions': (_TPL, [c_void_p]),
    # DeleteGroups
    'rd_kafka_DeleteGroup_new': (c_void_p, [c_char_p]),
    'rd_kafka_DeleteGroup_destroy': (None, [c_void_p]),
    'rd_kafka_DeleteGroups': (None, [c_void_p, _PTRS, c_size_t, c_void_p, c_void_p]),
    'rd_kafka_event_DeleteGroups_result': (c_void_p, [c_void_p]),
    'rd_kafka_DeleteGroups_result_groups': (_PTRS, [c_void_p, POINTER(c_size_t)]),
    # ListConsumerGroupOffsets
    'rd_kafka_ListConsumerGroupOffsets_new': (c_void_p, [c_char_p, _TPL]),
    'rd_kafka_ListConsumerGroupOffsets_destroy': (None, [c_void_p]),
    'rd_kafka_ListConsumerGroupOffsets': (None, [c_void_p, _PTRS, c_size_t, c_void_p, c_void_p]),
    'rd_kafka_event_ListConsumerGroupOffsets_result': (c_void_p, [c_void_p]),
    'rd_kafka_ListConsumerGroupOffsets_result_groups': (_PTRS, [c_void_p, POINTER(c_size_t)]),
    # AlterConsumerGroupOffsets
    'rd_kafka_AlterConsumerGroupOffsets_new': (c_void_p, [c_char_p, _TPL]),
    'rd_kafka_AlterConsumerGroupOffsets_destroy': (None, [c_void_p]),
    'rd_kafka_AlterConsumerGroupOffsets': (None, [c_void_p, _PTRS, c_size_t, c_void_p, c_void_p]),
    'rd_kafka_event_AlterConsumerGroupOffsets_result': (c_void_p, [c_void_p]),
    'rd_kafka_AlterConsumerGroupOffsets_result_groups': (_PTRS, [c_void_p, POINTER(c_size_t)]),
    # DeleteConsumerGroupOffsets
    'rd_kafka_DeleteConsumerGroupOffsets_new': (c_void_p, [c_char_p, _TPL]),
    'rd_kafka_DeleteConsumerGroupOffsets_destroy': (None, [c_void_p]),
    'rd_kafka_DeleteConsumerGroupOffsets': (None, [c_void_p, _PTRS, c_size_t, c_void_p, c_void_p]),
    'rd_kafka_event_DeleteConsumerGroupOffsets_result': (c_void_p, [c_void_p]),
    'rd_kafka_DeleteConsumerGroupOffsets_result_groups': (_PTRS, [c_void_p, POINTER(c_size_t)]),
}

RD_KAFKA_PRODUCER = 0
RD_KAFKA_ADMIN_OP_ANY = 0


def _load():
    lib = ctypes.CDLL('librdkafka.so.1')
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_lib = _load()


def _text(value):
    return None if value is None else value.decode('utf-8')


def _error(err_ptr):
    """An rd_kafka_error_t (NULL = no error) as {error_code, error_name, message}."""
    if not err_ptr:
        return {'error_code': 0, 'error_name': None}
    return {'error_code': _lib.rd_kafka_error_code(err_ptr), 'error_name': _text(_lib.rd_kafka_error_name(err_ptr)),
            'message': _text(_lib.rd_kafka_error_string(err_ptr))}


def _partitions(tpl):
    """A topic partition list as [{topic, partition, offset, error_name}] (error_name null when none)."""
    if not tpl:
        return []
    items = []
    for i in range(tpl.contents.cnt):
        e = tpl.contents.elems[i]
        items.append({'topic': _text(e.topic), 'partition': e.partition, 'offset': e.offset,
                      'error_name': None if e.err == 0 else _text(_lib.rd_kafka_err2name(e.err))})
    return sorted(items, key=lambda p: (p['topic'], p['partition']))


def _tpl(partitions):
    """[(topic, partition, offset)] -> a new topic partition list (offset None = not set)."""
    tpl = _lib.rd_kafka_topic_partition_list_new(max(1, len(partitions)))
    for topic, partition, offset in partitions:
        e = _lib.rd_kafka_topic_partition_list_add(tpl, topic.encode(), partition)
        if offset is not None:
            e.contents.offset = offset
    return tpl


def _array(pointers):
    arr = (c_void_p * len(pointers))(*pointers)
    return ctypes.cast(arr, _PTRS)


def _items(getter, result):
    n = c_size_t(0)
    ptrs = getter(result, ctypes.byref(n))
    return [ptrs[i] for i in range(n.value)]


def _group_results(getter, result):
    return [dict({'group': _text(_lib.rd_kafka_group_result_name(g)),
                  'partitions': _partitions(_lib.rd_kafka_group_result_partitions(g))},
                 **_error(_lib.rd_kafka_group_result_error(g)))
            for g in _items(getter, result)]


class GroupAdmin:
    """One librdkafka client handle used only for admin calls."""

    def __init__(self, bootstrap, timeout_s=20):
        self.timeout_s = timeout_s
        errstr = ctypes.create_string_buffer(512)
        conf = _lib.rd_kafka_conf_new()
        for key, value in (('bootstrap.servers', bootstrap), ('client.id', 'samsa-compat-group-admin'), ('log_level', '3')):
            if _lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), errstr, 512) != 0:
                raise RuntimeError('rd_kafka_conf_set %s: %s' % (key, errstr.value.decode()))
        self._rk = _lib.rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, 512)
        if not self._rk:
            raise RuntimeError('rd_kafka_new: ' + errstr.value.decode())
        self._queue = _lib.rd_kafka_queue_new(self._rk)

    def close(self):
        _lib.rd_kafka_queue_destroy(self._queue)
        _lib.rd_kafka_destroy(self._rk)

    def _options(self, states=None):
        errstr = ctypes.create_string_buffer(512)
        options = _lib.rd_kafka_AdminOptions_new(self._rk, RD_KAFKA_ADMIN_OP_ANY)
        if _lib.rd_kafka_AdminOptions_set_request_timeout(options, int(self.timeout_s * 1000), errstr, 512) != 0:
            raise RuntimeError('set_request_timeout: ' + errstr.value.decode())
        if states:
            codes = (c_int * len(states))(*[_lib.rd_kafka_consumer_group_state_code(s.encode()) for s in states])
            err = _lib.rd_kafka_AdminOptions_set_match_consumer_group_states(options, codes, len(states))
            if err:
                raise RuntimeError('set_match_consumer_group_states: %s' % _error(err))
        return options

    def _await(self, result_of, decode):
        """Polls the queue for the call's result event, decodes it and frees it; bounded."""
        deadline = time.time() + self.timeout_s + 10
        while True:
            ev = _lib.rd_kafka_queue_poll(self._queue, 200)
            if ev:
                break
            if time.time() > deadline:
                raise TimeoutError('no admin result within %.0f s' % (self.timeout_s + 10))
        try:
            code = _lib.rd_kafka_event_error(ev)
            if code != 0:
                return {'error_code': code, 'error_name': _text(_lib.rd_kafka_err2name(code)),
                        'message': _text(_lib.rd_kafka_event_error_string(ev))}
            result = result_of(ev)
            if not result:
                raise RuntimeError('unexpected admin event ' + _text(_lib.rd_kafka_event_name(ev)))
            return dict({'error_code': 0, 'error_name': None}, **decode(result))
        finally:
            _lib.rd_kafka_event_destroy(ev)

    def _state(self, code):
        return _text(_lib.rd_kafka_consumer_group_state_name(code))

    def list_consumer_groups(self, states=None):
        options = self._options(states)
        try:
            _lib.rd_kafka_ListConsumerGroups(self._rk, options, self._queue)

            def decode(result):
                valid = [{'group': _text(_lib.rd_kafka_ConsumerGroupListing_group_id(g)),
                          'is_simple': bool(_lib.rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g)),
                          'state': self._state(_lib.rd_kafka_ConsumerGroupListing_state(g))}
                         for g in _items(_lib.rd_kafka_ListConsumerGroups_result_valid, result)]
                errors = [_error(e) for e in _items(_lib.rd_kafka_ListConsumerGroups_result_errors, result)]
                return {'groups': sorted(valid, key=lambda g: g['group']), 'errors': errors}
            return self._await(_lib.rd_kafka_event_ListConsumerGroups_result, decode)
        finally:
            _lib.rd_kafka_AdminOptions_destroy(options)

    def describe_consumer_groups(self, groups):
        options = self._options()
        names = (c_char_p * len(groups))(*[g.encode() for g in groups])
        try:
            _lib.rd_kafka_DescribeConsumerGroups(self._rk, names, len(groups), options, self._queue)

            def member(m):
                assignment = _lib.rd_kafka_MemberDescription_assignment(m)
                return {'consumer_id': _text(_lib.rd_kafka_MemberDescription_consumer_id(m)),
                        'group_instance_id': _text(_lib.rd_kafka_MemberDescription_group_instance_id(m)),
                        'client_id': _text(_lib.rd_kafka_MemberDescription_client_id(m)),
                        'host': _text(_lib.rd_kafka_MemberDescription_host(m)),
                        'assignment': _partitions(_lib.rd_kafka_MemberAssignment_partitions(assignment)) if assignment else []}

            def describe(d):
                node = _lib.rd_kafka_ConsumerGroupDescription_coordinator(d)
                count = _lib.rd_kafka_ConsumerGroupDescription_member_count(d)
                return dict({'group': _text(_lib.rd_kafka_ConsumerGroupDescription_group_id(d)),
                             'state': self._state(_lib.rd_kafka_ConsumerGroupDescription_state(d)),
                             'is_simple': bool(_lib.rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d)),
                             'partition_assignor': _text(_lib.rd_kafka_ConsumerGroupDescription_partition_assignor(d)),
                             'coordinator': None if not node else {'id': _lib.rd_kafka_Node_id(node),
                                                                   'host': _text(_lib.rd_kafka_Node_host(node)),
                                                                   'port': _lib.rd_kafka_Node_port(node)},
                             'members': sorted((member(_lib.rd_kafka_ConsumerGroupDescription_member(d, i)) for i in range(count)),
                                               key=lambda m: m['client_id'] or '')},
                            **_error(_lib.rd_kafka_ConsumerGroupDescription_error(d)))

            return self._await(_lib.rd_kafka_event_DescribeConsumerGroups_result,
                               lambda result: {'groups': [describe(d) for d in _items(_lib.rd_kafka_DescribeConsumerGroups_result_groups, result)]})
        finally:
            _lib.rd_kafka_AdminOptions_destroy(options)

    def delete_groups(self, groups):
        options = self._options()
        handles = [_lib.rd_kafka_DeleteGroup_new(g.encode()) for g in groups]
        try:
            _lib.rd_kafka_DeleteGroups(self._rk, _array(handles), len(handles), options, self._queue)
            return self._await(_lib.rd_kafka_event_DeleteGroups_result,
                               lambda result: {'groups': _group_results(_lib.rd_kafka_DeleteGroups_result_groups, result)})
        finally:
            for h in handles:
                _lib.rd_kafka_DeleteGroup_destroy(h)
            _lib.rd_kafka_AdminOptions_destroy(options)

    def _one_group_call(self, new, destroy, call, result_of, getter, group, partitions):
        """The offsets calls take exactly one group (librdkafka 2.0.2) and an optional partition list."""
        options = self._options()
        tpl = None if partitions is None else _tpl(partitions)
        handle = new(group.encode(), tpl)
        try:
            call(self._rk, _array([handle]), 1, options, self._queue)
            return self._await(result_of, lambda result: {'groups': _group_results(getter, result)})
        finally:
            destroy(handle)
            if tpl is not None:
                _lib.rd_kafka_topic_partition_list_destroy(tpl)
            _lib.rd_kafka_AdminOptions_destroy(options)

    def list_consumer_group_offsets(self, group, partitions=None):
        """partitions: [(topic, partition)] or None for every committed offset of the group."""
        return self._one_group_call(_lib.rd_kafka_ListConsumerGroupOffsets_new, _lib.rd_kafka_ListConsumerGroupOffsets_destroy,
                                    _lib.rd_kafka_ListConsumerGroupOffsets, _lib.rd_kafka_event_ListConsumerGroupOffsets_result,
                                    _lib.rd_kafka_ListConsumerGroupOffsets_result_groups, group,
                                    None if partitions is None else [(t, p, None) for t, p in partitions])

    def alter_consumer_group_offsets(self, group, offsets):
        """offsets: [(topic, partition, offset)]."""
        return self._one_group_call(_lib.rd_kafka_AlterConsumerGroupOffsets_new, _lib.rd_kafka_AlterConsumerGroupOffsets_destroy,
                                    _lib.rd_kafka_AlterConsumerGroupOffsets, _lib.rd_kafka_event_AlterConsumerGroupOffsets_result,
                                    _lib.rd_kafka_AlterConsumerGroupOffsets_result_groups, group, offsets)

    def delete_consumer_group_offsets(self, group, partitions):
        """partitions: [(topic, partition)]."""
        return self._one_group_call(_lib.rd_kafka_DeleteConsumerGroupOffsets_new, _lib.rd_kafka_DeleteConsumerGroupOffsets_destroy,
                                    _lib.rd_kafka_DeleteConsumerGroupOffsets, _lib.rd_kafka_event_DeleteConsumerGroupOffsets_result,
                                    _lib.rd_kafka_DeleteConsumerGroupOffsets_result_groups, group,
                                    [(t, p, None) for t, p in partitions])
