"""Benchmark the worksheet functions as Excel calls them: =STOCKOUT_RISK over 4,000-row ranges.

    python benchmarks/bench_udf.py                  # 4,000 sku-locations (32,000 forecast rows)
    python benchmarks/bench_udf.py --n 10000 --runs 9 --json -

The ranges are the generated workbook's sheets (benchmarks/generate.py, cached in
``--cache-dir``) as Excel's COM hands them over (tuples of rows; numbers as floats, dates as
datetimes, blanks as None). Each call goes through xlwings' own argument and return
conversion, as ``xlwings.udfs.call_udf`` does (tests/excel/xlwings_udf.py: xlwings'
decorators and conversion pipelines, COM stood in for), so a figure is the time from xlwings
handing over the ranges to xlwings having the result, in one warm process:

* cold: the first call (imports done, nothing cached);
* a changed cell: one on_hand cell different on every call, so every call computes;
* cached: the same cells again (what Excel does on a recalculation that changed nothing
  the formula reads) — answered from the content-keyed cache
  (pysnop/workbook/formulas/cache.py).

Medians of ``--runs`` calls, wall clock and the process's CPU time (on a shared machine the
wall clock also counts waiting for a core).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "excel"))

TABLES = ("Campaigns", "Inventory", "Receipts", "Forecast")
AS_OF = dt.datetime(2026, 11, 18)  # the generated workbooks' Settings as_of


def excel_ranges(path: Path) -> dict[str, tuple[tuple, ...]]:
    """The sheets as COM hands a range's values to xlwings."""
    from python_calamine import CalamineWorkbook

    def cell(v):
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return dt.datetime(v.year, v.month, v.day)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        return None if v == "" else v

    wb = CalamineWorkbook.from_path(str(path))
    return {name: tuple(tuple(cell(v) for v in row)
                        for row in wb.get_sheet_by_name(name).to_python())
            for name in TABLES}


def measure(n: int, runs: int, cache_dir: Path) -> dict:
    from bench_bridge import workbook_for
    from xlwings_udf import call_as_excel, udf_module_as_on_windows

    ranges = excel_ranges(workbook_for(n, cache_dir))
    before = os.getloadavg()[0]
    with udf_module_as_on_windows() as udf:
        cpu: list[float] = []

        def call(inventory):
            c0, t0 = time.process_time(), time.perf_counter()
            out = call_as_excel(udf.STOCKOUT_RISK, ranges["Campaigns"], inventory,
                                ranges["Receipts"], ranges["Forecast"], AS_OF, 8.0)
            cpu.append(time.process_time() - c0)
            return time.perf_counter() - t0, out

        cold, first = call(ranges["Inventory"])
        if isinstance(first, list) and len(first) == 1:
            raise SystemExit(f"STOCKOUT_RISK failed: {first}")
        changed = []
        for k in range(runs):
            inv = list(ranges["Inventory"])
            row = list(inv[1])
            row[2] = float(row[2]) + k + 1  # on_hand of the first row
            inv[1] = tuple(row)
            changed.append(call(tuple(inv))[0])
        changed_cpu = statistics.median(cpu[1:])
        cpu.clear()
        cached = []
        for _ in range(runs):
            t, out = call(ranges["Inventory"])
            cached.append(t)
            assert out == first
    return {"n": n, "rows": {k: len(v) - 1 for k, v in ranges.items()}, "cold_s": cold,
            "uncached_s": statistics.median(changed), "uncached_times_s": changed,
            "cached_s": statistics.median(cached), "cached_times_s": cached,
            "uncached_cpu_s": changed_cpu, "cached_cpu_s": statistics.median(cpu),
            "load": f"{before:.1f}–{os.getloadavg()[0]:.1f}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000, help="sku-locations (Inventory rows)")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/pysnop-bench"))
    ap.add_argument("--json", help="write the figures as JSON here ('-': stdout)")
    args = ap.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    fig = measure(args.n, args.runs, args.cache_dir)
    if args.json == "-":
        print(json.dumps(fig))
        return
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2))
    print(f"=STOCKOUT_RISK, {fig['n']:,} sku-locations {fig['rows']} (load {fig['load']}):")
    print(f"  cold (first call)      {fig['cold_s'] * 1000:7.0f} ms")
    print(f"  a changed cell         {fig['uncached_s'] * 1000:7.0f} ms (median of {args.runs}; "
          f"CPU {fig['uncached_cpu_s'] * 1000:.0f} ms)")
    print(f"  unchanged (cached)     {fig['cached_s'] * 1000:7.0f} ms (median of {args.runs}; "
          f"CPU {fig['cached_cpu_s'] * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
