"""Peak memory of a command and every process it forks, sampled.

    python benchmarks/tree_memory.py pysnop recalc BOOK -o OUT --log LOG

``/usr/bin/time``'s peak is one process's: a run that forks (its log check, its plan, its
write) holds memory in several at once. Every ``--every`` seconds (default 0.1) this sums,
over the command's process tree, the resident set sizes (RSS: pages shared after a fork
counted in each process) and the proportional set sizes (PSS: a shared page split between the
processes that share it — what the tree really holds), and prints the largest sums, when the
largest PSS was seen and each process's share then, and the wall time. Needs psutil (it comes
with the test extras' dask) and Linux's /proc for PSS.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import psutil  # type: ignore[import-untyped]

GIB = 2**30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if not args.command:
        parser.error("no command given")
    started = time.perf_counter()
    proc = subprocess.Popen(args.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak_rss = peak_pss = 0
    at_peak: tuple[float, list[float]] = (0.0, [])
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        rss = pss = 0
        shares = []
        for member in tree:
            try:
                mem = member.memory_full_info()
            except psutil.Error:  # ended between the listing and the reading
                continue
            rss, pss = rss + mem.rss, pss + mem.pss
            shares.append(round(mem.pss / GIB, 2))
        if pss > peak_pss:
            at_peak = (time.perf_counter() - started, shares)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(args.every)
    _, err = proc.communicate()
    print(f"wall {time.perf_counter() - started:.2f} s; process tree peak: RSS "
          f"{peak_rss / GIB:.2f} GiB, PSS {peak_pss / GIB:.2f} GiB (at {at_peak[0]:.1f} s, "
          f"by process: {at_peak[1]} GiB); exit code {proc.returncode}")
    if proc.returncode:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return int(proc.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
