"""Benchmark the run people use: ``pysnop recalc book.xlsx -o out.xlsx``, each a fresh process.

    python benchmarks/bench_run.py                          # everything (100k takes minutes)
    python benchmarks/bench_run.py --sizes 800,4000         # a quick run
    python benchmarks/bench_run.py --only default,udf       # some measures
    python benchmarks/bench_run.py --json figures.json      # raw figures as well

Every figure is the median of ``--runs`` (default 3) fresh processes timed by hyperfine,
interpreter start-up and imports included, each starting from no output file and the
decision log an earlier run of the same command left (a re-run in the weekly cycle; restored
by hyperfine ``--prepare``; ``--fresh-log``: no log, a book's first run). Besides the
wall-clock median, the mean CPU time (user + system) is shown: on a shared machine the wall
clock waits for the CPU, the CPU time much less so.

* **default**: ``pysnop recalc BOOK -o OUT --log LOG`` — actions, the Actions and Review
  sheets and the decision log included (what a planner runs);
* **in-place**: ``pysnop recalc BOOK --log LOG`` where BOOK is the workbook an earlier run
  wrote (its Bridge, Actions and Review sheets in it) and LOG what that run left: the re-run
  a planner makes of the file pysnop keeps writing to (a ``.bak`` kept, as by default);
* **aged**: the in-place re-run with a log aged 50 weeks (benchmarks/age_log.py: a weekly
  run whose plan renews half its actions; about 245,000 decisions at 4,000) and the
  workbook a run with that log wrote;
* **no-actions**: the same with ``--no-actions`` (the bridge refresh);
* **network**: the default run of a 4,000 sku-location network workbook
  (``generate.py --network``: 2 DCs feeding 18 locations);
* **peak RSS**: the largest maximum resident set size of those runs (``/usr/bin/time -f %M``
  around each one);
* **import**: ``python -c "import pysnop.cli.main"`` and ``pysnop --help`` (start-up cost),
  plus the slowest imports from ``python -X importtime``;
* **udf**: ``benchmarks/bench_udf.py`` (=STOCKOUT_RISK over 4,000-row ranges in-process).

Workbooks come from benchmarks/generate.py, cached in ``--cache-dir`` (default
/tmp/pysnop-bench; 100k takes about 90 s to generate, once). The machine and its load average
(``uptime``: other jobs share it) are printed with the figures; ``--markdown`` prints only the
table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_bridge import workbook_for  # noqa: E402  (benchmarks/ is not a package)

SIZES = (800, 4_000, 10_000, 100_000)
NETWORK_SIZE = 4_000
MEASURES = ("default", "in-place", "aged", "no-actions", "network", "import", "udf")
AGED_WEEKS = 50  # the "aged" measure's log: a year of weekly runs (benchmarks/age_log.py)
BIN = Path(sys.executable).parent
# issue 16's targets for the default run (seconds), for the PASS / MISS column
TARGETS = {800: 0.9, 4_000: 1.6, 10_000: 3.5, 100_000: 25.0}
NETWORK_TARGET = 1.6
MEMORY_TARGET_MB = 2048  # at 100k


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return {"cpus": os.cpu_count(), "cpu": cpu, "ram": mem,
            "python": platform.python_version(), "platform": platform.platform()}


def hyperfine(command: str, runs: int, prepare: str | None = None,
              warmup: int = 0) -> dict:
    """Median, min, max and mean seconds of ``runs`` fresh runs of ``command``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hf.json"
        args = ["hyperfine", "--runs", str(runs), "--warmup", str(warmup), "--style", "none",
                "--export-json", str(out), "--shell", "bash"]
        if prepare:
            args += ["--prepare", prepare]
        before = load()
        subprocess.run([*args, command], check=True, stdout=subprocess.DEVNULL)
        r = json.loads(out.read_text())["results"][0]
    return {"median_s": r["median"], "min_s": r["min"], "max_s": r["max"],
            "mean_s": r["mean"], "times_s": r["times"], "cpu_s": r["user"] + r["system"],
            "load": f"{before}–{load()}"}


def time_run(book: Path, work: Path, runs: int, extra: str = "",
             fresh_log: bool = False) -> dict:
    """``pysnop recalc`` on ``book`` as a fresh process, ``runs`` times, with peak RSS.

    Each timed run finds the decision log one earlier run of the same command left (a
    re-run in the cycle: the log exists); with ``fresh_log`` there is none (a book's first
    run)."""
    out, log, rss = work / "out.xlsx", work / "out.pysnop.sqlite", work / "rss.txt"
    seed = work / "seed.pysnop.sqlite"
    pysnop = shlex.quote(str(BIN / "pysnop"))
    cmd = (f"/usr/bin/time -a -o {rss} -f %M {pysnop} recalc {shlex.quote(str(book))} "
           f"-o {out} --log {log} {extra}").strip()
    clean = f"rm -f {out} {log} {log}-journal {log}-wal"
    subprocess.run(clean, shell=True, check=True)
    if not fresh_log:  # one untimed run leaves the log every timed run starts from
        subprocess.run(cmd, shell=True, check=True, capture_output=True)
        shutil.copyfile(log, seed)
        clean += f" && cp {seed} {log}"
    rss.unlink(missing_ok=True)
    try:
        res = hyperfine(cmd, runs, prepare=clean)
    except subprocess.CalledProcessError:  # show why
        subprocess.run(clean, shell=True)
        check = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        raise RuntimeError(f"{cmd} failed ({check.returncode}):\n{check.stdout}\n"
                           f"{check.stderr}") from None
    kb = [int(x) for x in rss.read_text().split()]
    res["peak_rss_mb"] = max(kb) / 1024
    return res


