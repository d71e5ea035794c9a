"""A Forecast sheet at Excel's row limit (1,048,576 rows), recalculated end to end.

    python benchmarks/bench_scale.py                      # generate (cached) and measure
    python benchmarks/bench_scale.py --repeat 3 --json out.json
    python benchmarks/bench_scale.py --book big.xlsx      # measure an existing workbook

The workbook comes from ``benchmarks/generate.py`` (``generate_max_forecast``: 131,072
sku-locations x 8 weeks = 1,048,575 long Forecast rows + the header, with Inventory, Products,
Campaigns, Receipts and Settings sheets as in docs/workbook-contract.md). It is generated once
into the cache directory (about 2 minutes with openpyxl's pure-Python writer).

Each run is ``pysnop.api.recalc(book, output=copy)`` in a fresh Python process; the figures:

| figure | measured |
|---|---|
| end to end | wall clock around the process: interpreter start, imports, read, compute, write |
| in process | ``time.perf_counter()`` around ``pysnop.api.recalc`` (and the run's ``timings``) |
| peak RSS | ``ru_maxrss`` of that process (``getrusage(RUSAGE_SELF)``, Linux: KiB) |

Targets (issue 7): end to end < 60 s and peak RSS < 4 GiB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 60.0
TARGET_RSS = 4 * 1024 ** 3

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import pysnop.api as api
imported = time.perf_counter() - t0
t1 = time.perf_counter()
report = api.recalc(sys.argv[1], output=sys.argv[2], backup=False,
                    actions=sys.argv[3] == "actions")
run = time.perf_counter() - t1
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rss = rss if sys.platform == "darwin" else rss * 1024
print(json.dumps({"imports": imported, "recalc": run, "peak_rss": rss,
                  "timings": report.timings, "sku_locations": len(report.result.summary),
                  "counts": report.counts, "warnings": len(report.warnings)}))
"""


def ensure_book(cache: Path, weeks: int = 8) -> Path:
    book = cache / f"max-forecast-{weeks}w.xlsx"
    if not book.exists():
        sys.path.insert(0, str(HERE))
        from generate import generate_max_forecast  # benchmarks/generate.py

        t0 = time.perf_counter()
        tmp = book.with_suffix(".partial.xlsx")
        generate_max_forecast(tmp, weeks=weeks)
        os.replace(tmp, book)
        print(f"generated {book} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return book


def forecast_rows(book: Path) -> int:
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_path(str(book))
    ws = wb.get_sheet_by_name("Forecast")
    return ws.height


def measure(book: Path, out: Path, timeout: float, actions: bool = False) -> dict:
    started = time.perf_counter()
    for stale in book.parent.glob(f"{book.stem}.pysnop.sqlite"):
        stale.unlink()  # every run is a first run against an empty decision log
    proc = subprocess.run([sys.executable, "-c", CHILD, str(book), str(out),
                           "actions" if actions else "bridge"],
                          capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"recalc failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["end_to_end"] = wall
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--book", type=Path, help="measure this workbook instead of generating one")
    ap.add_argument("--cache-dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "pysnop-bench-out")
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=1, help="runs; the best is reported")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--actions", action="store_true",
                    help="the full run: also propose actions (default: the bridge, as "
                         "pysnop recalc --no-actions)")
    args = ap.parse_args(argv)

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    book = args.book or ensure_book(args.cache_dir, args.weeks)
    rows = forecast_rows(book)
    runs = []
    for i in range(args.repeat):
        out = args.cache_dir / f"{book.stem}-out.xlsx"
        runs.append(measure(book, out, args.timeout, args.actions))
        r = runs[-1]
        print(f"run {i + 1}: end to end {r['end_to_end']:.1f} s (recalc {r['recalc']:.1f} s: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in r["timings"].items())
              + f"), peak RSS {r['peak_rss'] / 1024 ** 2:,.0f} MB", file=sys.stderr)
    best = min(runs, key=lambda r: r["end_to_end"])
    peak = max(r["peak_rss"] for r in runs)
    t = best["timings"]
    stages = [k for k in t if k != "total"]
    print("| Forecast rows | sku-locations | end to end | " + " | ".join(stages) + " | peak RSS |")
    print("|---:|---:|---:|" + "---:|" * len(stages) + "---:|")
    print(f"| {rows:,} | {best['sku_locations']:,} | {best['end_to_end']:.1f} s | "
          + " | ".join(f"{t[k]:.1f} s" for k in stages) + f" | {peak / 1024 ** 2:,.0f} MB |")
    ok_time = best["end_to_end"] < TARGET_SECONDS
    ok_rss = peak < TARGET_RSS
    print(f"end to end < {TARGET_SECONDS:.0f} s: {'PASS' if ok_time else 'MISS'}; "
          f"peak RSS < 4 GiB: {'PASS' if ok_rss else 'MISS'}")
    if args.json:
        args.json.write_text(json.dumps({"book": str(book), "forecast_rows": rows,
                                         "runs": runs, "cpus": os.cpu_count()}, indent=2))
    return 0 if ok_time and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
