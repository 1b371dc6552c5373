#!/usr/bin/env python3
"""bench/compare.sh's full-run report: the scaling and cost tables and the
plots, from the sweeps it recorded.

sweep.tsv columns: table (workers, value_size, reads, rounds), value, run,
ops/s, p50 us, p99 us, busy TSC cycles per op (all replicas' worker lcores).
openloop.tsv columns: system, offered ops/s, achieved ops/s, p50, p90, p99,
p99.9 us ("-" where a figure does not apply).

Writes the tables (markdown) between the markers of bench/README.md, with
the date and the machine, and the plots (gnuplot, PNG) into --plots:
latency percentiles against offered load (Parnik and etcd), throughput
against worker lcores per replica.
"""
import argparse
import datetime
import os
import subprocess
import sys
from collections import OrderedDict

from compare_report import keep_figures, med, num  # bench/, next to this script

BEGIN = "<!-- compare.sh: begin (generated, do not edit) -->"
END = "<!-- compare.sh: end -->"


def load_sweeps(path):
    tables = OrderedDict()
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7:
                continue
            table, value, _run, ops, p50, p99, cyc = cols[:7]
            g = tables.setdefault(table, OrderedDict()).setdefault(
                value, {"ops": [], "p50": [], "p99": [], "cyc": []})
            keep_figures(g, ops=ops, p50=p50, p99=p99, cyc=cyc)
    return tables


def load_openloop(path):
    rows = []
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 7:
                rows.append([cols[0]] + [num(c) for c in cols[1:7]])
    return rows


def fmt(x, digits=0):
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


TITLES = {
    "workers": ("Throughput against worker lcores per replica (one partition each; PUT, "
                "256 in flight)", "workers per replica"),
    "value_size": ("Throughput against value size (PUT, 256 in flight; 1024 B is the "
                   "largest value: a request then fills most of a 1500 B frame)", "value bytes"),
    "reads": ("Throughput against read ratio (GET / PUT, 256 in flight)", "reads %"),
    "rounds": ("1RTT against 2RTT (PUT; 2RTT: parnikd --no-1rtt, a prepare before every "
               "accept)", "rounds, concurrency"),
}


def sweep_tables(tables, tsc_hz):
    out = []
    for name, rows in tables.items():
        title, col = TITLES.get(name, (name, "value"))
        out.append(f"#### {title}\n")
        out.append(f"| {col} | ops/s (median) | spread | p50 us | p99 us | cycles/op | "
                   "CPU us/op |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for value, g in rows.items():
            cyc = med(g["cyc"])
            cpu_us = cyc / tsc_hz * 1e6 if cyc and tsc_hz else None
            spread = f"{min(g['ops']):,.0f}-{max(g['ops']):,.0f}" if len(g["ops"]) > 1 else ""
            out.append(f"| {value} | {fmt(med(g['ops']))} | {spread} | {fmt(med(g['p50']))} | "
                       f"{fmt(med(g['p99']))} | {fmt(cyc)} | {fmt(cpu_us, 1)} |")
        out.append("")
    return out


def openloop_table(rows):
    out = ["#### Latency against offered load (open loop)\n",
           "| system | offered ops/s | achieved ops/s | p50 us | p90 us | p99 us | p99.9 us |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for system, offered, achieved, p50, p90, p99, p999 in rows:
        out.append(f"| {system} | {fmt(offered)} | {fmt(achieved)} | {fmt(p50)} | {fmt(p90)} | "
                   f"{fmt(p99)} | {fmt(p999)} |")
    out.append("")
    return out


def plot(plots, rows, tables):
    """Writes the data files and the PNGs; returns the PNG names made."""
    os.makedirs(plots, exist_ok=True)
    made = []
    for system in ("Parnik", "etcd"):
        with open(os.path.join(plots, f"openloop-{system}.dat"), "w") as f:
            for r in rows:
                if r[0] == system and r[2]:
                    f.write(" ".join("nan" if v is None else str(v) for v in r[1:]) + "\n")
    script = f"""
set terminal pngcairo size 1000,600 noenhanced
set output '{plots}/latency_vs_load.png'
set title "Latency against offered load\\nParnik: 3 replicas, memif, DPDK client, open loop; etcd: 3 members, no fsync, wrk paced"
set xlabel 'offered load, requests/s (log)'
set ylabel 'latency, us (log)'
set logscale xy
set key top left
set grid
plot '{plots}/openloop-Parnik.dat' using 1:3 with linespoints title 'Parnik p50', \\
     '' using 1:5 with linespoints title 'Parnik p99', \\
     '' using 1:6 with linespoints title 'Parnik p99.9', \\
     '{plots}/openloop-etcd.dat' using 1:3 with linespoints title 'etcd p50', \\
     '' using 1:5 with linespoints title 'etcd p99'
"""
    workers = tables.get("workers", {})
    with open(os.path.join(plots, "workers.dat"), "w") as f:
        for value, g in workers.items():
            if g["ops"]:
                f.write(f"{value} {med(g['ops'])} {min(g['ops'])} {max(g['ops'])}\n")
    script += f"""
set output '{plots}/throughput_vs_workers.png'
set title "Parnik PUT throughput against worker lcores per replica\\n3 replicas, memif, DPDK client, 256 in flight; all on 2 shared CPUs"
unset logscale
set xlabel 'worker lcores per replica'
set ylabel 'ops/s'
set yrange [0:*]
set xtics (1, 2, 4)
set xrange [0.5:4.5]
set key bottom left
plot '{plots}/workers.dat' using 1:2:3:4 with yerrorlines title 'median, min-max of the runs'
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
        made = ["latency_vs_load.png", "throughput_vs_workers.png"]
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"sweep_report: gnuplot failed: {e}", file=sys.stderr)
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", help="the directory with sweep.tsv, openloop.tsv, table.txt")
    ap.add_argument("--readme", required=True)
    ap.add_argument("--plots", required=True)
    ap.add_argument("--machine", default="")
    ap.add_argument("--tsc-hz", type=float, default=0)
    a = ap.parse_args()
    tables = load_sweeps(os.path.join(a.results, "sweep.tsv"))
    rows = load_openloop(os.path.join(a.results, "openloop.tsv"))
    made = plot(a.plots, rows, tables)
    with open(os.path.join(a.results, "table.txt")) as f:
        main_table = f.read().strip("\n")
    rel = os.path.relpath(a.plots, os.path.dirname(os.path.abspath(a.readme)))
    block = [BEGIN, "",
             f"Generated by `bench/compare.sh` on {datetime.date.today().isoformat()}, "
             f"{a.machine}. Cycles are TSC cycles "
             f"({a.tsc_hz / 1e9:.2f} GHz) the replicas' worker lcores spent busy, summed over "
             "the 3 replicas, per completed operation.", "",
             "#### The comparison", "", "```", main_table, "```", ""]
    block += openloop_table(rows)
    block += sweep_tables(tables, a.tsc_hz)
    for png in made:
        block.append(f"![{png}]({rel}/{png})\n")
    block.append(END)
    text = open(a.readme).read() if os.path.exists(a.readme) else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + "\n".join(block) + text[text.index(END) + len(END):]
    else:
        text = text + ("\n" if text else "") + "\n".join(block) + "\n"
    with open(a.readme, "w") as f:
        f.write(text)
    print("\n".join(block[block.index("#### The comparison") + 5:]))


if __name__ == "__main__":
    main()
