#!/usr/bin/env python3
"""pkforge: Parnik datagrams built from docs/PROTOCOL.md alone, as an attacker
on the client network (or a second implementation) would build them.

It knows nothing of Parnik's C code: the layouts, the CRC-32C partition
hash, the MAC trailer (SipHash-2-4 with a 128-bit tag) and the key
derivation (BLAKE2b, as libsodium's crypto_kdf) are written from the
document. The cluster suite's attacks.sh replays each attack of the
forged-replicas issue with it.

  pkforge.py [options] prepare KEY      PREPARE
  pkforge.py [options] accept KEY       ACCEPT (VALUE at --version, or --tombstone)
  pkforge.py [options] remove KEY       REMOVE
  pkforge.py [options] junk             a Parnik header and random bytes
  pkforge.py [options] sealed-junk      an ACCEPT flagged as sealed, with a made-up tag
  pkforge.py selftest                   print the SipHash and KDF test vectors
  pkforge.py [options] open             OPEN a client session, print the reply
  pkforge.py [options] get|put|cas|add|del KEY
                                        a CLIENT_REQ; prints the reply, or
                                        "no reply" after --wait seconds

Options: --to IP (the replica), --port BASE, --partitions P, --cluster ID,
--spoof IP (send from this source address through a raw socket, from
port BASE + partition, as replicas do), --node N (the member the messages
name), --counter C, --incarnation I, --epoch E, --version V, --value S,
--tombstone, --key FILE (seal with this peer key: what a replica sends),
--to-node N (the receiver's id, sealed into the trailer), --boot US,
--seq N, --save FILE / --replay FILE (the exact bytes).
Client requests: --client-id C, --session S, --rid R, --acked A, --arg N
(CAS: expected version; ADD: delta), --value S, --pad-key N / --pad-value N
(pad the key or value to N bytes), --wait SECONDS. A reply prints as
"status=NAME session=S kind=K version=V value=..." (one line).
"""
import argparse
import hashlib
import os
import socket
import struct
import sys

MAGIC = 0x4B4E5250
VERSION = 6
CLIENT_REQ, CLIENT_REP = 1, 2
OPS = {"get": 1, "put": 2, "cas": 3, "add": 4, "del": 5, "open": 6}
STATUS = {0: "OK", 1: "NOT_FOUND", 2: "CAS_MISMATCH", 3: "NOT_INTEGER", 4: "OVERFLOW",
          5: "BUSY", 6: "TOO_LARGE", 7: "UNKNOWN_OUTCOME", 8: "TIMEOUT", 9: "TABLE_FULL",
          10: "BAD_REQUEST", 11: "WRONG_PARTITION", 12: "NOT_ADMITTED", 13: "CONFLICT",
          14: "UNAVAILABLE", 15: "NO_MEMORY", 16: "UNAUTHENTICATED", 17: "SESSION_EXPIRED",
          18: "NOT_MEMBER"}
PEER_MAC = 0x01
PREPARE, ACCEPT, REMOVE = 3, 5, 10
KIND_VALUE, KIND_TOMBSTONE = 1, 2
MASK64 = (1 << 64) - 1


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK64


def siphash24_128(key16, data):
    """SipHash-2-4 with a 128-bit output (the 'siphashx24' variant)."""
    k0, k1 = struct.unpack("<QQ", key16)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D ^ 0xEE
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(n):
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & MASK64; v1 = _rotl(v1, 13); v1 ^= v0; v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & MASK64; v3 = _rotl(v3, 16); v3 ^= v2
            v0 = (v0 + v3) & MASK64; v3 = _rotl(v3, 21); v3 ^= v0
            v2 = (v2 + v1) & MASK64; v1 = _rotl(v1, 17); v1 ^= v2; v2 = _rotl(v2, 32)

    full = len(data) - len(data) % 8
    for i in range(0, full, 8):
        m = struct.unpack_from("<Q", data, i)[0]
        v3 ^= m
        rounds(2)
        v0 ^= m
    last = (len(data) & 0xFF) << 56
    for i, b in enumerate(data[full:]):
        last |= b << (8 * i)
    v3 ^= last
    rounds(2)
    v0 ^= last
    v2 ^= 0xEE
    rounds(4)
    out0 = v0 ^ v1 ^ v2 ^ v3
    v1 ^= 0xDD
    rounds(4)
    out1 = v0 ^ v1 ^ v2 ^ v3
    return struct.pack("<QQ", out0, out1)


def derive(secret32, purpose):
    """PROTOCOL.md 12: BLAKE2b-128 keyed with the secret, salt = purpose
    (u64 LE, 8 zero bytes), personal = 'PRNKmac1' and 8 zero bytes."""
    salt = struct.pack("<Q", purpose) + bytes(8)
    return hashlib.blake2b(b"", digest_size=16, key=secret32, salt=salt,
                           person=b"PRNKmac1" + bytes(8)).digest()


def read_key(path):
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


def ballot(counter, incarnation, node, worker):
    return struct.pack("<QIHH", counter, incarnation, node, worker)


def peer_prefix(node, worker, incarnation, epoch, token):
    return struct.pack("<HHIIQ", node, worker, incarnation, epoch, token)


def message(mtype, body):
    return struct.pack("<BBH", mtype, 0, len(body)) + body


def header(flags, count, cluster, partitions, partition):
    return struct.pack("<IBBHIHH", MAGIC, VERSION, flags, count, cluster, partitions, partition)


