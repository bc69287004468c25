"""Side-by-side table of flowgrid and baseline flowgrid-bench reports.

usage: compare.py OUT_DIR CASE_NAME...
Reads OUT_DIR/<config>-<case name with dashes>.json for config flowgrid and
baseline (as benchmarks/run.sh writes them) and prints a Markdown table.
Latency ratio: baseline / flowgrid (how many times faster flowgrid is);
throughput ratio: flowgrid / baseline. A missing report shows as n/a.
"""
import json
import os
import sys


def load(out_dir, config, case):
    path = os.path.join(out_dir, f"{config}-{case.replace(' ', '-')}.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def ms(report, key):
    return report["latency_ms"][key] if report and report["finished"] else None


def rate(report):
    return report["runs_per_second"] if report else None


def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return "n/a"
    return f"{numerator / denominator:.1f}×"


def main():
    out_dir, cases = sys.argv[1], sys.argv[2:]
    print("| case | flowgrid p50 ms | baseline p50 ms | p50 ratio | flowgrid p99 ms "
          "| baseline p99 ms | flowgrid runs/s | baseline runs/s | runs/s ratio | runs (f/b) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in cases:
        ours, theirs = load(out_dir, "flowgrid", case), load(out_dir, "baseline", case)
        runs = "/".join(str(r["finished"]) if r else "n/a" for r in (ours, theirs))
        print(f"| {case} | {fmt(ms(ours, 'p50'))} | {fmt(ms(theirs, 'p50'))} "
              f"| {ratio(ms(theirs, 'p50'), ms(ours, 'p50'))} "
              f"| {fmt(ms(ours, 'p99'))} | {fmt(ms(theirs, 'p99'))} "
              f"| {fmt(rate(ours), 1)} | {fmt(rate(theirs), 1)} "
              f"| {ratio(rate(ours), rate(theirs))} | {runs} |")


if __name__ == "__main__":
    main()
