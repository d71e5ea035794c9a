"""Benchmark the bridge: read, compute, write and end to end, per workbook size.

    python benchmarks/bench_bridge.py                       # 1k, 4k, 10k, 100k sku-locations
    python benchmarks/bench_bridge.py --sizes 1000,4000
    python benchmarks/bench_bridge.py --markdown            # table for benchmarks/README.md
    python benchmarks/bench_bridge.py --network             # DC networks: 800, 4k, 10k

Workbooks come from benchmarks/generate.py and are cached (``--cache-dir``, default
``$TMPDIR/pysnop-bench-out``). Every size is measured in fresh subprocesses, so one size's
caches and memory do not flatter the next:

* worker 1: read (``pysnop.workbook.read.reader.read_plan``), compute
  (``pysnop.core.bridge.run_bridge``), write (``pysnop.workbook.writer.write_workbook`` with the
  bridge's and the Issues renderers), engine throughput (compute on the already-read
  ``PlanInputs``, best of 5, in sku-location-weeks per second) and peak RSS;
* worker 2: end to end (``pysnop.api.recalc(path, output=dest)``), when ``pysnop.api`` exists.

``--network``: workbooks whose 20 locations are 2 DCs feeding 18 (``generate(...,
network=True)``: Locations, packs, a few direct-delivered rows, DC direct demand), and the
default run (``pysnop recalc``: the bridge through the network, actions included) timed as
the only run of a fresh process (worker 3).

Imports happen before the clock starts; interpreter start-up is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DEFAULT_SIZES = (1_000, 4_000, 10_000, 100_000)
NETWORK_SIZES = (800, 4_000, 10_000)
WEEKS = 8
TARGETS = {
    "engine": 20e6,  # sku-location-weeks per second
    4_000: 1.6,  # end to end, seconds
    10_000: 4.0,
}
NETWORK_TARGETS = {4_000: 1.6}  # the default run of a network, seconds (issue 11)


def campaigns_for(n: int) -> int:
    return max(10, n // 20)  # 200 campaigns for 4k sku-locations


def workbook_for(n: int, cache: Path, network: bool = False) -> Path:
    from generate import generate

    path = cache / f"bench-{'net-' if network else ''}{n}x{WEEKS}.xlsx"
    if not path.exists():
        t0 = time.perf_counter()
        tmp = path.with_suffix(".tmp.xlsx")
        generate(tmp, n, weeks=WEEKS, n_campaigns=campaigns_for(n), seed=0, network=network)
        tmp.replace(path)
        print(f"  generated {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


# ----------------------------------------------------------------------------- workers


def worker_stages(path: Path, out_dir: Path, repeat: int) -> dict:
    from pysnop.core.bridge import run_bridge
    from pysnop.pipeline.stages import bridge_renderer
    from pysnop.workbook.read.reader import read_plan
    from pysnop.workbook.render.issues import issues_renderer
    from pysnop.workbook.writer import write_workbook

    res: dict = {}
    t0 = time.perf_counter()
    read = read_plan(path)
    res["read_s"] = time.perf_counter() - t0
    errors = getattr(read, "errors", None)
    if errors:
        res["error"] = f"{len(errors)} input errors, first: {errors[0]}"
        return res
    inputs = read.inputs

    t0 = time.perf_counter()
    result = run_bridge(inputs)
    res["compute_s"] = time.perf_counter() - t0
    n, h = result.poh.shape
    res["n"], res["weeks"] = n, h
    res["campaigns"] = len(inputs.campaigns)
    res["forecast_rows"] = len(inputs.forecast)

    dest = out_dir / f"{path.stem}-out.xlsx"
    t0 = time.perf_counter()
    write_workbook(path, dest, [
        bridge_renderer(result, campaigns_layout=read.layouts.get("Campaigns")),
        issues_renderer([*read.warnings, *result.warnings])])
    res["write_s"] = time.perf_counter() - t0

    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run_bridge(inputs)
        best = min(best, time.perf_counter() - t0)
    res["engine_best_s"] = best
    res["engine_rate"] = n * h / best if best > 0 else float("nan")

    # the arithmetic kernel alone (docs/semantics.md on whole arrays), on this workbook's arrays
    import numpy as np

    from pysnop.core.bridge_math import project_kernel

    rb = inputs.settings.risk_buffer
    lift_factor = np.divide(result.lift_units, result.baseline,
                            out=np.zeros_like(result.baseline), where=result.baseline > 0)
    on_hand = result.poh[:, 0] - result.receipts[:, 0] + result.demand[:, 0]
    safety = result.threshold[:, 0] - rb * result.lift_units[:, 0]
    best = float("inf")
    for _ in range(max(repeat, 5)):
        t0 = time.perf_counter()
        project_kernel(result.baseline, lift_factor, result.receipts, on_hand, safety, rb)
        best = min(best, time.perf_counter() - t0)
    res["kernel_rate"] = n * h / best if best > 0 else float("nan")
    res["peak_rss_mb"] = _peak_rss_mb()
    return res


def worker_e2e(path: Path, out_dir: Path) -> dict:
    try:
        from pysnop import api
    except ImportError as exc:
        return {"e2e_error": f"pysnop.api not importable: {exc}"}
    if not hasattr(api, "recalc"):
        return {"e2e_error": "pysnop.api.recalc does not exist"}
    dest = out_dir / f"{path.stem}-e2e.xlsx"
    for stale in path.parent.glob(f"{path.stem}.pysnop.sqlite"):
        stale.unlink()  # a first run, not a re-run against last time's decision log
    t0 = time.perf_counter()
    api.recalc(path, output=dest, actions=False)  # the bridge: docs/semantics.md end to end
    bridge_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    api.recalc(path, output=dest)  # everything: + proposals, Actions, Review, decision log
    return {"e2e_s": bridge_s, "full_s": time.perf_counter() - t0,
            "e2e_peak_rss_mb": _peak_rss_mb()}


def worker_default(path: Path, out_dir: Path) -> dict:
    """``pysnop recalc`` (actions included) as the one run of this process."""
    from pysnop import api

    dest = out_dir / f"{path.stem}-default.xlsx"
    for stale in path.parent.glob(f"{path.stem}.pysnop.sqlite"):
        stale.unlink()
    t0 = time.perf_counter()
    report = api.recalc(path, output=dest)
    took = time.perf_counter() - t0
    stages = {f"stage_{k}_s": v for k, v in report.timings.items() if k != "total"}
    return {"default_s": took, **stages, "default_peak_rss_mb": _peak_rss_mb()}


def _run_worker(kind: str, path: Path, out_dir: Path, repeat: int, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(path),
           "--out-dir", str(out_dir), "--repeat", str(repeat)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {f"{kind}_error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {f"{kind}_error": tail}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- report


def _fmt_s(v) -> str:
    return "—" if v is None else f"{v:.2f} s"


def _fmt_rate(v) -> str:
    return "—" if v is None else f"{v / 1e6:.1f} M/s"


def table(rows: list[dict]) -> str:
    head = ("| sku-locations | weeks | campaigns | forecast rows | read | compute | write "
            "| end to end (bridge) | full run (+ actions) | run_bridge (sku-loc-weeks/s) "
            "| kernel (sku-loc-weeks/s) | peak RSS |")
    lines = [head, "|" + "---:|" * 12]
    for r in rows:
        lines.append(
            f"| {r['size']:,} | {r.get('weeks', WEEKS)} | {r.get('campaigns', '—')} "
            f"| {fc if isinstance(fc := r.get('forecast_rows', 0), str) else format(fc, ',')} "
            f"| {_fmt_s(r.get('read_s'))} | {_fmt_s(r.get('compute_s'))} "
            f"| {_fmt_s(r.get('write_s'))} | {_fmt_s(r.get('e2e_s'))} "
            f"| {_fmt_s(r.get('full_s'))} "
            f"| {_fmt_rate(r.get('engine_rate'))} | {_fmt_rate(r.get('kernel_rate'))} "
            f"| {'—' if (rss := r.get('peak_rss_mb')) is None else format(rss, '.0f') + ' MB'} |")
    return "\n".join(lines)


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        rate = r.get("kernel_rate")
        if rate is not None:
            ok = "PASS" if rate >= TARGETS["engine"] else "MISS"
            out.append(f"{ok}  engine kernel at {r['size']:,}: {rate / 1e6:.1f} M "
                       f"sku-location-weeks/s (target >= {TARGETS['engine'] / 1e6:.0f} M/s; "
                       f"whole run_bridge {r.get('engine_rate', 0) / 1e6:.1f} M/s)")
        target = TARGETS.get(r["size"])
        if target is not None:
            e2e = r.get("e2e_s")
            if e2e is None:
                out.append(f"n/a   end to end at {r['size']:,}: not measured "
                           f"(target <= {target} s)")
            else:
                ok = "PASS" if e2e <= target else "MISS"
                out.append(f"{ok}  end to end at {r['size']:,}: {e2e:.2f} s (target <= {target} s)")
        for key, value in r.items():
            if key.endswith("error"):
                out.append(f"ERROR {r['size']:,} ({key}): {value}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="pysnop bridge benchmarks")
    ap.add_argument("--sizes", default=None,
                    help="comma-separated sku-location counts (default 1000,4000,10000,100000;"
                         " with --network 800,4000,10000)")
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(),
                                                        "pysnop-bench-out"))
    ap.add_argument("--repeat", type=int, default=5, help="engine runs, best of (default 5)")
    ap.add_argument("--timeout", type=float, default=1800, help="per worker, seconds")
    ap.add_argument("--no-e2e", action="store_true", help="skip pysnop.api.recalc")
    ap.add_argument("--markdown", action="store_true", help="print only the markdown table")
    ap.add_argument("--json", dest="json_out", help="also write the raw figures here")
    ap.add_argument("--network", action="store_true",
                    help="DC networks (default sizes 800,4000,10000): the default run in a "
                         "fresh process, stage by stage")
    ap.add_argument("--worker", choices=("stages", "e2e", "default"), help=argparse.SUPPRESS)
    ap.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    ap.add_argument("--out-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        path, out_dir = Path(args.path), Path(args.out_dir)
        res = worker_stages(path, out_dir, args.repeat) if args.worker == "stages" \
            else worker_e2e(path, out_dir) if args.worker == "e2e" \
            else worker_default(path, out_dir)
        print(json.dumps(res))
        return 0

    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    out_dir = cache / "results"
    out_dir.mkdir(exist_ok=True)
    given = args.sizes or ",".join(str(s) for s in (NETWORK_SIZES if args.network
                                                     else DEFAULT_SIZES))
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in given.split(",") if s]
    if args.network:
        return _network_main(sizes, cache, out_dir, args)
    rows = []
    for n in sizes:
        print(f"size {n:,}", file=sys.stderr)
        path = workbook_for(n, cache)
        row = {"size": n}
        row.update(_run_worker("stages", path, out_dir, args.repeat, args.timeout))
        if not args.no_e2e:
            row.update(_run_worker("e2e", path, out_dir, args.repeat, args.timeout))
        rows.append(row)
        print("  " + json.dumps(row), file=sys.stderr)

    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2))
    print(table(rows))
    if not args.markdown:
        print()
        print("Targets: engine >= 20M sku-location-weeks/s; 4k end to end <= 1.6 s; "
              "10k <= 4 s")
        for line in verdicts(rows):
            print(line)
    return 0


def network_table(rows: list[dict]) -> str:
    stages = ("read", "consensus", "compute", "actions", "write")
    head = ("| sku-locations (2 DCs) | read | compute (run_bridge) | default run "
            "| of which " + " / ".join(stages) + " | peak RSS |")
    lines = [head, "|" + "---:|" * 6]
    for r in rows:
        parts = " / ".join(_fmt_s(r.get(f"stage_{s}_s")).replace(" s", "") for s in stages)
        rss = r.get("default_peak_rss_mb")
        lines.append(f"| {r['size']:,} | {_fmt_s(r.get('read_s'))} "
                     f"| {_fmt_s(r.get('compute_s'))} | {_fmt_s(r.get('default_s'))} "
                     f"| {parts} s | {'—' if rss is None else format(rss, '.0f') + ' MB'} |")
    return "\n".join(lines)


def _network_main(sizes: list[int], cache: Path, out_dir: Path, args) -> int:
    rows = []
    for n in sizes:
        print(f"network size {n:,}", file=sys.stderr)
        path = workbook_for(n, cache, network=True)
        row = {"size": n}
        row.update(_run_worker("stages", path, out_dir, args.repeat, args.timeout))
        row.update(_run_worker("default", path, out_dir, args.repeat, args.timeout))
        rows.append(row)
        print("  " + json.dumps(row), file=sys.stderr)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2))
    print(network_table(rows))
    if not args.markdown:
        print()
        for r in rows:
            target = NETWORK_TARGETS.get(r["size"])
            took = r.get("default_s")
            if target is not None and took is not None:
                ok = "PASS" if took <= target else "MISS"
                print(f"{ok}  network default run at {r['size']:,}: {took:.2f} s "
                      f"(target <= {target} s)")
            for key, value in r.items():
                if key.endswith("error"):
                    print(f"ERROR {r['size']:,} ({key}): {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
