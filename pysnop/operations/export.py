"""Exporting approved actions for execution (the ERP, the campaign tool).

:func:`export_actions` writes the Approved actions not exported yet to CSV or JSON, marks
them Exported (with a timestamp) in the decision log and the workbook. What it writes comes
from the decision log: the values recorded with each approval (:mod:`pysnop.core.binding`),
with the action_id for the ERP to de-duplicate on — never the sheet's cells, which a person
may have changed since. Exporting again exports nothing new (no file is written then).
Approvals typed into the sheet are checked first, as :mod:`pysnop.operations.decide` does.

The file is written first, then the log records the export, then the workbook is saved: an
export whose file exists is always in the log (so it is never exported twice), even when the
workbook cannot be saved afterwards (its Exported marks then come back from the log).

CSV cells are formula-safe: a text cell starting with ``= + - @``, a tab or a carriage
return gets a leading ``'``, so a spreadsheet opening the file shows it as text. The file is
never written over the workbook, its log, or any other workbook.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from pysnop.core.binding import BOUND_FIELDS, parse_values
from pysnop.core.decisions import APPROVED, BOUND, BOUND_VALUES, EXPORTED, Event
from pysnop.core.values import is_blank
from pysnop.errors import Problem, PysnopError
from pysnop.operations.decide import (
    ActionsReport,
    Plan,
    as_file_book,
    file_digest_of,
    log_file,
    no_proposals,
    open_book_log,
    put_actions,
    review_sheet,
    runner_for,
)
from pysnop.pipeline.actions import now
from pysnop.pipeline.audit import approver_changes, bound_export
from pysnop.pipeline.state import status_counts
from pysnop.workbook.book import Book
from pysnop.workbook.ooxml.atomic import atomic_write
from pysnop.workbook.read.actions import ACTIONS_SHEET, read_actions_sheet

FORMATS = ("csv", "json")
EXPORT_COLUMNS = ["action_id", "type", "owner", "sku", "location", "from_location",
                  "campaign_id", "po_id", "alt_sku", "qty", "week", "new_lift", "new_start",
                  "cost", "margin_protected", "net_value", "reason", "approver", "decided_at",
                  "comment", "exported_at"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".xltx", ".xltm", ".xlam", ".ods")
SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"SQLite format 3")  # zip, OLE, SQLite


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
    if output is not None:
        refuse_target(Path(output), book.path, log_file(book, log))
    who = runner_for(book, user)
    sheet = read_actions_sheet(book)
    if not len(sheet):
        raise PysnopError(no_proposals(book))
    at = now()
    hold = open_book_log(book, log, sheet)
    target: Path | None = None
    try:
        reviewed, approvers, warnings = review_sheet(book, sheet, hold, who, at)
        rows = reviewed.rows.drop(columns=["row"], errors="ignore").reset_index(drop=True)
        ok = bound_export(rows)
        warnings += [Problem(f"{a} was approved before pysnop recorded what an approval "
                             f"binds; it is not exported: approve it again", ACTIONS_SHEET,
                             severity="warning")
                     for a in rows.loc[(rows["status"] == APPROVED) & ~ok, "action_id"]]
        chosen = rows.index[ok]
        exported = approved_values(rows.loc[chosen], at)
        ids = list(rows.loc[chosen, "action_id"])
        if ids:
            target = Path(output) if output is not None else book.path.with_name(
                f"{book.path.stem}-actions-{at:%Y%m%d-%H%M%S}.{fmt}")
        events = reviewed.events + [
            Event(a, "status", APPROVED, EXPORTED, who.declared or who.account, at, "accepted",
                  f"exported to {target.name}" if target else "", account=who.account,
                  fingerprint=rows.at[i, BOUND], detail=rows.at[i, BOUND_VALUES])
            for i, a in zip(chosen, ids)]
        rows.loc[chosen, "exported_at"] = at
        rows.loc[chosen, "status"] = EXPORTED
        hold.log.record_run(
            kind="export", at=at, workbook=book.path.resolve(),
            fingerprint=file_digest_of(book), user=who.declared or who.account,
            account=who.account,
            counts={**status_counts(rows), "exported": len(ids),
                    "refused": len(reviewed.refused)},
            events=events, approvers=approver_changes(hold.log, approvers),
            exports=[{"action_id": a, "at": at, "format": fmt, "file": target,
                      "who": who.declared or who.account, "fingerprint": rows.at[i, BOUND],
                      "detail": json.dumps(rec, sort_keys=True, allow_nan=False)}
                     for i, a, rec in zip(chosen, ids, exported.to_dict("records"))])
        if target is not None:
            data = encode(exported, fmt)
            atomic_write(target, lambda handle: _write(handle, data), backup=False)
        stamp = hold.head()
        plan = Plan.of(hold.log)
    except BaseException:
        hold.rollback()
        raise
    try:
        hold.commit()
    except BaseException:
        if target is not None:  # an export the log does not hold must not reach the ERP
            target.unlink(missing_ok=True)
        raise
    if events:
        put_actions(book, rows, approvers, stamp, plan)
    return ActionsReport(book.path, hold.log.path, rows, events, warnings + reviewed.problems,
                         exported, target)


def _write(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)


def refuse_target(target: Path, book: Path, log: Path) -> None:
    """An export is a new CSV/JSON file: never the workbook, its log or another workbook."""
    for what, path in (("the workbook itself", book), ("the decision log", log)):
        if target.resolve() == path.resolve():
            raise PysnopError(f"cannot export to {target.name}: that is {what}; the export is "
                              f"a CSV or JSON file for the ERP, give it another name (e.g. "
                              f"{book.stem}-actions.csv)")
    if target.suffix.lower() in WORKBOOK_SUFFIXES:
        raise PysnopError(f"cannot export to {target.name}: the export is a CSV or JSON file, "
                          f"not a workbook; give it a .csv or .json name")
    try:
        with open(target, "rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PysnopError(f"cannot export to {target}: {exc.strerror or exc}") from exc
    if any(head.startswith(sig) for sig in SIGNATURES):
        raise PysnopError(f"cannot export to {target.name}: it is an existing workbook or "
                          f"database, and pysnop never writes an export over one; choose a "
                          f"new file name")


def approved_values(rows: pd.DataFrame, at: Any) -> pd.DataFrame:
    """The export rows: each action's values as recorded with its approval (the log's,
    :func:`pysnop.core.binding.values_json`), its approver, decision time and comment."""
    records = []
    for rec in rows.to_dict("records"):
        values = parse_values(rec[BOUND_VALUES]) or {}
        out = {name: values.get(name) for name in EXPORT_COLUMNS}
        for name in BOUND_FIELDS:  # the bound fields are what was approved, whatever the name
            if name in out:
                out[name] = values.get(name)
        out.update(action_id=rec["action_id"], approver=rec.get("approver"),
                   comment=None if is_blank(rec.get("comment")) else rec.get("comment"),
                   decided_at=_time(rec.get("decided_at")), exported_at=_time(at))
        records.append(out)
    # object columns: a blank stays None (pandas' string dtype would turn it into NaN, which
    # the log's JSON refuses)
    return pd.DataFrame(records, columns=EXPORT_COLUMNS, dtype=object)


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The exported columns of sheet rows, dates as ISO text (for callers that export
    a frame they hold; :func:`export_actions` exports from the log)."""
    out = rows.reindex(columns=EXPORT_COLUMNS).copy()
    for col in ("week", "new_start"):
        out[col] = [None if is_blank(v) else pd.Timestamp(v).date().isoformat() for v in out[col]]
    for col in ("decided_at", "exported_at"):
        out[col] = [_time(v) for v in out[col]]
    return out


def _time(value: Any) -> str | None:
    return None if is_blank(value) else pd.Timestamp(value).isoformat()


def formula_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made text: ``'`` in front."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def encode(data: pd.DataFrame, fmt: str) -> bytes:
    """The export file's bytes: CSV (formula-safe text cells) or JSON (valid: no NaN)."""
    records = [{k: (None if is_blank(v) else v.item() if hasattr(v, "item") else v)
                for k, v in rec.items()} for rec in data.to_dict("records")]
    if fmt == "csv":
        safe = pd.DataFrame.from_records(
            [{k: formula_safe(v) for k, v in rec.items()} for rec in records],
            columns=list(data.columns))
        # RFC 4180 line ends: a field holding a CR or LF is then quoted, never split
        return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    return (json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False)
            + "\n").encode("utf-8")


__all__ = ["EXPORT_COLUMNS", "approved_values", "encode", "export_actions", "export_frame",
           "formula_safe", "refuse_target"]
