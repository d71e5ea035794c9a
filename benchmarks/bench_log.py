"""CPU time of the decision log's functions in real runs of ``pysnop recalc``.

    python benchmarks/bench_log.py BOOK [--repeat 3]        (PYTHONPATH picks the pysnop)

Runs ``pysnop recalc`` in this process, as a planner's week goes (a first run with a fresh
log, then a re-run of the workbook it wrote, ``--as-of 2026-11-18``), ``--repeat`` times
over, and prints for each run the CPU time of the thread that called each function (time
.thread_time: the action plan is made on a second thread meanwhile, whose CPU is not
counted), summed over its calls, the median over the repeats. Nested functions are counted
in their callers too (``chain.digest`` inside ``chain.append`` inside ``record_run``; the
digests of ``chain.verify`` when a run opens the log are counted in ``chain.digest`` only).
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pysnop.core.binding as binding
import pysnop.pipeline.consensus as consensus_stage
import pysnop.store.chain as chain
import pysnop.store.decision_log as decision_log
import pysnop.store.history as history
import pysnop.store.log_values as log_values
from pysnop.cli.main import cli

TOTALS: dict[str, float] = defaultdict(float)


def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            TOTALS[label] += time.thread_time() - start
    return wrapper


def instrument() -> None:
    log = decision_log.DecisionLog
    for name in ("record_run", "_insert_run", "_insert_plan", "known_states", "logged_values",
                 "frame"):
        setattr(log, name, timed(name, getattr(log, name)))
    chain.append = timed("chain.append", chain.append)
    chain.digest = timed("chain.digest", chain.digest)
    decision_log.values_records = timed("values_records", binding.values_records)
    decision_log.pack_cover = timed("pack_cover", log_values.pack_cover)
    consensus_stage.record_cycle = timed("record_cycle", history.record_cycle)
    consensus_stage.history_rows = timed("history_rows", history.history_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("book", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    instrument()
    runs: dict[str, list[dict[str, float]]] = defaultdict(list)
    for _ in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="pysnop-bench-log-"))
        source = args.book
        for run in ("first run", "re-run"):
            TOTALS.clear()
            target = folder / f"{run.replace(' ', '-')}.xlsx"
            try:
                cli.main(args=["recalc", str(source), "-o", str(target), "--log",
                               str(folder / "log.sqlite"), "--as-of", "2026-11-18"],
                         standalone_mode=False)
            except SystemExit:
                pass
            runs[run].append(dict(TOTALS))
            source = target
        shutil.rmtree(folder)
    print(f"{args.book.name}: CPU seconds (thread), median of {args.repeat}")
    for run, samples in runs.items():
        print(f"  {run}")
        for label in sorted({k for s in samples for k in s}):
            print(f"    {label:16s} {statistics.median(s.get(label, 0.0) for s in samples):.4f}")


if __name__ == "__main__":
    main()
