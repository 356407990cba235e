#!/usr/bin/env python3
"""Time and peak memory of every shipped input (issue 13: none over 2 s or 256 MiB).

Usage: python3 benches/budget.py [--quick]   (after `cargo build --release`)

Runs the release binary, one process per input and command, on
- every fixture under tests/fixtures (grad, check and steps; `grade` with the
  answer `x` for the repro files whose command is grade),
- every fuzz seed under fuzz/seeds/cli, decoded as fuzz/fuzz_targets/cli.rs
  decodes it (byte 0 picks the command and format, the rest is the document,
  split at 0x01 into document and answer for grade),
and prints the slowest and the largest runs, then every run over a budget.
Peak resident memory is the child's own (os.wait4), not the script's.
Exit status 1 when any run is over a budget or ends outside exit codes 0-2.
"""
import glob
import os
import subprocess
import sys
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = os.path.join(root, "target", "release", "matcalc")
TIME_BUDGET = 2.0
MEMORY_BUDGET = 256 * 1024  # KiB, as ru_maxrss counts on Linux

# fuzz/fuzz_targets/cli.rs: COMMANDS
COMMANDS = [
    ("grad", "latex"), ("grad", "text"), ("grad", "json"), ("grad", "numpy"),
    ("check", "latex"), ("check", "json"),
    ("steps", "latex"), ("steps", "markdown"), ("steps", "text"), ("steps", "json"),
    ("graph", "dot"), ("graph", "json"),
    ("simplify", "latex"), ("simplify", "text"), ("simplify", "json"), ("simplify", "numpy"),
    ("grade", "latex"), ("grade", "json"), ("grade", "text"),
]


def run(args, label):
    start = time.perf_counter()
    p = subprocess.Popen([exe] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return (took, usage.ru_maxrss, code, label)


def fixture_runs(quick):
    files = sorted(glob.glob(os.path.join(root, "tests", "fixtures", "**", "*.tex"), recursive=True))
    for f in files:
        rel = os.path.relpath(f, root)
        commands = ["grad"] if quick else ["grad", "check", "steps"]
        for c in commands:
            yield [c, f], f"{c} {rel}"
        if "repro" in rel:
            yield ["grade", f, "--answer", "A"], f"grade --answer A {rel}"


def fuzz_runs():
    for f in sorted(glob.glob(os.path.join(root, "fuzz", "seeds", "cli", "*"))):
        data = open(f, "rb").read()
        if not data:
            continue
        cmd, fmt = COMMANDS[data[0] % len(COMMANDS)]
        rest = data[1:]
        answer = None
        if cmd == "grade":
            if b"\x01" in rest:
                i = rest.index(b"\x01")
                rest, answer = rest[:i], rest[i + 1:].decode("utf-8", "replace")
            else:
                answer = "x"
        doc = rest.decode("utf-8", "replace")
        if "\x00" in doc or (answer and "\x00" in answer):
            continue  # not passable as an argument; the fuzz target has it in memory
        args = [cmd, "--format", fmt, "-e", doc]
        if answer is not None:
            args += ["--answer", answer]
        yield args, f"{cmd} --format {fmt} fuzz/seeds/cli/{os.path.basename(f)}"


def main():
    quick = "--quick" in sys.argv
    results = [run(a, l) for a, l in list(fixture_runs(quick)) + list(fuzz_runs())]
    print(f"{len(results)} runs")
    print("slowest:")
    for t, m, c, l in sorted(results, reverse=True)[:5]:
        print(f"  {t:6.2f} s {m / 1024:7.1f} MiB exit {c}  {l}")
    print("largest:")
    for t, m, c, l in sorted(results, key=lambda r: -r[1])[:5]:
        print(f"  {t:6.2f} s {m / 1024:7.1f} MiB exit {c}  {l}")
    over = [r for r in results if r[0] > TIME_BUDGET or r[1] > MEMORY_BUDGET or r[2] not in (0, 1, 2)]
    for t, m, c, l in over:
        print(f"OVER: {t:.2f} s {m / 1024:.1f} MiB exit {c}  {l}")
    print(f"{len(over)} over the budget ({TIME_BUDGET} s, {MEMORY_BUDGET // 1024} MiB, exit 0-2)")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