def _time_rerun(seed_book: Path, seed_log: Path, work: Path, runs: int) -> dict:
    """``pysnop recalc`` in place of a copy of ``seed_book`` with a copy of ``seed_log``,
    ``runs`` times, each from those same files (a ``.bak`` kept, as by default)."""
    target, log, rss = work / "plan.xlsx", work / "plan.pysnop.sqlite", work / "rss.txt"
    pysnop = shlex.quote(str(BIN / "pysnop"))
    clean = (f"cp {seed_book} {target} && cp {seed_log} {log} && "
             f"rm -f {target}.bak {log}-journal {log}-wal")
    cmd = f"/usr/bin/time -a -o {rss} -f %M {pysnop} recalc {target} --log {log}"
    rss.unlink(missing_ok=True)
    res = hyperfine(cmd, runs, prepare=clean)
    res["peak_rss_mb"] = max(int(x) for x in rss.read_text().split()) / 1024
    return res


def _first_run(book: Path, out: Path, log: Path) -> None:
    for path in (out, log):
        path.unlink(missing_ok=True)
    subprocess.run([str(BIN / "pysnop"), "recalc", str(book), "-o", str(out), "--log",
                    str(log)], check=True, capture_output=True)


def time_in_place(book: Path, work: Path, runs: int) -> dict:
    """``pysnop recalc`` of the workbook an earlier run wrote, in place (its Bridge, Actions
    and Review sheets there, a ``.bak`` kept), with the log that run left: the weekly cycle's
    re-run as a planner makes it, ``runs`` times, each from that same workbook and log."""
    seed_book, seed_log = work / "seed-in-place.xlsx", work / "seed-in-place.pysnop.sqlite"
    _first_run(book, seed_book, seed_log)
    return _time_rerun(seed_book, seed_log, work, runs)


def time_aged(book: Path, work: Path, runs: int, weeks: int) -> dict:
    """:func:`time_in_place` with a decision log aged ``weeks`` weeks (benchmarks/age_log.py)
    and the workbook of a run made with it: the re-run in a log's second year."""
    seed_book, seed_log = work / "seed-aged.xlsx", work / "seed-aged.pysnop.sqlite"
    young = work / "young.pysnop.sqlite"
    _first_run(book, seed_book, young)
    seed_log.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(HERE / "age_log.py"), str(young), str(seed_log),
                    "--weeks", str(weeks)], check=True, capture_output=True)
    subprocess.run([str(BIN / "pysnop"), "recalc", str(seed_book), "--log", str(seed_log),
                    "--no-backup"], check=True, capture_output=True)
    return _time_rerun(seed_book, seed_log, work, runs)


def import_times(runs: int) -> dict:
    py = shlex.quote(sys.executable)
    res = {"import_cli": hyperfine(f"{py} -c 'import pysnop.cli.main'", runs, warmup=1),
           "help": hyperfine(f"{shlex.quote(str(BIN / 'pysnop'))} --help", runs, warmup=1)}
    # the slowest top-level imports (cumulative microseconds) of one run
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import pysnop.cli.main"],
                         capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) <= 7 and m.group(4) != "pysnop.cli.main":  # 3 levels
            rows.append((int(m.group(2)) / 1e6, m.group(4)))
    res["slowest"] = sorted(rows, reverse=True)[:12]
    return res


