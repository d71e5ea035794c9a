"""Recalculate many workbooks at once: worker processes here, or a Dask cluster.

    >>> from pysnop.operations.batch import Job, run_batch
    >>> summaries = run_batch([Job("east.xlsx"), Job("west.xlsx")])          # local processes
    >>> summaries = run_batch(jobs, scheduler="tcp://10.0.0.5:8786")          # Dask distributed

Each workbook is one task: :func:`recalc_one` calls :func:`pysnop.pipeline.run.recalc` and returns a
small picklable :class:`BookSummary` (counts, warnings count, timings, error messages) — the
workbook itself is read and written by the worker, so on a cluster every worker must see the
same paths (a shared drive) and have pysnop installed. A task never raises: a workbook with
errors, or an internal failure, comes back as a summary with ``ok=False``.

Locally, ``workers`` defaults to ``min(len(jobs), os.cpu_count())`` processes
(:class:`concurrent.futures.ProcessPoolExecutor`, ``forkserver`` on Linux so a worker starts
from a clean process with pysnop pre-imported; ``spawn`` elsewhere). One job or
``workers=1`` runs in this process.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from pysnop.errors import PysnopError
from pysnop.pipeline.run import recalc

MAX_MESSAGES = 60  # error lines carried back per workbook
CONNECT_TIMEOUT = "20s"  # to reach a Dask scheduler


@dataclass(frozen=True)
class Job:
    """One workbook to recalculate, with :func:`pysnop.pipeline.run.recalc`'s arguments."""

    book: str
    output: str | None = None
    as_of: dt.date | None = None
    export_dir: str | None = None
    backup: bool = True
    actions: bool = True  # False: bridge only (no Actions sheet, no decision log)


@dataclass
class BookSummary:
    """What came back from one workbook (small and picklable)."""

    book: str
    output: str | None = None
    ok: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    sku_locations: int = 0
    warnings: int = 0
    warning_messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # located messages, at most MAX_MESSAGES
    error_count: int = 0
    internal: bool = False  # a bug, not a problem of the workbook
    timings: dict[str, float] = field(default_factory=dict)
    exported: list[str] = field(default_factory=list)
    worker: str = ""


def recalc_one(job: Job) -> BookSummary:
    """Run one workbook; never raises (the summary says what went wrong)."""
    started = time.perf_counter()
    summary = BookSummary(book=str(job.book), worker=f"{platform.node()}:{os.getpid()}")
    try:
        report = recalc(job.book, output=job.output, as_of=job.as_of,
                            export_dir=job.export_dir, backup=job.backup,
                            actions=job.actions)
    except PysnopError as exc:
        problems = exc.problems
        summary.error_count = len(problems)
        summary.errors = [str(p) for p in problems[:MAX_MESSAGES]]
    except Exception as exc:  # a bug: reported in one line, the batch goes on
        summary.internal = True
        summary.error_count = 1
        summary.errors = [f"internal error: {type(exc).__name__}: {exc}"]
    else:
        summary.ok = True
        summary.output = str(report.output) if report.output is not None else None
        summary.counts = dict(report.counts)
        summary.sku_locations = len(report.result.summary)
        summary.warnings = len(report.warnings)
        summary.warning_messages = [str(p) for p in report.warnings[:MAX_MESSAGES]]
        summary.timings = {k: float(v) for k, v in report.timings.items()}
        summary.exported = [str(p) for p in report.exported]
    summary.timings.setdefault("total", time.perf_counter() - started)
    return summary


def default_workers(n_jobs: int) -> int:
    return max(1, min(n_jobs, os.cpu_count() or 1))


def _context():
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["pysnop.pipeline.run", "pysnop.operations.batch"])
        return ctx
    return mp.get_context("spawn")


def run_batch(jobs: Sequence[Job], *, workers: int | None = None, scheduler: str | None = None,
              on_done: Callable[[BookSummary], None] | None = None) -> list[BookSummary]:
    """Recalculate every job; returns the summaries in the order of ``jobs``.

    ``scheduler``: a Dask distributed scheduler address (``tcp://host:8786``) or a
    ``distributed.Client``; without it, local worker processes. ``on_done`` is called in this
    process as each workbook finishes (e.g. to advance a progress bar).
    """
    jobs = list(jobs)
    if not jobs:
        return []
    if scheduler is not None:
        return _run_dask(jobs, scheduler, on_done)
    n = default_workers(len(jobs)) if workers is None else max(1, int(workers))
    n = min(n, len(jobs))
    results: list[BookSummary | None] = [None] * len(jobs)
    if n == 1:
        done = [recalc_one(job) for job in jobs]
        if on_done:
            for summary in done:
                on_done(summary)
        return done
    with ProcessPoolExecutor(max_workers=n, mp_context=_context()) as pool:
        futures = {pool.submit(recalc_one, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i = futures[future]
            summary = results[i] = _result(future, jobs[i])
            if on_done:
                on_done(summary)
    return [s for s in results if s is not None]


def _result(future, job: Job) -> BookSummary:
    try:
        return future.result()
    except Exception as exc:  # the worker died (killed, out of memory) or could not unpickle
        return BookSummary(book=str(job.book), internal=True, error_count=1,
                           errors=[f"the worker process failed: {type(exc).__name__}: {exc}"])


def _run_dask(jobs: list[Job], scheduler, on_done) -> list[BookSummary]:
    try:
        # an optional dependency (the ``cluster`` extra), and slow to import
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PysnopError("running on a Dask cluster needs the distributed package: "
                          "pip install 'dask[distributed]'") from exc
    own = not hasattr(scheduler, "submit")
    client = Client(scheduler, timeout=CONNECT_TIMEOUT) if own else scheduler
    try:
        futures = [client.submit(recalc_one, job, pure=False) for job in jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[BookSummary | None] = [None] * len(jobs)
        for future in dask_completed(futures):
            i = index[future.key]
            results[i] = _result(future, jobs[i])
            if on_done:
                on_done(results[i])
        return results  # type: ignore[return-value]
    finally:
        if own:
            client.close()


def plan_jobs(books: Iterable[str | os.PathLike], *, output: str | os.PathLike | None = None,
              as_of: dt.date | None = None, export_dir: str | os.PathLike | None = None,
              backup: bool = True, actions: bool = True) -> list[Job]:
    """Jobs for several books, as ``pysnop recalc A.xlsx B.xlsx -o DIR --export DIR`` does.

    ``output`` is a directory (each book keeps its file name there); ``export_dir`` gets one
    sub-directory per book (its file stem). Two books that would write the same output or
    export directory raise :class:`pysnop.errors.PysnopError` before anything runs.
    """
    jobs: list[Job] = []
    seen_out: dict[Path, Path] = {}
    seen_exp: dict[Path, Path] = {}
    for book in books:
        book = Path(book)
        dest = Path(output) / book.name if output is not None else None
        export = Path(export_dir) / book.stem if export_dir is not None else None
        target = (dest or book).resolve()
        if target in seen_out:
            raise PysnopError(f"{seen_out[target]} and {book} would both be written to "
                              f"{dest or book}; give them different names")
        seen_out[target] = book
        if export is not None:
            key = export.resolve()
            if key in seen_exp:
                raise PysnopError(f"{seen_exp[key]} and {book} would both export to {export}; "
                                  f"give them different names")
            seen_exp[key] = book
        jobs.append(Job(str(book), str(dest) if dest else None, as_of,
                        str(export) if export else None, backup, actions))
    return jobs
