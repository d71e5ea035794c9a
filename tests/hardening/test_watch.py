"""``pysnop watch``: debounced runs on save, waiting while Excel holds the file, no loop on
pysnop's own writes. A fake clock drives the watcher; files are real."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
from hardening_helpers import build_fast, valid_sheets

from pysnop.operations.watch import Watcher, held_by_other, watch


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


_stamp = [1_700_000_000_000_000_000]


def save(path: Path, data: bytes | None = None) -> None:
    """A user's save: new bytes (or the same) and a distinct mtime."""
    if data is None:
        data = build_fast(path.with_suffix(".tmpbuild.xlsx"), valid_sheets()).read_bytes()
        path.with_suffix(".tmpbuild.xlsx").unlink()
    path.write_bytes(data)
    _stamp[0] += 1_000_000_000
    os.utime(path, ns=(_stamp[0], _stamp[0]))


def test_saves_are_debounced_into_one_run(tmp_path):
    book = build_fast(tmp_path / "plan.xlsx", valid_sheets())
    clock, runs = Clock(), []
    w = Watcher([book], run=runs.append, debounce=2.0, clock=clock)
    assert w.poll() == [] and runs == []  # nothing saved yet: nothing to do
    save(book)
    w.poll()  # change seen at t=1000
    clock.now += 1.0
    save(book)  # a second write of the same save
    w.poll()  # change seen at t=1001
    clock.now += 1.5
    w.poll()
    assert runs == []  # only 1.5 s since the last write
    clock.now += 0.6
    events = w.poll()
    assert runs == [book] and [e.kind for e in events] == ["done"]
    for _ in range(5):
        clock.now += 10
        w.poll()
    assert runs == [book]


def test_waits_while_excel_holds_the_file(tmp_path):
    book = build_fast(tmp_path / "plan.xlsx", valid_sheets())
    lock = tmp_path / "~$plan.xlsx"
    clock, runs, events = Clock(), [], []
    w = Watcher([book], run=runs.append, debounce=1.0, clock=clock, on_event=events.append)
    lock.write_bytes(b"owner")
    save(book)
    w.poll()
    for _ in range(4):
        clock.now += 5
        w.poll()
    assert runs == []
    waiting = [e for e in events if e.kind == "waiting"]
    assert len(waiting) == 1 and "open in Excel (~$plan.xlsx exists)" in waiting[0].message
    lock.unlink()
    clock.now += 1
    w.poll()
    assert runs == [book]


def test_long_names_use_excels_shortened_lock_name(tmp_path):
    book = build_fast(tmp_path / "regional-plan.xlsx", valid_sheets())
    (tmp_path / "~$gional-plan.xlsx").write_bytes(b"owner")
    assert "open in Excel" in held_by_other(book)


def test_waits_while_the_file_is_half_written(tmp_path):
    book = build_fast(tmp_path / "plan.xlsx", valid_sheets())
    good = book.read_bytes()
    clock, runs = Clock(), []
    w = Watcher([book], run=runs.append, debounce=1.0, clock=clock)
    save(book, good[: len(good) // 2])  # a copy in progress, stalled
    w.poll()
    clock.now += 5
    assert [e.kind for e in w.poll()] == ["waiting"] and runs == []
    save(book, good)
    w.poll()
    clock.now += 1.5
    w.poll()
    assert runs == [book]


def test_pysnops_own_write_does_not_trigger_another_run(tmp_path):
    book = build_fast(tmp_path / "plan.xlsx", valid_sheets())
    clock, events = Clock(), []
    w = Watcher([book], debounce=0.5, clock=clock, on_event=events.append)  # real recalc
    save(book)
    w.poll()
    clock.now += 1
    w.poll()
    assert w.runs == 1 and events[-1].kind == "done", events[-1].message
    assert "Bridge" in openpyxl.load_workbook(book, read_only=True).sheetnames
    for _ in range(5):
        clock.now += 3
        w.poll()
    assert w.runs == 1  # no loop
    save(book, book.read_bytes())  # the planner saves again
    w.poll()
    clock.now += 1
    w.poll()
    assert w.runs == 2


def test_a_failed_run_is_reported_once_and_waits_for_the_next_save(tmp_path):
    sheets = valid_sheets()
    sheets["Inventory"][1][2] = "n/a"
    book = build_fast(tmp_path / "plan.xlsx", sheets)
    clock, events = Clock(), []
    w = Watcher([book], debounce=0.5, clock=clock, on_event=events.append)
    save(book, book.read_bytes())
    w.poll()
    for _ in range(4):
        clock.now += 2
        w.poll()
    failed = [e for e in events if e.kind == "failed"]
    assert len(failed) == 1 and 'Inventory!C2 (on_hand): expected a number, got "n/a"' in \
        failed[0].message
    assert w.runs == 1


def test_a_folder_is_watched_for_new_workbooks_without_backups_or_lock_files(tmp_path):
    clock, runs = Clock(), []
    w = Watcher([tmp_path], run=runs.append, debounce=0.5, clock=clock)
    book = build_fast(tmp_path / "east.xlsx", valid_sheets())
    (tmp_path / "east.xlsx.bak").write_bytes(book.read_bytes())
    (tmp_path / "~$east.xlsx").write_bytes(b"x")
    (tmp_path / ".~pysnop-abc.xlsx.tmp").write_bytes(b"x")
    w.poll()
    clock.now += 1
    w.poll()
    assert runs == []  # Excel has east.xlsx open
    (tmp_path / "~$east.xlsx").unlink()
    clock.now += 1
    w.poll()
    assert runs == [tmp_path / "east.xlsx"]


def test_the_watch_loop_stops_and_sleeps_between_polls(tmp_path):
    book = build_fast(tmp_path / "plan.xlsx", valid_sheets())
    clock, runs, sleeps = Clock(), [], []

    def sleep(seconds):
        sleeps.append(seconds)
        clock.now += seconds
        if len(sleeps) == 1:
            save(book)

    w = watch([book], interval=0.25, debounce=0.5, run=runs.append, clock=clock, sleep=sleep,
              should_stop=lambda: len(sleeps) >= 8)
    assert runs == [book] and w.runs == 1 and set(sleeps) == {0.25}


def test_the_watch_command_registers_on_a_click_group(tmp_path):
    import click
    from click.testing import CliRunner

    from pysnop.cli.batch import register

    @click.group()
    def group():
        pass

    register(group)
    runner = CliRunner()
    result = runner.invoke(group, ["watch", "--help"])
    assert result.exit_code == 0 and "--debounce" in result.output
    result = runner.invoke(group, ["watch", str(tmp_path / "missing.xlsx")])
    assert result.exit_code == 2 and "does not exist" in result.output
