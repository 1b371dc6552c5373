#!/usr/bin/env python3
"""The calls inside the protocol core run one way (dp/core/core.h):

    worker -> gc (the GC coordinator) -> proposer
    worker -> proposer, acceptor
    proposer, acceptor -> record, outbox, bounds, table, session, wheel, ...

Reads which file's functions call which file's (nm on libpk_core.a: the
symbols each object defines and those it needs), and fails, naming the
calls, on an edge against that order or on any dependency circle.

    core_layers.py LIBPK_CORE.a        check the built core
    core_layers.py --edges FILE        check a graph given as "from to" lines
                                       (the negative test feeds it a bad one)
"""
import collections
import os
import subprocess
import sys

LEVELS = {'worker': 3, 'gc': 2, 'proposer': 1, 'acceptor': 1}


def level(f):
    return LEVELS.get(f, 0)


def graph_from_lib(lib):
    out = subprocess.run(['nm', '-A', lib], capture_output=True, text=True, check=True).stdout
    defs, uses = {}, collections.defaultdict(set)
    for line in out.splitlines():
        where, _, rest = line.rpartition(':')
        obj = os.path.basename(where.rsplit(':', 1)[-1]).replace('.c.o', '').replace('.o', '')
        parts = rest.split()
        if len(parts) == 3 and parts[1] in 'TDRB':
            defs[parts[2]] = obj
        elif len(parts) == 2 and parts[0] == 'U':
            uses[obj].add(parts[1])
    edges = collections.defaultdict(dict)
    for a, syms in uses.items():
        for s in syms:
            b = defs.get(s)
            if b is not None and b != a:
                edges[a].setdefault(b, []).append(s)
    return edges


def graph_from_file(path):
    edges = collections.defaultdict(dict)
    for line in open(path):
        if line.strip() and not line.startswith('#'):
            a, b = line.split()[:2]
            edges[a].setdefault(b, []).append('(given)')
    return edges


def cycles(edges):
    index, low, stack, on, found, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            visit(v)
    return found


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--edges':
        edges = graph_from_file(sys.argv[2])
    elif len(sys.argv) == 2:
        edges = graph_from_lib(sys.argv[1])
    else:
        print(__doc__)
        return 2
    bad = []
    for a in sorted(edges):
        for b, syms in sorted(edges[a].items()):
            if level(a) <= level(b) and not (level(a) == 0 and level(b) == 0):
                bad.append(f'{a} -> {b} against the order ({", ".join(sorted(syms))})')
    for c in cycles(edges):
        bad.append('dependency circle: ' + ' <-> '.join(c))
    for a in sorted(edges):
        print(f'{a} -> {" ".join(sorted(edges[a]))}')
    if bad:
        print('dp/core calls do not run one way:')
        for b in bad:
            print('  ' + b)
        return 1
    print(f'dp/core calls run one way: {len(edges)} files, no circle')
    return 0


if __name__ == '__main__':
    sys.exit(main())
