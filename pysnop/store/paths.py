"""Where pysnop's SQLite file lives: the one resolver for the decision log and the history.

``plan.xlsx`` → ``plan.pysnop.sqlite`` beside the workbook. Settings ``decision_log`` (a
path, relative to the workbook's folder) moves it; the ``--log`` option (``log=``) moves it
for one run and wins over the setting.
"""

from __future__ import annotations

import os
from pathlib import Path

SUFFIX = ".pysnop.sqlite"
SETTING = "decision_log"  # the Settings key that moves the file


def default_path(book: str | os.PathLike[str]) -> Path:
    """``<book stem>.pysnop.sqlite`` beside the workbook."""
    book = Path(book)
    return book.with_name(book.stem + SUFFIX)


def resolve_path(book: str | os.PathLike[str], *, override: object = None,
                 setting: object = None) -> Path:
    """``override`` (``--log``) wins, then Settings ``decision_log`` (relative to the
    workbook's folder), then :func:`default_path`."""
    for value in (override, setting):
        if value is not None and str(value).strip():
            path = Path(str(value).strip()).expanduser()
            return path if path.is_absolute() else Path(book).parent / path
    return default_path(book)


__all__ = ["SETTING", "SUFFIX", "default_path", "resolve_path"]
