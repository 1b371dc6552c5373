#!/usr/bin/env python3
"""bench/compare.sh's report: from the runs it recorded (points.tsv), one
table of medians with the spread of the runs, each system's throughput as a
multiple of Parnik's, the floors and ceilings of the machine, and the
issue's targets, each met or missed by how much.

points.tsv columns: kind (point, floor, rate), system, setup, op,
concurrency, run, ops/s, p50 us, p99 us, linearizable ("-" where a figure
does not apply).
"""
import argparse
import statistics
import sys
from collections import OrderedDict

PARNIK_REF = "af_packet"  # the reference setup for the ratios
MEMIF_REF = "memif between replicas, DPDK client on memif"  # the fast path
# compare.sh's interleaved authentication pair (same fabric shape).
AUTH_KEYED = "memif, DPDK client on memif, peer key (interleaved)"
AUTH_OPEN = "memif, DPDK client on memif, no key: --insecure-peers"


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def keep_figures(g, **figures):
    """Appends each figure that is a positive number to g[its name]; "-",
    empty or zero (a failed run) are left out of the medians."""
    for name, v in figures.items():
        x = num(v)
        if x is not None and x > 0:
            g[name].append(x)


def load(path):
    groups = OrderedDict()
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 10:
                continue
            kind, system, setup, op, conc, _run, ops, p50, p99, lin = cols[:10]
            key = (kind, system, setup, op, int(conc))
            g = groups.setdefault(key, {"ops": [], "p50": [], "p99": [], "lin": []})
            keep_figures(g, ops=ops, p50=p50, p99=p99)
            g["lin"].append(lin)
    return groups


def med(xs):
    return statistics.median(xs) if xs else None


def fmt_rate(x):
    if x is None:
        return "-"
    return f"{x:,.0f}"


def fmt_us(x):
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def spread(xs):
    if len(xs) < 2:
        return ""
    return f"{min(xs):,.0f}-{max(xs):,.0f}"


def verdict(lins):
    seen = {l for l in lins if l != "-"}
    if not seen:
        return "-"
    if "NO" in seen or "no" in seen:
        return "NO"
    if seen == {"yes"}:
        return "yes"
    return "/".join(sorted(seen))


def parnik_ref(groups, op, conc):
    """Parnik's af_packet figure at this op and concurrency, else its best
    af_packet figure for the op."""
    best = None
    for (kind, system, setup, o, c), g in groups.items():
        if kind != "point" or system != "Parnik" or PARNIK_REF not in setup or o != op:
            continue
        m = med(g["ops"])
        if c == conc and m:
            return m, c
        if m and (best is None or m > best[0]):
            best = (m, c)
    return best if best else (None, None)


def best_of(groups, system, op=None, setup_has=None, lin_yes=False):
    best = None
    for (kind, sysname, setup, o, c), g in groups.items():
        if kind != "point" or sysname != system or (op and o != op):
            continue
        if setup_has and setup_has not in setup:
            continue
        if lin_yes and verdict(g["lin"]) != "yes":
            continue
        m = med(g["ops"])
        if m and (best is None or m > best[0]):
            best = (m, setup, c, o)
    return best


