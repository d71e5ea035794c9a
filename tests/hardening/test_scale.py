"""Scale: several workbooks in parallel worker processes, or on a Dask cluster."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import openpyxl
import pytest
from hardening_helpers import build_fast, digest, valid_sheets
from rich.console import Console

from pysnop.cli.batch import run_books
from pysnop.operations.batch import BookSummary, Job, plan_jobs, recalc_one, run_batch


def _books(tmp_path: Path, n=3, bad: int | None = None) -> list[Path]:
    books = []
    for i in range(n):
        sheets = valid_sheets()
        sheets["Inventory"][1][2] = 10 + 30 * i
        if i == bad:
            sheets["Inventory"][2][2] = "n/a"
        books.append(build_fast(tmp_path / f"region{i}.xlsx", sheets))
    return books


def test_a_summary_is_small_and_picklable(tmp_path):
    book = _books(tmp_path, 1)[0]
    summary = recalc_one(Job(str(book)))
    assert summary.ok and summary.counts and summary.sku_locations == 3
    assert len(pickle.dumps(summary)) < 4000
    bad = recalc_one(Job(str(tmp_path / "missing.xlsx")))
    assert not bad.ok and not bad.internal and "file not found" in bad.errors[0]


def test_books_run_in_parallel_worker_processes(tmp_path):
    books = _books(tmp_path, 3, bad=1)
    bad_before = digest(books[1])
    out = tmp_path / "out"
    out.mkdir()
    seen = []
    summaries = run_batch(plan_jobs(books, output=out), workers=2, on_done=seen.append)
    assert [Path(s.book).name for s in summaries] == [b.name for b in books]  # input order
    assert len(seen) == 3
    ok = [s for s in summaries if s.ok]
    assert len(ok) == 2 and all((out / Path(s.book).name).exists() for s in ok)
    pids = {s.worker.rsplit(":", 1)[1] for s in summaries}
    assert str(os.getpid()) not in pids and 1 <= len(pids) <= 2
    failed = summaries[1]
    assert not failed.ok and failed.error_count == 1
    assert failed.errors == ['Inventory!C3 (on_hand): expected a number, got "n/a"']
    assert digest(books[1]) == bad_before and not (out / books[1].name).exists()


def test_run_books_prints_progress_and_a_summary_table(tmp_path):
    books = _books(tmp_path, 3, bad=2)
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=False)
    code = run_books(books, tmp_path / "results", None, tmp_path / "csv", True, 2, None,
                     console)
    text = buffer.getvalue()
    assert code == 1
    assert "region2.xlsx: Inventory!C3 (on_hand): expected a number" in text
    assert "2 of 3 workbooks written" in text
    assert (tmp_path / "csv" / "region0" / "bridge.csv").exists()
    assert code == run_books(books[:2], tmp_path / "results", None, None, True, None, None,
                             console) + 1
    # usage errors
    assert run_books(books, tmp_path / "x.xlsx", None, None, True, None, None, console) == 2
    assert run_books([books[0], tmp_path / "other" / books[0].name], tmp_path / "r", None,
                     None, True, None, None, console) == 2


@pytest.mark.slow
def test_books_run_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    books = _books(tmp_path, 3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        done = []
        summaries = run_batch(plan_jobs(books), scheduler=cluster.scheduler_address,
                              on_done=done.append)
        assert len(done) == 3
        assert all(s.ok for s in summaries), [s.errors for s in summaries]
        assert all(isinstance(s, BookSummary) for s in summaries)
        pids = {s.worker.rsplit(":", 1)[1] for s in summaries}
        assert str(os.getpid()) not in pids
        buffer = io.StringIO()
        code = run_books(books, None, None, None, False, None, cluster.scheduler_address,
                         Console(file=buffer, width=160))
        assert code == 0 and "3 of 3 workbooks written" in buffer.getvalue()
    for book in books:
        assert "Bridge" in openpyxl.load_workbook(book, read_only=True).sheetnames


def test_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("pysnop.operations.batch.CONNECT_TIMEOUT", "2s")
    books = _books(tmp_path, 2)
    buffer = io.StringIO()
    code = run_books(books, None, None, None, True, None, "tcp://127.0.0.1:9", Console(
        file=buffer, width=160))
    assert code == 1 and "Traceback" not in buffer.getvalue()
    assert "scheduler" in buffer.getvalue()
