"""A workbook file read while Python is still importing the rest of pysnop.

A fresh ``pysnop recalc`` spends its first half second importing pandas, numpy and openpyxl,
one core busy and the GIL held; python-calamine parses a sheet's XML in Rust without the GIL.
So the command line starts, before those imports, a thread that fingerprints the file, checks
the package (:func:`pysnop.workbook.ooxml.safety.check_package`, as every read does first)
and has calamine parse the sheets a run reads; the reader then takes the parsed sheets
(:class:`pysnop.workbook.read.grid.CalamineSource`) instead of parsing them itself.

What the reader sees is unchanged: the same checks, in the same order, on the same bytes (the
fingerprint is taken before anything is parsed, and the preload is used only if the file
still has that fingerprint's size and time when the reader opens it). When anything in the
thread fails, its work is dropped and the file is read as it always was, so every error is
raised and reported exactly as before.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as pc

from pysnop.workbook.ooxml.atomic import Fingerprint, fingerprint
from pysnop.workbook.ooxml.safety import check_package
from pysnop.workbook.read.schema import norm, sheet_name_map


@dataclass
class Parsed:
    """A file fingerprinted, checked and parsed: the calamine workbook and its sheets."""

    fingerprint: Fingerprint
    book: Any  # python_calamine.CalamineWorkbook
    sheets: dict[str, Any] = field(default_factory=dict)  # name -> CalamineSheet


_lock = threading.Lock()
_started: dict[Path, Future[Parsed]] = {}


def start(path: str | os.PathLike[str]) -> None:
    """Begin reading ``path`` on a thread of its own (see the module doc)."""
    key = Path(path).resolve()
    future: Future[Parsed] = Future()
    with _lock:
        if key in _started:
            return
        _started[key] = future

    def read() -> None:
        try:
            future.set_result(_parse(key))
        except BaseException as exc:  # the reader reads the file itself and reports it
            future.set_exception(exc)

    threading.Thread(target=read, name="pysnop-preload", daemon=True).start()


# besides the input sheets (schema), the sheets a run reads later: the Actions sheet (its
# decisions) and Approvers. pysnop's other output sheets (Bridge, Review, ...) and the
# planner's own are not read, so they are not parsed (nor held) ahead of time
LATER = ("actions", "approvers", "approver", "approvals")


def _wanted(name: str) -> bool:
    key = norm(name)
    return key in sheet_name_map() or key in LATER


def _parse(path: Path) -> Parsed:
    seen = fingerprint(path)
    check_package(path)
    book = pc.CalamineWorkbook.from_path(str(path))
    return Parsed(seen, book, {name: book.get_sheet_by_name(name)
                               for name in book.sheet_names if _wanted(name)})


def take(path: str | os.PathLike[str]) -> Parsed | None:
    """The preload of ``path`` (waiting for it to finish), once; None when there is none, it
    failed, or the file changed since it was read."""
    key = Path(path).resolve()
    with _lock:
        future = _started.pop(key, None)
    if future is None:
        return None
    try:
        parsed = future.result()
    except BaseException:
        return None
    try:
        stat = os.stat(key)
    except OSError:
        return None
    if (stat.st_size, stat.st_mtime_ns) != (parsed.fingerprint.size,
                                            parsed.fingerprint.mtime_ns):
        return None
    return parsed


__all__ = ["Parsed", "start", "take"]
