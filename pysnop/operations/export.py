"""Exporting approved actions for execution (the ERP, the campaign tool).

:func:`export_actions` writes the Approved actions not exported yet to CSV or JSON, marks
them Exported (with a timestamp) in the workbook and in the decision log, and writes the
values that were approved. Exporting again exports nothing new (no file is written then).
Approvals typed into the sheet are checked first, as :mod:`pysnop.operations.decide` does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from pysnop.core.decisions import APPROVED, EXPORTED, Event
from pysnop.errors import PysnopError
from pysnop.operations.decide import (
    ActionsReport,
    as_file_book,
    file_digest_of,
    log_file,
    no_proposals,
    review_sheet,
    write_actions,
)
from pysnop.pipeline.actions import now
from pysnop.pipeline.state import status_counts
from pysnop.store.decision_log import DecisionLog
from pysnop.workbook.book import Book
from pysnop.workbook.ooxml.atomic import atomic_write
from pysnop.workbook.read.actions import read_actions_sheet

FORMATS = ("csv", "json")
EXPORT_COLUMNS = ["action_id", "type", "owner", "sku", "location", "from_location",
                  "campaign_id", "po_id", "alt_sku", "qty", "week", "new_lift", "new_start",
                  "cost", "margin_protected", "net_value", "reason", "approver", "decided_at",
                  "comment", "exported_at"]


def export_actions(book: str | os.PathLike[str] | Book, fmt: str = "csv",
                   output: str | os.PathLike[str] | None = None, *, user: str | None = None,
                   log: str | os.PathLike[str] | None = None) -> ActionsReport:
    """See the module doc. ``output`` defaults to ``<book stem>-actions-<time>.<fmt>`` beside
    the workbook."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise PysnopError(f"unknown export format {fmt!r}: use csv or json")
    book = as_file_book(book)
    if book.path is None:
        raise PysnopError("save the workbook first: the export file and the decision log are "
                          "written beside it")
    user = user or book.user_name
    path = log_file(book, log)
    sheet = read_actions_sheet(book)
    if not len(sheet):
        raise PysnopError(no_proposals(book))
    at = now()
    with DecisionLog(path) as lg:
        reviewed, approvers, warnings = review_sheet(book, sheet, user, lg, at)
        rows = reviewed.rows.drop(columns=["row"], errors="ignore").reset_index(drop=True)
        chosen = rows.index[rows["status"] == APPROVED]
        target = None
        if len(chosen):
            target = Path(output) if output is not None else book.path.with_name(
                f"{book.path.stem}-actions-{at:%Y%m%d-%H%M%S}.{fmt}")
            rows.loc[chosen, "exported_at"] = at
            data = _encode(export_frame(rows.loc[chosen]), fmt)

            def save(handle: BinaryIO) -> None:
                handle.write(data)

            atomic_write(target, save, backup=False)
            rows.loc[chosen, "status"] = EXPORTED
        events = reviewed.events + [
            Event(a, "status", APPROVED, EXPORTED, user, at, "accepted",
                  f"exported to {target.name}" if target else "")
            for a in rows.loc[chosen, "action_id"]]
        lg.record_run(kind="export", at=at, workbook=book.path.resolve(),
                      fingerprint=file_digest_of(book), user=user,
                      counts={**status_counts(rows), "exported": len(chosen),
                              "refused": len(reviewed.refused)},
                      events=events,
                      exports=[{"action_id": a, "at": at, "format": fmt, "file": target,
                                "who": user} for a in rows.loc[chosen, "action_id"]])
    if events:
        write_actions(book, rows, approvers)
    return ActionsReport(book.path, path, rows, events, warnings + reviewed.problems,
                         rows.loc[chosen].reset_index(drop=True), target)


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The exported columns, dates as ISO text."""
    out = rows.reindex(columns=EXPORT_COLUMNS).copy()
    for col in ("week", "new_start"):
        out[col] = [None if _blank(v) else pd.Timestamp(v).date().isoformat() for v in out[col]]
    for col in ("decided_at", "exported_at"):
        out[col] = [None if _blank(v) else pd.Timestamp(v).isoformat() for v in out[col]]
    return out


def _blank(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _encode(data: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        return data.to_csv(index=False, lineterminator="\n").encode("utf-8")
    records = [{k: (None if _blank(v) else v.item() if hasattr(v, "item") else v)
                for k, v in rec.items()} for rec in data.to_dict("records")]
    return (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


__all__ = ["EXPORT_COLUMNS", "export_actions", "export_frame"]
