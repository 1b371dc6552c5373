#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_cluster.c into corpus-cluster/: one input
per scenario slot (first byte: the scenario among the safe ones, modulo
their count; second: ops per client), first with the simulator's own
seeded draws (no entropy bytes), then a few with draws from a fixed
pseudo-random stream. Rewrites the files.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus-cluster")
os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))
rng = random.Random(20261130)
n = 0
for slot in range(40):
    with open(os.path.join(OUT, f"scenario-{slot:02d}.bin"), "wb") as f:
        f.write(bytes([slot, 12]))
    n += 1
for i in range(8):
    with open(os.path.join(OUT, f"entropy-{i}.bin"), "wb") as f:
        f.write(bytes([rng.randrange(256), 16]) + bytes(rng.randrange(256) for _ in range(512)))
    n += 1
print(f"{n} seeds in {OUT}")
