#!/usr/bin/env python3
"""Writes the seed inputs of tests/fuzz/corpus from readable scripts, in the
command encoding fuzz_worker.c decodes (one command byte, cmd % 16 selects,
then its argument bytes). Run from anywhere: python3 make_seeds.py [DIR].
"""
import os
import struct
import sys

GET, PUT, CAS, ADD, DEL, OPEN = 1, 2, 3, 4, 5, 6
OWN_SESSION, UNKNOWN_SESSION, ACKED = 0x40, 0xc0, 0x20  # bits of d
KEYS = 'abcde'                  # index into fuzz_worker.c's keys[]
VALUES = ['', '0', '1', '-7', 'x']  # the first of fuzz_worker.c's values[]


def client(op, key, client_id=0, request=0, value='', arg=0):
    """cmd 0: a = op | key << 3, b = value << 4 | client, c = request, d = arg;
    d's top bits also pick the session (none, the client's, an unknown one)
    and bit 5 acknowledges ids below a few under the request's."""
    return bytes([0x00, op | (KEYS.index(key) << 3),
                  (VALUES.index(value) << 4) | client_id, request, arg & 0xff])


def answer(newest=0, node=1, kind=0, extra=b''):
    """cmd 3: answer remembered outgoing message #newest (0 = the latest)
    from node 1 or 2. kind 0: its natural answer (PROMISE, ACCEPTED,
    REMOVED OK, INSTALLED); 1: a PROMISE with a state (extra); 2: CONFLICT.
    """
    return bytes([0x03, newest, (kind << 1) | (node - 1)]) + extra


def promise_adopting(newest, accept_newest, node=1):
    """A PROMISE to #newest naming the state of our own ACCEPT #accept_newest."""
    return answer(newest, node, 1, bytes([accept_newest]))


def tick(step):
    """cmd 8: time advances by advances[step] (0, 1, 150, 1000, 2001, ...)."""
    return bytes([0x08, step])


def gc(key):
    return bytes([0x0a, KEYS.index(key)])


def peer(type_index, node, counter, key, token=0, state=b''):
    """cmd 7: a message from another proposer (type_index into types[]:
    PREPARE, ACCEPT, INSTALL, REMOVE, ...) under ballot (counter, node);
    state: kind | value << 2, version, origin counter.
    """
    return bytes([0x07, type_index, node | node << 2, KEYS.index(key) << 5 | counter,
                  token]) + state


def raw_client(op, key, client_id, request, value=b''):
    """cmd 14: one CLIENT_REQ datagram body, decoded by pk_wire_decode."""
    k = key.encode()
    body = struct.pack('<QQQQBBHHQ', client_id, request, 0, 0, op, 0, len(k), len(value),
                       0) + k + value
    msg = struct.pack('<BBH', 1, 0, len(body)) + body
    return bytes([0x0e, 0, len(msg)]) + msg


SEEDS = {
    # A write, then a read over the 1RTT cache the write left.
    'put-get-1rtt.bin': client(PUT, 'a', 1, 1, 'x') + answer() + answer() +
    client(GET, 'a', 1, 2) + answer(),
    # A write whose accept is refused: in doubt, retried after the
    # backoff, and a promise naming our own value settles it (adopted).
    'accept-conflict-doubt.bin': client(PUT, 'a', 1, 1, '1') + answer() +
    answer(0, 1, 2) + answer(0, 2, 2) + tick(4) +
    promise_adopting(0, 1) + answer(),
    # Delete, then the deletion GC: prepare, full write, REMOVE to all.
    'delete-gc.bin': client(PUT, 'b', 0, 0, '0') + answer() + answer() +
    client(DEL, 'b') + answer() + answer(0, 2) + gc('b') + answer() + answer(0, 2) +
    answer() + answer(0, 2) + answer() + answer(0, 2),
    # Another proposer's PREPARE and ACCEPT reach our acceptor.
    'peer-acceptor.bin': peer(0, 1, 3, 'c') + peer(1, 1, 3, 'c', 0, bytes([0x05, 1, 3])),
    # A client request as a wire datagram.
    'raw-client.bin': raw_client(ADD, 'd', 3, 9),
    # The old leak: a DEL run by the 1RTT round that round_release starts
    # was evicted from a shared dedupe table while in flight (16 newer
    # requests), retried, and both runs finished into the one entry. The
    # same script without sessions: every copy runs.
    'leak-round-release.bin': client(PUT, 'a', 1, 1) + client(DEL, 'a', 1, 2) +
    answer() + answer() +
    b''.join(client(GET, KEYS[1 + i % 4], 2, 16 + i) for i in range(16)) +
    client(DEL, 'a', 1, 2) + answer(4) + answer(),
    # A session: OPEN, an ADD in it answered, its copy answered again, an
    # acknowledged copy dropped, and one naming an unknown session.
    'session-retry.bin': client(OPEN, 'a', 1, 1) + client(ADD, 'a', 1, 9, '', OWN_SESSION | 1) +
    answer() + answer() + client(ADD, 'a', 1, 9, '', OWN_SESSION | 1) +
    client(ADD, 'a', 1, 12, '', OWN_SESSION | ACKED | 1) +
    client(ADD, 'a', 1, 9, '', OWN_SESSION | 1) +
    client(ADD, 'b', 1, 13, '', UNKNOWN_SESSION | 1),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
