"""Shared helpers of the compat drivers: JSON spec in argv[1] or on stdin, JSON result on stdout.

Bytes travel as base64 strings, null stays null; headers are [name, value] pairs in order.
Run with /usr/bin/python3 (Debian's python sees python3-confluent-kafka / python3-kafka).
"""
import base64
import json
import sys


def spec():
    if len(sys.argv) > 1:
        return json.loads(sys.argv[1])
    return json.load(sys.stdin)


def unb64(value):
    return None if value is None else base64.b64decode(value)


def b64(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode('utf-8')
    return base64.b64encode(bytes(value)).decode('ascii')


def out(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def headers_in(pairs):
    return [(name, unb64(value)) for name, value in (pairs or [])]


def headers_out(pairs):
    return [[name if isinstance(name, str) else name.decode('utf-8'), b64(value)] for name, value in (pairs or [])]