def udf_times(runs: int, cache: Path) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "bench_udf.py"), "--json", "-",
                          "--runs", str(max(runs, 5)), "--cache-dir", str(cache)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def table(fig: dict) -> str:
    lines = ["| measure | sku-locations | median (wall) | runs (s) | CPU (user+sys) | peak RSS "
             "| target | load (1 min) |",
             "|---|---:|---:|---|---:|---:|---|---|"]

    def row(name, n, r, target=None, rss=True):
        times = ", ".join(f"{t:.2f}" for t in r["times_s"])
        verdict = "—"
        if target is not None:
            verdict = f"≤ {s(target)} {'PASS' if r['median_s'] <= target else 'MISS'}"
        mem = f"{r['peak_rss_mb']:,.0f} MB" if rss and "peak_rss_mb" in r else "—"
        lines.append(f"| {name} | {n} | **{s(r['median_s'])}** | {times} | {s(r['cpu_s'])} "
                     f"| {mem} | {verdict} | {r['load']} |")

    for n, r in fig.get("default", {}).items():
        row("default run (`pysnop recalc`)", f"{int(n):,}", r, TARGETS.get(int(n)))
    for n, r in fig.get("in-place", {}).items():
        row("re-run in place (the workbook a run wrote)", f"{int(n):,}", r, TARGETS.get(int(n)))
    for n, r in fig.get("aged", {}).items():
        row(f"re-run in place, log aged {AGED_WEEKS} weeks", f"{int(n):,}", r)
    for n, r in fig.get("no-actions", {}).items():
        row("`--no-actions`", f"{int(n):,}", r)
    if "network" in fig:
        row("default run, network (2 DCs)", f"{NETWORK_SIZE:,}", fig["network"], NETWORK_TARGET)
    if "udf" in fig:
        u = fig["udf"]
        cached = ", ".join(f"{t:.3f}" for t in u["cached_times_s"])
        lines.append(f"| =STOCKOUT_RISK warm, unchanged ranges (cached) | {u['n']:,} | "
                     f"**{s(u['cached_s'])}** | {cached}"
                     f" | {s(u['cached_cpu_s'])} | — | ≤ 150 ms "
                     f"{'PASS' if u['cached_s'] <= 0.15 else 'MISS'} | {u['load']} |")
        lines.append(f"| =STOCKOUT_RISK warm, a changed cell (computed) | {u['n']:,} | "
                     f"**{s(u['uncached_s'])}** | "
                     f"{', '.join(f'{t:.3f}' for t in u['uncached_times_s'])} "
                     f"| {s(u['uncached_cpu_s'])} | — | — "
                     f"| {u['load']} |")
        lines.append(f"| =STOCKOUT_RISK first call (cold, imports done) | {u['n']:,} | "
                     f"{s(u['cold_s'])} | — | — | — | — | {u['load']} |")
    if "import" in fig:
        i = fig["import"]
        row("`python -c 'import pysnop.cli.main'`", "—", i["import_cli"], rss=False)
        row("`pysnop --help` (start-up)", "—", i["help"], rss=False)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)),
                    help="sku-locations for the default and --no-actions runs")
    ap.add_argument("--only", default=",".join(MEASURES),
                    help=f"comma-separated subset of {', '.join(MEASURES)}")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/pysnop-bench"))
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    ap.add_argument("--fresh-log", action="store_true",
                    help="time a book's first run (no decision log yet) instead of a re-run")
    ap.add_argument("--markdown", action="store_true", help="print only the table")
    args = ap.parse_args()
    if not shutil.which("hyperfine"):
        sys.exit("hyperfine is needed (apt-get install hyperfine)")
    sizes = [int(x) for x in args.sizes.split(",") if x]
    only = set(args.only.split(","))
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    fig: dict = {"machine": machine()}

    def note(msg: str) -> None:
        if not args.markdown:
            print(msg, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="pysnop-bench-run-") as tmp:
        work = Path(tmp)
        for measure, extra in (("default", ""), ("no-actions", "--no-actions")):
            if measure not in only:
                continue
            fig[measure] = {}
            for n in sizes:
                book = workbook_for(n, args.cache_dir)
                note(f"{measure} {n:,} … (load {load()})")
                fig[measure][n] = time_run(book, work, args.runs, extra, args.fresh_log)
                note(f"  median {s(fig[measure][n]['median_s'])}")
        if "in-place" in only:
            fig["in-place"] = {}
            for n in sizes:
                note(f"in-place {n:,} … (load {load()})")
                fig["in-place"][n] = time_in_place(workbook_for(n, args.cache_dir), work,
                                                   args.runs)
                note(f"  median {s(fig['in-place'][n]['median_s'])}")
        if "aged" in only:
            fig["aged"] = {}
            for n in sizes:
                note(f"aged {n:,} … (load {load()})")
                fig["aged"][n] = time_aged(workbook_for(n, args.cache_dir), work, args.runs,
                                           AGED_WEEKS)
                note(f"  median {s(fig['aged'][n]['median_s'])}")
        if "network" in only:
            note(f"network {NETWORK_SIZE:,} … (load {load()})")
            fig["network"] = time_run(workbook_for(NETWORK_SIZE, args.cache_dir, network=True),
                                      work, args.runs, fresh_log=args.fresh_log)
        if "udf" in only:
            note(f"udf … (load {load()})")
            fig["udf"] = udf_times(args.runs, args.cache_dir)
        if "import" in only:
            note(f"import … (load {load()})")
            fig["import"] = import_times(max(args.runs, 5))

    m = fig["machine"]
    header = (f"Machine: {m['cpus']} cores, {m['cpu']}, {m['ram']} RAM, Python {m['python']}; "
              f"median of {args.runs} fresh processes (hyperfine); load average as measured.")
    print(header + "\n\n" + table(fig))
    if "import" in fig and not args.markdown:
        print("\nslowest imports (cumulative, one run):")
        for sec, mod in fig["import"]["slowest"]:
            print(f"  {sec:6.3f} s  {mod}")
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2, default=str))


if __name__ == "__main__":
    main()
