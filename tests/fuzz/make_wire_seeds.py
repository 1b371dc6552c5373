#!/usr/bin/env python3
"""Writes the seeds of tests/fuzz/corpus-wire: one datagram of each message
type, laid out from docs/PROTOCOL.md (version 6, cluster 1, 4 partitions),
for the wire decoder's harness (fuzz_wire.c). Run from anywhere:
python3 make_wire_seeds.py [DIR].
"""
import os
import struct
import sys

MAGIC, VERSION = 0x4B4E5250, 6


def header(count, partition=1, flags=0):
    return struct.pack('<IBBHIHH', MAGIC, VERSION, flags, count, 1, 4, partition)


def message(mtype, body):
    return struct.pack('<BBH', mtype, 0, len(body)) + body


def ballot(counter, node=1, worker=1, incarnation=7):
    return struct.pack('<QIHH', counter, incarnation, node, worker)


def prefix(node=1, worker=1):
    return struct.pack('<HHIIQ', node, worker, 7, 1, 0x5EED)


def state(kind, version, value=b''):
    return struct.pack('<BQH', kind, version, len(value)) + value


def peer_state(kind, version, value=b''):
    return ballot(3) + ballot(2) + state(kind, version, value)


def client_req(op, key=b'k', value=b'', session=0, acked=0, arg=0):
    return message(1, struct.pack('<QQQQBBHHQ', 0xC1, 9, session, acked, op, 0, len(key),
                                  len(value), arg) + key + value)


KEY = b'user:42'
SEEDS = {
    'put.bin': header(1) + client_req(2, KEY, b'hello', 5, 9),
    'open.bin': header(1) + client_req(6, b''),
    'two-requests.bin': header(2) + client_req(1, KEY) + client_req(4, b'n', b'', 5, 9, 3),
    'reply.bin': header(1) + message(2, struct.pack('<QQQB', 0xC1, 9, 5, 0) +
                                     state(1, 17, b'hello')),
    'prepare.bin': header(1) + message(3, prefix() + ballot(5) + struct.pack('<H', len(KEY)) +
                                       KEY),
    'promise.bin': header(1) + message(4, prefix() + ballot(5) + ballot(4) +
                                       peer_state(1, 3, b'v')),
    'accept.bin': header(1) + message(5, prefix() + ballot(5) + ballot(6) +
                                      struct.pack('<H', len(KEY)) + KEY +
                                      peer_state(2, 4)),
    'accepted.bin': header(1) + message(6, prefix() + ballot(5)),
    'conflict.bin': header(1) + message(7, prefix() + ballot(5) + bytes([3, 13]) + ballot(9)),
    'removed.bin': header(1) + message(11, prefix() + ballot(5) + bytes([0])),
    'hello-rep.bin': header(1) + message(13, prefix() + struct.pack('<QQB', 10, 2, 1)),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                             'corpus-wire')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
