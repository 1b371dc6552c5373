#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_text.c into corpus-text/: one input per
parser (the first byte picks it), from the grammars in the control help,
docs/PROTOCOL.md and parnikd --help. Run from anywhere; rewrites the files.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus-text")

CONTROL, FAULT, IDS, BALLOT, SERVERS, OPTIONS, FRAME = range(7)


def csum(b):
    s = 0
    for i in range(0, len(b), 2):
        s += (b[i] << 8) + (b[i + 1] if i + 1 < len(b) else 0)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(dst_port, payload):
    eth = bytes([2, 0x50, 0x4B, 0, 0, 1]) + bytes([2, 0, 0, 0, 0, 9]) + b"\x08\x00"
    src, dst = bytes([192, 168, 0, 9]), bytes([192, 168, 0, 1])
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", 40000, dst_port, udp_len, 0) + payload
    return eth + ip + udp


def arp_request():
    eth = b"\xff" * 6 + bytes([2, 0, 0, 0, 0, 9]) + b"\x08\x06"
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes([2, 0, 0, 0, 0, 9]) + \
        bytes([192, 168, 0, 9]) + b"\x00" * 6 + bytes([192, 168, 0, 1])
    return eth + arp


SEEDS = {
    "status": (CONTROL, b"status"),
    "keys": (CONTROL, b"keys 1 0 10"),
    "set-config": (CONTROL, b"set-config 7 0,1,2 2 0,1,2,3 3"),
    "raise-floor": (CONTROL, b"raise-floor 1 5.1.2.1 42"),
    "gc-hold": (CONTROL, b"gc hold 30"),
    "catchup": (CONTROL, b"catchup 3 16"),
    "fault-command": (CONTROL, b"fault dir=in to=0,2 loss=30"),
    "fault-rule": (FAULT, b"dir=in to=peers,clients loss=30 dup=0.5 delay=1.25 jitter=3"),
    "ids": (IDS, b"0,1,2,15"),
    "ballot": (BALLOT, b"4611404543450677248.4294967295.2.1"),
    "servers": (SERVERS, b"198.18.0.1:7700,198.18.0.2:7700,198.18.0.3:7700"),
    "options": (OPTIONS, b"--node 0 --addr 198.18.0.1 --member 0=198.18.0.1 "
                         b"--member 1=198.18.0.2 --member 2=198.18.0.3 --insecure-peers "
                         b"--fault-injection --shed-queue-us 5000 --partitions 4"),
    "frame-udp": (FRAME, udp_frame(7701, b"PK\x06\x00" + b"\x00" * 20)),
    "frame-arp": (FRAME, arp_request()),
}

os.makedirs(OUT, exist_ok=True)
for name, (target, body) in SEEDS.items():
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(bytes([target]) + body)
print(f"{len(SEEDS)} seeds in {OUT}")
