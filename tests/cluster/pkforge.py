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

Options: --to IP (the replica), --port BASE, --partitions P, --cluster ID,
--spoof IP (send from this source address through a raw socket, from
port BASE + partition, as replicas do), --node N (the member the messages
name), --counter C, --incarnation I, --epoch E, --version V, --value S,
--tombstone, --key FILE (seal with this peer key: what a replica sends),
--to-node N (the receiver's id, sealed into the trailer), --boot US,
--seq N, --save FILE / --replay FILE (the exact bytes).
"""
import argparse
import hashlib
import os
import socket
import struct
import sys

MAGIC = 0x4B4E5250
VERSION = 5
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
    state = b + struct.pack("<BQH", kind, a.version, len(value)) + value  # origin + state
    body = prefix + b + bytes(16) + struct.pack("<H", len(key)) + key + state
    return message(ACCEPT, body)


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
                                    "selftest"])
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
    a = p.parse_args()
    if a.what == "selftest":
        selftest()
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
