"""The weekly review and the decision log, read back (``pysnop review``, ``pysnop log``).

Both check the log against the workbook first (:mod:`pysnop.store.integrity`): a log that
must not be trusted is refused, as for a run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pysnop.operations.decide import as_file_book, existing_log_file, log_file
from pysnop.pipeline.audit import book_stamp, decided_rows
from pysnop.store.decision_log import DecisionLog
from pysnop.store.integrity import Diagnosis, LogIntegrityError, diagnose
from pysnop.workbook.book import Book
from pysnop.workbook.read.actions import read_actions_sheet
from pysnop.workbook.render.review import build_review, review_text


def checked_log(book: Book, log: str | os.PathLike[str] | None) -> tuple[Path, Diagnosis]:
    """The book's existing decision log, checked (raises when it must not be trusted; a
    book that never had one is told to run recalc first)."""
    path = log_file(book, log)
    name = book.path.name if book.path is not None else "BOOK"
    diagnosis = diagnose(path, book_stamp(book), book=name,
                         decided_rows=decided_rows(read_actions_sheet(book)))
    if diagnosis.refused:
        raise LogIntegrityError(diagnosis)
    return existing_log_file(book, log), diagnosis


def weekly_review(book: str | os.PathLike[str] | Book, fmt: str = "text", *,
                  log: str | os.PathLike[str] | None = None) -> str:
    """The weekly review of the latest run, as text or Markdown."""
    path, _ = checked_log(as_file_book(book), log)
    with DecisionLog(path) as lg:
        data = build_review(lg)
    return review_text(data, markdown=fmt.lower() in ("markdown", "md"))


def log_history(book: str | os.PathLike[str] | Book, *,
                log: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """{"path", "runs": [...], "decisions", "exports", "approvers": DataFrames, "check"}."""
    path, diagnosis = checked_log(as_file_book(book), log)
    with DecisionLog(path) as lg:
        return {"path": path, "runs": lg.runs(),
                "decisions": lg.frame("decisions", "ORDER BY id"),
                "exports": lg.frame("exports", "ORDER BY at"),
                "approvers": lg.frame("approvers", "ORDER BY run_id"),
                "check": diagnosis, "info": lg.info()}


__all__ = ["checked_log", "log_history", "weekly_review"]