def auth_cycles(path):
    """Lines on the replicas' busy TSC cycles per PUT with and without the
    peer key (compare.sh's auth.tsv), medians over the interleaved runs."""
    try:
        rows = [l.split("\t") for l in open(path).read().splitlines()] if path else []
    except OSError:
        return []
    lines = []
    for conc in ("256", "1"):
        med = {}
        for fab in ("cmpak", "cmpai"):
            v = [int(r[2]) for r in rows if len(r) == 3 and r[0] == fab and r[1] == conc
                 and r[2].strip().isdigit()]
            med[fab] = statistics.median(v) if v else None
        keyed, open_ = med["cmpak"], med["cmpai"]
        if keyed and open_:
            lines.append(f"busy TSC cycles per PUT (3 replicas) at {conc} in flight: "
                         f"{keyed:,.0f} with the peer key, {open_:,.0f} without "
                         f"({(keyed / open_ - 1) * 100:+.1f}%)")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("points")
    ap.add_argument("--machine", default="")
    ap.add_argument("--runs", default="?")
    ap.add_argument("--seconds", default="?")
    ap.add_argument("--auth-cycles", default=None,
                    help="compare.sh's auth.tsv: fabric, concurrency, busy cycles per op")
    a = ap.parse_args()
    groups = load(a.points)
    out = sys.stdout

    out.write(f"\nParnik next to etcd, Redis and the machine's limits ({a.machine})\n")
    out.write(f"median of {a.runs} runs of {a.seconds} s each; spread = min-max of the runs; "
              "x Parnik = ops/s / Parnik's (af_packet) at that concurrency\n\n")
    hdr = f"{'system':<7} {'setup':<62} {'op':<4} {'conc':>5} {'ops/s':>10} {'spread':>17} " \
          f"{'p50 us':>8} {'p99 us':>8} {'x Parnik':>9} {'lin':>4}\n"
    out.write(hdr)
    out.write("-" * (len(hdr) - 1) + "\n")
    for (kind, system, setup, op, conc), g in groups.items():
        if kind != "point":
            continue
        ops = med(g["ops"])
        ref, _ = parnik_ref(groups, op, conc)
        ratio = f"{ops / ref:.3g}" if ops and ref else "-"
        out.write(f"{system:<7} {setup[:62]:<62} {op:<4} {conc:>5} {fmt_rate(ops):>10} "
                  f"{spread(g['ops']):>17} {fmt_us(med(g['p50'])):>8} {fmt_us(med(g['p99'])):>8} "
                  f"{ratio:>9} {verdict(g['lin']):>4}\n")

    out.write("\nfloors (round trips at concurrency 1)\n")
    floors = {}
    for (kind, system, setup, op, conc), g in groups.items():
        if kind != "floor":
            continue
        floors[system] = (med(g["p50"]), med(g["p99"]))
        out.write(f"  {system:<11} {setup:<62} p50 {fmt_us(med(g['p50'])):>7} us  "
                  f"p99 {fmt_us(med(g['p99'])):>7} us  (p50 spread {spread(g['p50']) or '-'})\n")
    out.write("ceilings (raw packet rate of the port types)\n")
    rates = {}
    for (kind, system, setup, op, conc), g in groups.items():
        if kind != "rate":
            continue
        rates[system] = med(g["ops"])
        out.write(f"  {system:<11} {setup:<62} {fmt_rate(med(g['ops'])):>12} packets/s  "
                  f"(spread {spread(g['ops']) or '-'})\n")

    failed = [f"{k[1]} {k[3]} at {k[4]} ({k[2]})" for k, g in groups.items()
              if k[0] == "point" and not g["ops"]]
    for f in failed:
        out.write(f"\nWARNING: no figure for {f}: every run failed, see the raw outputs")
    if failed:
        out.write("\n")

    # The targets.
    out.write("\ntargets\n")
    pbest = best_of(groups, "Parnik", lin_yes=True)
    etcd = best_of(groups, "etcd", setup_has="no-fsync")
    redis16 = best_of(groups, "Redis", setup_has="-P 16")

    def target(name, ok, detail):
        out.write(f"  [{'met' if ok else 'MISSED'}] {name}: {detail}\n")

    if pbest:
        target("throughput >= 1,000,000 linearizable ops/s (3 replicas)", pbest[0] >= 1e6,
               f"Parnik {fmt_rate(pbest[0])} ops/s ({pbest[1]}, {pbest[2]} in flight)" +
               ("" if pbest[0] >= 1e6 else f", {1e6 / pbest[0]:.2f} x short"))
    if pbest and etcd:
        r = pbest[0] / etcd[0]
        target("throughput > 90 x etcd (3 members, no fsync)", r > 90,
               f"Parnik {fmt_rate(pbest[0])} ops/s ({pbest[1]}, {pbest[2]} in flight, linearizable) "
               f"= {r:.0f} x etcd's {fmt_rate(etcd[0])}" + ("" if r > 90 else
                                                          f", {90 / r:.2f} x short"))
    if pbest and redis16:
        r = pbest[0] / redis16[0]
        target("throughput > half of Redis with pipelining 16", r > 0.5,
               f"Parnik {fmt_rate(pbest[0])} ops/s = {r:.2f} x Redis's {fmt_rate(redis16[0])}")
    kernel = floors.get("kernel UDP")
    memif = floors.get("memif port")
    redis1 = groups.get(("point", "Redis", "1 node, unreplicated, redis-benchmark -P 1", "put", 1))
    redis1_p50 = med(redis1["p50"]) if redis1 else None
    for op in ("put", "get"):
        key = next((k for k in groups if k[0] == "point" and k[1] == "Parnik" and
                    MEMIF_REF in k[2] and "no key" not in k[2] and k[3] == op and k[4] == 1),
                   None)
        if key is None:
            continue
        p50, p99 = med(groups[key]["p50"]), med(groups[key]["p99"])
        if p50 is None:
            continue
        if memif and memif[0]:
            r = p50 / memif[0]
            target(f"memif, concurrency 1 {op.upper()} p50 <= 3 x the memif port's round trip",
                   r <= 3, f"{fmt_us(p50)} us = {r:.1f} x the echo's {fmt_us(memif[0])} us")
        if redis1_p50:
            target(f"memif, concurrency 1 {op.upper()} p50 below Redis's at concurrency 1",
                   p50 < redis1_p50, f"{fmt_us(p50)} us against {fmt_us(redis1_p50)} us")
        if p99 is not None:
            target(f"memif, concurrency 1 {op.upper()} p99 <= 5 x its p50", p99 <= 5 * p50,
                   f"{fmt_us(p99)} us = {p99 / p50:.1f} x its p50")
    gry = next((g for k, g in groups.items() if k[0] == "point" and k[1] == "Gryadka" and
                k[4] == 1 and g["p50"]), None)
    gry_p50 = med(gry["p50"]) if gry else None
    gry_says = (f"Gryadka's {fmt_us(gry_p50)} us in this run" if gry_p50 else
                "Gryadka's 150 us (its earlier figure on this machine type: not run)")
    for op in ("put", "get"):
        key = next((k for k in groups if k[0] == "point" and k[1] == "Parnik" and
                    PARNIK_REF in k[2] and "kernel" in k[2] and k[3] == op and k[4] == 1), None)
        if key is None or med(groups[key]["p50"]) is None:
            continue
        p50 = med(groups[key]["p50"])
        limit = gry_p50 or 150
        target(f"af_packet + kernel client, concurrency 1 {op.upper()} p50 below Gryadka's",
               p50 < limit, f"{fmt_us(p50)} us against {gry_says}" +
               (f"; {p50 / kernel[0]:.1f} x the kernel ping-pong" if kernel and kernel[0] else ""))
    # Authentication: the same memif setup with and without a peer key,
    # runs interleaved (same run, same conditions).
    for conc in (256, 1):
        keyed = groups.get(("point", "Parnik", AUTH_KEYED, "put", conc))
        open_ = groups.get(("point", "Parnik", AUTH_OPEN, "put", conc))
        if not keyed or not open_ or not keyed["ops"] or not open_["ops"]:
            continue
        k_ops, o_ops = med(keyed["ops"]), med(open_["ops"])
        cost = (1 - k_ops / o_ops) * 100
        line = (f"PUT at {conc} in flight: {fmt_rate(k_ops)} ops/s with the peer key, "
                f"{fmt_rate(o_ops)} without ({cost:+.1f}% cost); p50 "
                f"{fmt_us(med(keyed['p50']))} us against {fmt_us(med(open_['p50']))} us")
        if conc == 256:
            target("peer authentication costs < 10% of throughput (memif, 256 in flight)",
                   cost < 10, line)
        else:
            out.write(f"  authentication, {line}\n")
    for line in auth_cycles(a.auth_cycles):
        out.write(f"  authentication, {line}\n")
    dpdk = floors.get("DPDK port")
    if dpdk and kernel and dpdk[0] and kernel[0]:
        out.write(f"\n  the round trip through a replica's DPDK port alone is {fmt_us(dpdk[0])} us "
                  f"({dpdk[0] / kernel[0]:.1f} x the kernel's)\n")
    if pbest and rates.get("af_packet"):
        out.write(f"  the af_packet port forwards {fmt_rate(rates['af_packet'])} packets/s; "
                  f"Parnik's best run is {pbest[0] / rates['af_packet'] * 100:.0f}% of that "
                  "in operations/s\n")


if __name__ == "__main__":
    main()
