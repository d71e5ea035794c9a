"""The command line's preload (pysnop.workbook.read.preload): a book parsed on a thread while
pysnop imports is read exactly as one read afresh; a preload that failed, or of a file that
changed since, is not used, and errors are the reader's own."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest

from pysnop.errors import FileAccessError, LayoutError
from pysnop.workbook.book import FileBook
from pysnop.workbook.read import grid, preload
from pysnop.workbook.read.reader import read_plan

INV = [["sku", "location", "on_hand"], ["A", "S01", 10], ["B", "S01", 4]]
FC = [["sku", "location", "week", "units"], ["A", "S01", dt.date(2026, 12, 7), 5],
      ["B", "S01", dt.date(2026, 12, 7), 3]]


def frames(result):
    inputs = result.inputs
    return {name: getattr(inputs, name) for name in ("inventory", "forecast", "campaigns")}


def test_a_preloaded_book_reads_as_one_read_afresh(make_book, monkeypatch):
    path = make_book({"Inventory": INV, "Forecast": FC})
    afresh = read_plan(FileBook(path))
    preload.start(path)
    preload._started[path.resolve()].result()  # parsed (and checked) on its thread

    def not_again(_path):
        raise AssertionError("the reader opened the file itself")

    monkeypatch.setattr(grid, "check_package", not_again)  # what a fresh open does first
    taken = read_plan(FileBook(path))
    for name, frame in frames(afresh).items():
        pd.testing.assert_frame_equal(frames(taken)[name], frame)
    assert preload.take(path) is None  # taken once: the reader's own copy now


def test_a_file_changed_after_its_preload_is_read_afresh(make_book):
    path = make_book({"Inventory": INV, "Forecast": FC})
    preload.start(path)
    assert preload.take(path) is not None  # finished and fine
    preload.start(path)
    changed = make_book({"Inventory": INV[:2], "Forecast": FC[:2]}, name="changed.xlsx")
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.replace(changed, path)
    os.utime(path, ns=(later, later))
    assert preload.take(path) is None
    preload.start(path)
    assert len(read_plan(FileBook(path)).inputs.inventory) == 1  # the file as it is now


def test_errors_are_the_readers_own(tmp_path, make_book):
    missing = tmp_path / "missing.xlsx"
    preload.start(missing)
    with pytest.raises(FileAccessError, match="file not found"):
        read_plan(FileBook(missing))
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a zip")
    preload.start(garbage)
    with pytest.raises(LayoutError, match="not an Excel workbook"):
        read_plan(FileBook(garbage))


def test_only_the_sheets_a_run_reads_are_parsed_ahead(make_book):
    """A re-run in place meets pysnop's own output sheets (a 100,000-row Bridge) and the
    planner's own; only the inputs, Actions and Approvers are parsed (and held) ahead."""
    path = make_book({"Inventory": INV, "Forecast": FC, "Bridge": [["sku"], ["A"]],
                      "Actions": [["action_id", "status"]], "My notes": [["x"]],
                      "Approvers": [["name", "function"]]})
    preload.start(path)
    parsed = preload.take(path)
    assert parsed is not None
    assert set(parsed.sheets) == {"Inventory", "Forecast", "Actions", "Approvers"}
