#!/usr/bin/env python3
"""Process latency of `matcalc grad` on the homework against `matcalc --version`.

Usage: python3 benches/latency.py [RUNS]   (after `cargo build --release`)

Runs the commands alternately RUNS times each (default 300), so machine
load affects them alike, and prints each one's median and 99th percentile,
the median relative to `--version` (issue 13: within 1.5x) and the 99th
percentile relative to its median (within 2x).
"""
import os
import statistics
import subprocess
import sys
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = os.path.join(root, "target", "release", "matcalc")
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
commands = [["--version"]] + [
    ["grad", os.path.join(root, "examples", f"{name}.tex")]
    for name in ("autoencoder", "gplvm", "swish-mlp")
]
times = {tuple(c): [] for c in commands}
for _ in range(runs):
    for c in commands:
        t = time.perf_counter()
        subprocess.run([exe] + c, stdout=subprocess.DEVNULL, check=True)
        times[tuple(c)].append((time.perf_counter() - t) * 1000)
floor = statistics.median(times[("--version",)])
for c, v in times.items():
    v.sort()
    median = statistics.median(v)
    p99 = v[int(0.99 * (len(v) - 1))]
    label = " ".join(x if not x.endswith(".tex") else os.path.basename(x) for x in c)
    print(
        f"{label:28s} median {median:6.2f} ms ({median / floor:4.2f}x --version)"
        f"  p99 {p99:6.2f} ms ({p99 / median:4.2f}x median)"
    )
