"""The weekly review and the decision log, read back (``pysnop review``, ``pysnop log``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pysnop.operations.decide import as_file_book, existing_log_file
from pysnop.store.decision_log import DecisionLog
from pysnop.workbook.book import Book
from pysnop.workbook.render.review import build_review, review_text


def weekly_review(book: str | os.PathLike[str] | Book, fmt: str = "text", *,
                  log: str | os.PathLike[str] | None = None) -> str:
    """The weekly review of the latest run, as text or Markdown."""
    with DecisionLog(existing_log_file(as_file_book(book), log)) as lg:
        data = build_review(lg)
    return review_text(data, markdown=fmt.lower() in ("markdown", "md"))


def log_history(book: str | os.PathLike[str] | Book, *,
                log: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """{"path", "runs": [...], "decisions": DataFrame, "exports": DataFrame}."""
    path: Path = existing_log_file(as_file_book(book), log)
    with DecisionLog(path) as lg:
        return {"path": path, "runs": lg.runs(),
                "decisions": lg.frame("decisions", "ORDER BY id"),
                "exports": lg.frame("exports", "ORDER BY at")}


__all__ = ["log_history", "weekly_review"]
