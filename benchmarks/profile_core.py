"""CPU time of the engine's calls in a default ``pysnop recalc`` re-run, and their outputs.

    python benchmarks/profile_core.py BOOK [--out PICKLE] [--repeat 5] [--profile NAME]

Runs ``pysnop recalc`` twice in this process on BOOK (a first run with a fresh decision
log, then a re-run of its output against that log, ``--as-of 2026-11-18``), capturing the
arguments of run_bridge, network_supply_check, plan_actions and decisions.merge in the
re-run; then times each call alone on those arguments (``time.process_time``, best of
``--repeat``) and with ``--out`` pickles what each returned, so two versions of the engine
can be compared (``python benchmarks/profile_core.py compare A.pkl B.pkl``).
``--profile NAME`` runs pyinstrument over that call instead of timing it.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

AS_OF = dt.date(2026, 11, 18)


def capture(book: Path) -> dict[str, tuple[Any, Any]]:
    import pysnop.core.actions as core_actions
    import pysnop.core.bridge as core_bridge
    import pysnop.pipeline.actions as stage
    import pysnop.pipeline.stages as stages
    from pysnop.pipeline.run import recalc

    seen: dict[str, tuple[Any, Any]] = {}

    def spy(name: str, fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seen[name] = (copy.deepcopy(args), copy.deepcopy(kwargs))
            return fn(*args, **kwargs)
        return wrapped

    core_actions.plan_actions = spy("plan_actions", core_actions.plan_actions)
    stages.run_bridge = spy("run_bridge", stages.run_bridge)
    core_bridge.network_supply_check = spy("network_supply_check",
                                           core_bridge.network_supply_check)
    stage.merge = spy("merge", stage.merge)
    stage.review_edits = spy("review_edits", stage.review_edits)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.sqlite"
        first = Path(tmp) / "first.xlsx"
        recalc(book, output=first, as_of=AS_OF, log=log)
        seen.clear()
        recalc(first, output=Path(tmp) / "rerun.xlsx", as_of=AS_OF, log=log)
    return seen


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    parser = argparse.ArgumentParser()
    parser.add_argument("book", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile")
    parser.add_argument("--args", type=Path, help="the captured arguments: pickled to this "
                        "file, or read from it when it exists (no recalc then)")
    opts = parser.parse_args()
    if opts.args is not None and opts.args.exists():
        seen = pickle.loads(opts.args.read_bytes())
    else:
        seen = capture(opts.book)
        if opts.args is not None:
            opts.args.write_bytes(pickle.dumps(seen))
    if opts.profile:
        from pyinstrument import Profiler

        import pysnop.core.actions
        pysnop.core.actions.OVERLAP_ROWS = -1  # all on this thread, which pyinstrument samples
        args, kwargs = seen[opts.profile]
        args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
        _direct(opts.profile, args, kwargs)
        prof = Profiler(interval=0.0005)
        prof.start()
        _direct(opts.profile, args, kwargs)
        prof.stop()
        print(prof.output_text(unicode=False, color=False, show_all=False))
        return
    outputs = {}
    for name in ("run_bridge", "network_supply_check", "plan_actions", "review_edits",
                 "merge"):
        if name not in seen:
            continue
        args, kwargs = seen[name]
        best = float("inf")
        for _ in range(opts.repeat):
            a, k = copy.deepcopy(args), copy.deepcopy(kwargs)
            fn_start = time.process_time()
            out = _direct(name, a, k)
            best = min(best, time.process_time() - fn_start)
        outputs[name] = out
        print(f"{opts.book.name} {name}: {best * 1000:.0f} ms CPU (best of {opts.repeat})")
    if opts.out:
        opts.out.write_bytes(pickle.dumps(outputs))


def _direct(name: str, args: Any, kwargs: Any) -> Any:
    import pysnop.core.bridge as core_bridge
    from pysnop.core import actions, decisions, network_check
    fn = {"run_bridge": core_bridge.run_bridge, "plan_actions": actions.plan_actions,
          "network_supply_check": network_check.network_supply_check,
          "review_edits": decisions.review_edits, "merge": decisions.merge}[name]
    return fn(*args, **kwargs)


def same(a: Any, b: Any, where: str) -> list[str]:
    import numpy as np
    import pandas as pd
    if isinstance(a, (pd.DataFrame, pd.Series, pd.Index)):
        try:
            if isinstance(a, pd.Index):
                pd.testing.assert_index_equal(a, b, exact=True)
            elif isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            else:
                pd.testing.assert_series_equal(a, b, check_exact=True)
        except AssertionError as exc:
            return [f"{where}: {str(exc)[:300]}"]
        return []
    if isinstance(a, np.ndarray):
        ok = (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
              and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
        return [] if ok else [f"{where}: arrays differ"]
    if isinstance(a, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return [f"{where}: {type(a).__name__} lengths {len(a)} vs {len(b)}"]
        return [m for i, (x, y) in enumerate(zip(a, b)) for m in same(x, y, f"{where}[{i}]")]
    if isinstance(a, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(map(str, a))} vs {sorted(map(str, b))}"]
        return [m for k in a for m in same(a[k], b[k], f"{where}[{k!r}]")]
    if hasattr(a, "__dict__") and not isinstance(a, type):
        if type(a).__name__ != type(b).__name__:
            return [f"{where}: types differ"]
        return same(vars(a), vars(b), where)
    try:
        ok = a == b
        if not isinstance(ok, bool):
            ok = bool(np.all(ok))
    except Exception:
        ok = repr(a) == repr(b)
    if not ok and isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        ok = True
    return [] if ok else [f"{where}: {a!r} vs {b!r}"]


def compare(a: Path, b: Path) -> int:
    left, right = pickle.loads(a.read_bytes()), pickle.loads(b.read_bytes())
    problems = same(left, right, "")
    for p in problems[:40]:
        print(p)
    verdict = "identical" if not problems else f"{len(problems)} differences"
    print(f"{a.name} vs {b.name}: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    main()
