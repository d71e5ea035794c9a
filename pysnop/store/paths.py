"""Where pysnop's SQLite file lives: the one resolver for the decision log and the history.

``plan.xlsx`` → ``plan.pysnop.sqlite`` beside the workbook. Settings ``decision_log`` may
rename it, but only to a file in the workbook's own folder (a workbook must not be able to
send pysnop's writes anywhere else); the ``--log`` option (``log=``) moves it for one run and
wins over the setting. The log follows the book: a run written to another file (``-o``) keeps
its log beside that file (:func:`carry`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path, PurePosixPath, PureWindowsPath

from pysnop.errors import DataError, FileAccessError

SUFFIX = ".pysnop.sqlite"
SETTING = "decision_log"  # the Settings key that renames the file


def default_path(book: str | os.PathLike[str]) -> Path:
    """``<book stem>.pysnop.sqlite`` beside the workbook."""
    book = Path(book)
    return book.with_name(book.stem + SUFFIX)


def setting_name(value: object) -> str | None:
    """Settings ``decision_log`` as a file name in the workbook's folder (None: not set).

    Raises :class:`DataError` for a value that names a folder, an absolute path or a parent
    directory."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    name = PureWindowsPath(text).name
    if (name != text or PurePosixPath(text).name != text or text in (".", "..")
            or text.startswith("~")):
        raise DataError(f"decision_log must name a file in the workbook's folder (e.g. "
                        f"plan.pysnop.sqlite), got {text!r}; to keep the log elsewhere, pass "
                        f"--log PATH", sheet="Settings", column=SETTING, value=text)
    return text


def resolve_path(book: str | os.PathLike[str], *, override: object = None,
                 setting: object = None) -> Path:
    """``override`` (``--log``) wins, then Settings ``decision_log`` (a file name in the
    workbook's folder, :func:`setting_name`), then :func:`default_path`."""
    if override is not None and str(override).strip():
        return Path(str(override).strip()).expanduser()
    name = setting_name(setting)
    if name is not None:
        return Path(book).parent / name
    return default_path(book)


def carry(source: Path, dest: Path) -> bool:
    """Start ``dest`` as a copy of the log ``source`` (SQLite's backup, consistent even while
    it is in use) when ``dest`` does not exist yet; True when copied."""
    if dest.exists() or not source.exists() or source.resolve() == dest.resolve():
        return False
    if not dest.parent.is_dir():
        raise FileAccessError(f"cannot put the decision log at {dest}: the folder "
                              f"{dest.parent} does not exist")
    src = sqlite3.connect(source)
    out = sqlite3.connect(dest)
    try:
        src.backup(out)
    except sqlite3.Error as exc:
        out.close()
        dest.unlink(missing_ok=True)
        raise FileAccessError(f"cannot copy the decision log {source} to {dest}: {exc}") \
            from exc
    finally:
        src.close()
        out.close()
    return True


__all__ = ["SETTING", "SUFFIX", "carry", "default_path", "resolve_path", "setting_name"]
