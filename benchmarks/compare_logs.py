"""Do two versions of pysnop write the same decision log? Table by table, digest by digest.

    python benchmarks/compare_logs.py make DIR [--src SRC] [--books a.xlsx,b.xlsx]
    python benchmarks/compare_logs.py compare BEFORE_DIR AFTER_DIR
    python benchmarks/compare_logs.py digests LOG.sqlite [LOG.sqlite ...]

``make`` runs ``pysnop recalc`` on each bench book three times, as a planner's weeks go: a
first run with a fresh log (``--as-of 2026-11-18``), a re-run of the workbook it wrote
(its Actions sheet read back against the log), and next week's run of that one
(``--as-of 2026-11-25``: proposals made obsolete, a new forecast cycle recorded), with the
pysnop of ``--src`` (a source tree put first on ``PYTHONPATH``; default: the installed
one). It keeps the log after each run (``NAME-1.sqlite`` … ``NAME-3.sqlite``) and the last
workbook (``NAME.xlsx``, for ``pysnop log verify NAME.xlsx --log NAME-3.sqlite``). The
runs write in one scratch folder (:data:`SCRATCH`) whichever the version, as the log
records the workbook's path: run two ``make`` one after the other, not at once.

``compare`` compares the logs of two such folders, table by table, every row in rowid order
and every value with its type. What carries the clock or a random id is set aside, and
listed in :data:`SET_ASIDE`: the time of each run, decision, export, forecast record and
chain entry, the log's id and start time, the chain's links (``prev`` / ``hash``, which
hash those times), and a run's hash of the workbook it read (after the first run, the
workbook the run before wrote, which holds its time). A run's chain ``digest`` hashes the
run's time too, so it is checked the other way: ``digests`` recomputes every entry's
digest with the pysnop it runs on (``PYTHONPATH``) and checks it equals the one sealed;
run with the other version's source, it checks that each version computes the digests
the other sealed. Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

BOOKS = ("/tmp/pysnop-bench/bench-800x8.xlsx", "/tmp/pysnop-bench/bench-4000x8.xlsx",
         "/tmp/pysnop-bench/bench-net-4000x8.xlsx")
RUNS = (("2026-11-18", 1), ("2026-11-18", 2), ("2026-11-25", 3))  # (as-of, run)
SCRATCH = Path("/tmp/pysnop-compare-logs")
SET_ASIDE = {  # table -> columns holding a clock time, a random id, or hashes of those
    # a run's fingerprint is the sha256 of the workbook it read: after the first run, the
    # workbook the run before wrote, which holds the time it was written
    "runs": {"at", "fingerprint"}, "decisions": {"at"}, "exports": {"at"}, "forecast_runs": {"at"},
    "log_info": {"log_id", "created_at"}, "chain": {"at", "prev", "hash", "digest"},
}


def make(folder: Path, src: str | None, books: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir(parents=True)
    for book in books:
        name = Path(book).stem
        log = SCRATCH / f"{name}.sqlite"
        source = Path(book)
        for as_of, run in RUNS:
            target = SCRATCH / f"{name}-{run}.xlsx"
            # run from the scratch folder: `python -m` puts the working folder first on the
            # path, and from the repository that would be its pysnop, not --src's
            subprocess.run([sys.executable, "-m", "pysnop.cli.main", "recalc", str(source),
                            "-o", str(target), "--log", str(log), "--as-of", as_of],
                           env=env, check=True, capture_output=True, cwd=SCRATCH)
            shutil.copy(log, folder / f"{name}-{run}.sqlite")
            source = target
        shutil.copy(source, folder / f"{name}.xlsx")  # stamped with the log's last entry
    shutil.rmtree(SCRATCH)


def typed(value: object) -> tuple[str, object]:
    return (type(value).__name__, value)


def unpacked(table: str, name: str, value: object) -> object:
    """The plan's cover as the JSON it packs (its zlib level may differ between versions:
    the bytes stored then differ, what they hold must not)."""
    if table == "plan_cover" and name == "data" and isinstance(value, str):
        return zlib.decompress(base64.b64decode(value)).decode("utf-8")
    return value


def compare_logs(a: Path, b: Path) -> list[str]:
    da, db_ = sqlite3.connect(a), sqlite3.connect(b)
    out = []
    tables = sorted(r[0] for r in da.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"))
    other = sorted(r[0] for r in db_.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"))
    if tables != other:
        out.append(f"tables differ: {tables} / {other}")
    for kind in ("table", "index", "trigger"):
        sa = {r[0]: r[1] for r in da.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = ?", (kind,))}
        sb = {r[0]: r[1] for r in db_.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = ?", (kind,))}
        if sa != sb:
            out.append(f"schema ({kind}s) differs")
    for pragma in ("user_version",):
        if da.execute(f"PRAGMA {pragma}").fetchone() != db_.execute(
                f"PRAGMA {pragma}").fetchone():
            out.append(f"PRAGMA {pragma} differs")
    for table in sorted(set(tables) & set(other)):
        names = [r[1] for r in da.execute(f"PRAGMA table_info({table})")]
        kept = [n for n in names if n not in SET_ASIDE.get(table, set())]
        cols = ", ".join(f'"{n}"' for n in kept)
        ra = [tuple(typed(unpacked(table, n, v)) for n, v in zip(kept, r)) for r in da.execute(
            f"SELECT {cols} FROM {table} ORDER BY rowid")]
        rb = [tuple(typed(unpacked(table, n, v)) for n, v in zip(kept, r)) for r in db_.execute(
            f"SELECT {cols} FROM {table} ORDER BY rowid")]
        if ra != rb:
            first = next((i for i, (x, y) in enumerate(zip(ra, rb)) if x != y),
                         min(len(ra), len(rb)))
            out.append(f"{table}: {len(ra)} / {len(rb)} rows, first difference at row {first}")
        else:
            print(f"  {table}: {len(ra)} rows equal"
                  + (f" (set aside: {', '.join(sorted(SET_ASIDE[table]))})"
                     if table in SET_ASIDE else ""))
    return out


def check_digests(path: Path) -> list[str]:
    from pysnop.store import chain  # the pysnop on PYTHONPATH
    db = sqlite3.connect(path)
    out = []
    n = 0
    for seq, kind, ref, sealed in db.execute("SELECT seq, kind, ref, digest FROM chain "
                                             "ORDER BY seq"):
        n += 1
        if chain.digest(db, kind, ref) != sealed:
            out.append(f"{path}: entry {seq} ({kind} {ref}): digest differs")
    print(f"  {path.name}: {n} entries, digests recomputed by {chain.__file__}: "
          f"{'equal' if not out else 'DIFFERENT'}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("folder", type=Path)
    m.add_argument("--src")
    m.add_argument("--books", default=",".join(BOOKS))
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    d = sub.add_parser("digests")
    d.add_argument("logs", type=Path, nargs="+")
    args = parser.parse_args()
    problems: list[str] = []
    if args.command == "make":
        make(args.folder, args.src, args.books.split(","))
    elif args.command == "compare":
        for log in sorted(args.before.glob("*-[0-9].sqlite")):
            print(log.name)
            problems += [f"{log.name}: {p}" for p in compare_logs(log, args.after / log.name)]
    else:
        for log in args.logs:
            problems += check_digests(log)
    for p in problems:
        print("DIFFERENT:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