def build(a, partition):
    key = a.key.encode()
    b = ballot(a.counter, a.incarnation, a.node, partition)
    prefix = peer_prefix(a.node, partition, a.incarnation, a.epoch, 0x5EED)
    if a.what in ("prepare", "remove"):
        body = prefix + b + struct.pack("<H", len(key)) + key
        return message(PREPARE if a.what == "prepare" else REMOVE, body)
    value = b"" if a.tombstone else a.value.encode()
    kind = KIND_TOMBSTONE if a.tombstone else KIND_VALUE
    # origin, parent (none), state
    state = b + bytes(16) + struct.pack("<BQH", kind, a.version, len(value)) + value
    body = prefix + b + bytes(16) + struct.pack("<H", len(key)) + key + state
    return message(ACCEPT, body)


def client_request(a, key):
    """PROTOCOL.md 6.1: client_id, request_id, session, acked, op, flags,
    key_len, val_len, arg, key, value."""
    op = OPS[a.what]
    value = b"" if op in (1, 4, 5, 6) and a.pad_value is None else a.value.encode()
    if a.pad_value is not None:
        value = (value * (a.pad_value // max(len(value), 1) + 1))[:a.pad_value]
    if op == 6:
        key = b""
    body = struct.pack("<QQQQBBHHQ", a.client_id, a.rid, a.session, a.acked, op, 0,
                       len(key), len(value), a.arg & MASK64) + key + value
    return message(CLIENT_REQ, body)


def print_reply(data):
    """PROTOCOL.md 6.2: client_id, request_id, session, status, state."""
    if len(data) < 16 + 4 + 36 or data[16] != CLIENT_REP:
        print("undecodable reply (%d bytes)" % len(data))
        return
    b = data[20:]
    _cid, rid, session, status, kind, version, vlen = struct.unpack_from("<QQQBBQH", b)
    value = b[36:36 + vlen].decode(errors="replace")
    print("status=%s rid=%d session=%d kind=%d version=%d value=%s" %
          (STATUS.get(status, str(status)), rid, session, kind, version, value))


def seal(dgram, key16, node, to, boot, seq):
    dgram = bytearray(dgram)
    dgram[5] = PEER_MAC
    dgram += struct.pack("<HHQQ", node, to, boot, seq)
    return bytes(dgram) + siphash24_128(key16, bytes(dgram))


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def send_spoofed(src, sport, dst, dport, payload):
    udp_len = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    csum = ip_checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0x1234, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.sendto(ip + udp, (dst, 0))
    s.close()


def selftest():
    key = bytes(range(16))
    print("siphash24_128(00..0f, 00..0e) =", siphash24_128(key, bytes(range(15))).hex())
    print("derive(00..1f, peer) =", derive(bytes(range(32)), 1).hex())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["prepare", "accept", "remove", "junk", "sealed-junk",
                                    "selftest"] + list(OPS))
    p.add_argument("key", nargs="?", default="k")
    p.add_argument("--to")
    p.add_argument("--port", type=int, default=7700)
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--cluster", type=int, default=1)
    p.add_argument("--spoof")
    p.add_argument("--node", type=int, default=1)
    p.add_argument("--counter", type=int, default=1 << 40)
    p.add_argument("--incarnation", type=int, default=0xFFFFFFFF)
    p.add_argument("--epoch", type=int, default=1)
    p.add_argument("--version", type=int, default=999)
    p.add_argument("--value", default="forged")
    p.add_argument("--tombstone", action="store_true")
    p.add_argument("--key-file")
    p.add_argument("--to-node", type=int, default=0)
    p.add_argument("--boot", type=int, default=1)
    p.add_argument("--seq", type=int, default=1)
    p.add_argument("--save")
    p.add_argument("--replay")
    p.add_argument("--client-id", type=int, default=0x7E57)
    p.add_argument("--session", type=int, default=0)
    p.add_argument("--rid", type=int, default=1)
    p.add_argument("--acked", type=int, default=0)
    p.add_argument("--arg", type=int, default=0)
    p.add_argument("--pad-key", type=int)
    p.add_argument("--pad-value", type=int)
    p.add_argument("--wait", type=float, default=1.0)
    a = p.parse_args()
    if a.what == "selftest":
        selftest()
        return 0
    keyb = a.key.encode()
    if a.pad_key is not None:
        keyb = (keyb * (a.pad_key // len(keyb) + 1))[:a.pad_key]
    if a.what in OPS:
        partition = crc32c(keyb) % a.partitions  # OPEN: the key names the partition
        dgram = header(0, 1, a.cluster, a.partitions, partition) + client_request(a, keyb)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(a.wait)
        s.sendto(dgram, (a.to, a.port + partition))
        try:
            print_reply(s.recv(2048))
        except socket.timeout:
            print("no reply")
        s.close()
        return 0
    partition = crc32c(a.key.encode()) % a.partitions
    if a.replay:
        with open(a.replay, "rb") as f:
            dgram = f.read()
    elif a.what == "junk":
        dgram = header(0, 1, a.cluster, a.partitions, partition) + os.urandom(40)
    else:
        real = a.what if a.what != "sealed-junk" else "accept"
        a.what = real
        dgram = header(0, 1, a.cluster, a.partitions, partition) + build(a, partition)
        if a.key_file:
            dgram = seal(dgram, derive(read_key(a.key_file), 1), a.node, a.to_node, a.boot,
                         a.seq)
        elif p.parse_args().what == "sealed-junk":
            dgram = bytearray(dgram)
            dgram[5] = PEER_MAC
            dgram = bytes(dgram) + struct.pack("<HHQQ", a.node, 0, a.boot, a.seq) + os.urandom(16)
    if a.save:
        with open(a.save, "wb") as f:
            f.write(dgram)
    dport = a.port + partition
    if a.spoof:
        send_spoofed(a.spoof, a.port + partition, a.to, dport, dgram)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(dgram, (a.to, dport))
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
