"""Faults: a run killed at any moment, a workbook changed by someone else meanwhile, a locked
or read-only file or folder, a full disk. The workbook is always either the original bytes or
the complete new version, and every failure is one clear line."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from hardening_helpers import build_fast, digest, files, listing, openable, valid_sheets

import pysnop
from pysnop.errors import FileAccessError
from pysnop.workbook import writer
from pysnop.workbook.ooxml import atomic

KILLS = 50


def _book(tmp_path: Path, name="plan.xlsx") -> Path:
    return build_fast(tmp_path / name, valid_sheets())


def _run_cli(path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pysnop", "recalc", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=path.parent)


def _temps(directory: Path) -> list[str]:
    return [n for n in listing(directory) if n.startswith(atomic.TEMP_PREFIX)]


@pytest.mark.slow
def test_a_run_killed_at_random_points_leaves_old_or_new_never_broken(tmp_path):
    (tmp_path / "orig").mkdir()
    original_bytes = _book(tmp_path / "orig").read_bytes()

    # complete runs, two at a time as below: their duration spreads the kill points, their
    # result is "the new version"
    runs = []
    for i in range(2):
        d = tmp_path / f"done{i}"
        d.mkdir()
        (d / "plan.xlsx").write_bytes(original_bytes)
        runs.append(d / "plan.xlsx")
    started = time.perf_counter()
    procs = [_run_cli(book) for book in runs]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    duration = time.perf_counter() - started
    done = runs[0]
    new_sheets = set(_sheetnames(done))
    assert "Bridge" in new_sheets

    rng = random.Random(7)
    outcomes = {"old": 0, "new": 0}
    leftovers = 0

    def one(i: int) -> tuple[str, int]:
        d = tmp_path / f"k{i}"
        d.mkdir()
        book = d / "plan.xlsx"
        book.write_bytes(original_bytes)
        delay = rng.uniform(0.3, 1.15) * duration
        p = _run_cli(book)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
        data = book.read_bytes()
        openable(book)  # always a sound workbook
        if data == original_bytes:
            kind = "old"
        else:
            assert set(_sheetnames(book)) == new_sheets  # the complete new version
            kind = "new"
        bak = book.with_name(book.name + ".bak")
        if bak.exists():
            assert bak.read_bytes() == original_bytes  # the backup is whole or absent
        return kind, len(_temps(d))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for kind, temps in pool.map(one, range(KILLS)):
            outcomes[kind] += 1
            leftovers += temps
    assert sum(outcomes.values()) == KILLS and outcomes["old"] > 0
    # a SIGKILL can leave pysnop's temp file (never the workbook) behind; it is named so
    # Excel and pysnop ignore it
    print(f"killed {KILLS} runs over {duration:.2f} s: {outcomes}, temp files left {leftovers}")


def _sheetnames(path: Path) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb.sheetnames
    finally:
        wb.close()


# ------------------------------------------------------------- changed by someone else

def test_a_workbook_saved_by_someone_else_during_the_run_is_not_overwritten(tmp_path,
                                                                                monkeypatch):
    book = _book(tmp_path)
    theirs = build_fast(tmp_path / "theirs.xlsx", {**valid_sheets(), "Their notes": [["x"]]})
    their_bytes = theirs.read_bytes()
    theirs.unlink()
    real_save = writer.atomic_write

    def save_meanwhile(dest, write, **kwargs):
        book.write_bytes(their_bytes)  # Excel saved while pysnop was rendering
        return real_save(dest, write, **kwargs)

    monkeypatch.setattr(writer, "atomic_write", save_meanwhile)
    names = files(tmp_path)
    with pytest.raises(FileAccessError, match="changed by someone else since pysnop read it; "
                                              "nothing written"):
        pysnop.recalc(book)
    assert book.read_bytes() == their_bytes
    assert files(tmp_path) == names  # no temp file, no backup of their version


def test_a_save_just_before_the_replace_is_detected(tmp_path, monkeypatch):
    book = _book(tmp_path)
    before = book.read_bytes()
    real_replace = os.replace

    def replace(src, dst, *a, **k):
        if Path(dst) == book:
            raise AssertionError("must not be reached")
        return real_replace(src, dst, *a, **k)

    real_check = atomic._check_unchanged
    calls = {"n": 0}

    def check(dest, expect):
        calls["n"] += 1
        if calls["n"] == 2:  # after the backup, just before the replace
            Path(dest).write_bytes(before + b"")  # same bytes: a touch, not a change
            os.utime(dest, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
        return real_check(dest, expect)

    monkeypatch.setattr(atomic, "_check_unchanged", check)
    pysnop.recalc(book)  # same bytes, new mtime: not a change, the run writes
    assert calls["n"] == 2
    assert book.read_bytes() != before

    # now a real change at that moment
    before = book.read_bytes()
    calls["n"] = 0

    def check_changed(dest, expect):
        calls["n"] += 1
        if calls["n"] == 2:
            with open(dest, "ab") as handle:
                handle.write(b"\0")  # a different size
        return real_check(dest, expect)

    monkeypatch.setattr(atomic, "_check_unchanged", check_changed)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(FileAccessError, match="changed by someone else"):
        pysnop.recalc(book)
    assert book.read_bytes() == before + b"\0"
    assert not _temps(tmp_path)


def test_write_workbook_refuses_when_the_fingerprint_taken_at_read_no_longer_matches(tmp_path):
    book = _book(tmp_path)
    fp = atomic.fingerprint(book)
    assert not atomic.changed_since(book, fp)
    os.utime(book, ns=(1, 1))  # touched only
    assert not atomic.changed_since(book, fp)
    other = build_fast(tmp_path / "x.xlsx", {"Sheet": [["changed"]]}).read_bytes()
    book.write_bytes(other)
    assert atomic.changed_since(book, fp)
    with pytest.raises(FileAccessError, match="changed by someone else"):
        writer.write_workbook(book, book, [], expect=fp)
    assert book.read_bytes() == other


# ------------------------------------------------------- locked, read-only, disk full

def _no_traceback_cli(args, monkeypatch=None) -> tuple[int, str]:
    from pysnop.cli.main import cli

    result = CliRunner().invoke(cli, args, obj={})
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in output
    return result.exit_code, output


def test_a_file_locked_by_excel_at_read(tmp_path, monkeypatch):
    import python_calamine as pc

    book = _book(tmp_path)

    def locked(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(pc.CalamineWorkbook, "from_path", locked)
    with pytest.raises(FileAccessError, match="permission denied .is it open in another"):
        pysnop.recalc(book)
    code, out = _no_traceback_cli(["recalc", str(book)])
    assert code == 1 and "permission denied" in out


def test_a_read_only_file_at_write(tmp_path, monkeypatch):
    book = _book(tmp_path)
    before = digest(book)
    real_replace = os.replace

    def replace(src, dst, *a, **k):
        if Path(dst) == book:
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(FileAccessError) as info:
        pysnop.recalc(book, backup=False)
    assert str(info.value) == ("cannot save plan.xlsx: permission denied - close the file in "
                               "Excel (or check that the folder is writable) and try again")
    assert digest(book) == before and not _temps(tmp_path)
    code, out = _no_traceback_cli(["recalc", str(book), "--no-backup"])
    assert code == 1 and "permission denied - close the file in Excel" in out
    assert digest(book) == before and not _temps(tmp_path)


def test_a_read_only_folder(tmp_path, monkeypatch):
    import tempfile

    book = _book(tmp_path)
    before = digest(book)

    def mkstemp(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(FileAccessError, match="cannot write plan.xlsx: permission denied"):
        pysnop.recalc(book)
    assert digest(book) == before and files(tmp_path) == {"plan.xlsx"}


def test_a_read_only_file_system(tmp_path, monkeypatch):
    book = _book(tmp_path)
    real_replace = os.replace

    def replace(src, dst, *a, **k):
        if Path(dst) == book:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(FileAccessError, match="the file system is read-only"):
        pysnop.recalc(book, backup=False)
    assert not _temps(tmp_path)


@pytest.mark.parametrize("where", ["workbook", "backup"])
def test_disk_full(tmp_path, monkeypatch, where):
    book = _book(tmp_path)
    before = digest(book)
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        # the workbook's temp file is fsynced first, then the backup's temp file
        if (where == "workbook" and calls["n"] == 1) or (where == "backup" and calls["n"] == 2):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(FileAccessError, match="the disk is full"):
        pysnop.recalc(book)
    assert digest(book) == before
    assert files(tmp_path) == {"plan.xlsx"}  # no temp file, no partial backup
    monkeypatch.setattr(os, "fsync", real_fsync)
    calls["n"] = -10 ** 9
    monkeypatch.setattr(os, "fsync", fsync)
    code, out = _no_traceback_cli(["recalc", str(book)])
    assert code == 0  # space again: it works


def test_disk_full_while_writing_the_bytes(tmp_path, monkeypatch):
    book = _book(tmp_path)
    before = digest(book)

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    from pysnop.workbook.ooxml import package

    monkeypatch.setattr(package.Package, "save", full)
    with pytest.raises(FileAccessError) as info:
        pysnop.recalc(book)
    assert str(info.value) == "cannot save plan.xlsx: the disk is full"
    assert digest(book) == before and files(tmp_path) == {"plan.xlsx"}
    code, out = _no_traceback_cli(["recalc", str(book)])
    assert code == 1 and "the disk is full" in out


def test_a_missing_file_and_a_folder(tmp_path):
    with pytest.raises(FileAccessError, match="file not found"):
        pysnop.recalc(tmp_path / "nope.xlsx")
    folder = tmp_path / "dir.xlsx"
    folder.mkdir()
    with pytest.raises(FileAccessError, match="is a folder"):
        pysnop.recalc(folder)


def test_a_save_between_the_read_and_the_write_is_detected(tmp_path, monkeypatch):
    import pysnop.pipeline.run as api

    book = _book(tmp_path)
    other = build_fast(tmp_path / "other.xlsx", {**valid_sheets(), "Theirs": [["x"]]})
    their_bytes = other.read_bytes()
    other.unlink()
    real_read = api.read

    def read_then_someone_saves(*a, **k):
        result = real_read(*a, **k)
        book.write_bytes(their_bytes)
        return result

    monkeypatch.setattr(api, "read", read_then_someone_saves)
    with pytest.raises(FileAccessError, match="changed by someone else"):
        pysnop.recalc(book)
    assert book.read_bytes() == their_bytes


def test_a_save_in_place_before_a_sheet_is_loaded_is_said_as_such(tmp_path):
    """Sheets load lazily from the open file: a save in place under the reader (here the
    bytes zeroed, as a truncate-and-write leaves them mid-way) is a changed file, not a
    corrupt-stream traceback."""
    from pysnop.workbook.book import FileBook

    book = _book(tmp_path)
    fb = FileBook(book)
    assert "Receipts" in fb.sheet_names()  # opened: the zip's directory is read
    with open(book, "r+b") as handle:  # same inode, as write_bytes does
        handle.write(b"\0" * book.stat().st_size)
    with pytest.raises(FileAccessError, match="changed by someone else"):
        fb.grid("Receipts")


def test_an_unreadable_sheet_in_an_unchanged_file_names_the_sheet(tmp_path):
    import zipfile

    from pysnop.errors import LayoutError
    from pysnop.workbook.book import FileBook

    good = _book(tmp_path)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet5.xml":
                data = data[: len(data) // 2]  # cut mid-element: not well-formed XML
            dst.writestr(item, data)
    fb = FileBook(bad)
    names = fb.sheet_names()
    with pytest.raises(LayoutError) as err:
        fb.grid(names[4])
    assert err.value.sheet == names[4]
    assert names[4] in str(err.value)
