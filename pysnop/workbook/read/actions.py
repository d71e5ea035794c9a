"""Reading the "Actions" sheet back: the proposals with the decisions people typed.

Any column order; the header row is the one (within the first 10) holding ``action_id``.
The sheet is written by :mod:`pysnop.workbook.render.actions`: a line per risk (no
action_id; its ``option`` cell holds the risk_id) with its alternatives below it. Only the
alternatives are read back — and any line where a person typed a decision, so that a
decision typed on a risk line is reported rather than lost.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import numpy as np
import pandas as pd

from pysnop.errors import LayoutError, Problem, ValidationError
from pysnop.workbook.read.grid import GridSource, open_source
from pysnop.workbook.read.schema import norm

ACTIONS_SHEET = "Actions"
REVIEW_SHEET = "Review"
HEADER_ROW = 3
COLUMNS = ("option", "action_id", "type", "owner", "sku", "location", "from_location",
           "campaign_id", "qty", "week", "act_by", "cost", "margin_protected", "net_value",
           "covers", "reason", "status", "approver", "decided_at", "comment", "scenario",
           "po_id", "alt_sku", "new_lift", "new_start", "units_protected", "rank", "risk_id",
           "exported_at")
TEXT = {"option", "action_id", "type", "owner", "sku", "location", "from_location",
        "campaign_id", "covers", "reason", "status", "approver", "comment", "scenario", "po_id",
        "alt_sku", "risk_id"}
NUMBERS = {"qty", "cost", "margin_protected", "net_value", "new_lift", "units_protected",
           "rank"}
DATES = {"week", "new_start", "act_by"}
DECIDED = ("status", "approver", "comment", "scenario")  # what a person types
TIMES = {"decided_at", "exported_at"}
REQUIRED = ("action_id", "status")  # without them no decision can be kept
RECOGNISED = 4  # this many of pysnop's headers in a row: pysnop's header, damaged or not


def find_sheet(names: list[str]) -> str | None:
    return next((n for n in names if norm(n) == norm(ACTIONS_SHEET)), None)


def read_actions_sheet(source: str | os.PathLike[str] | GridSource) -> pd.DataFrame:
    """The Actions rows as a frame (COLUMNS present, blank as None) + ``row`` (Excel row);
    ``frame.attrs["columns"]`` maps each header to its sheet column.

    pysnop's header without its ``action_id`` or ``status`` column (renamed or deleted) is a
    ValidationError naming the header row: without them no decision can be told apart, and
    nothing may be written.
    """
    src: GridSource = open_source(source)
    sheet = find_sheet(src.sheet_names())
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in (*COLUMNS, "row")})
    if sheet is None:
        return empty
    grid = src.grid(sheet)
    header = None
    for i, row in enumerate(grid.rows[:10]):
        keys = [norm(v) if isinstance(v, str) else "" for v in row]
        if "action_id" in keys or sum(k in COLUMNS for k in keys) >= RECOGNISED:
            header = (i, {k: j for j, k in reversed(list(enumerate(keys))) if k})
            break
    if header is None:
        return empty
    i0, cols = header
    missing = [name for name in REQUIRED if name not in cols]
    if missing:
        raise ValidationError([Problem(
            f"pysnop's {name} column is missing from the header (renamed or deleted?): "
            f"decisions are kept by action_id and status, so nothing was read or written; "
            f"put the {name} header back (or delete the sheet: pysnop writes it again and "
            f"restores decisions from the decision log)", grid.sheet, grid.first_row + i0,
            None, name, None, "error", "layout") for name in missing])
    body = grid.rows[i0 + 1:]
    values = []
    for name in COLUMNS:  # column by column: one reader per column, not a lookup per cell
        j = cols.get(name)
        if j is None:
            values.append([None] * len(body))
            continue
        read = _reader(name)
        cells = [row[j] if j < len(row) else None for row in body]
        values.append([None if v is None or (isinstance(v, str) and not v.strip())  # blank
                       else read(v) for v in cells])
    blank = [np.fromiter((v is None for v in col), bool, len(body)) for col in values]
    at = {name: k for k, name in enumerate(COLUMNS)}
    undecided = np.logical_and.reduce([blank[at[c]] for c in DECIDED])
    # a line with nothing in it, or a risk line or a group line (no action_id, no decision)
    keep = ~(np.logical_and.reduce(blank) | (blank[at["action_id"]] & undecided))
    rows = np.flatnonzero(keep)
    if not len(rows):
        frame = empty
    else:
        picked: list[list[Any]] = [[col[i] for i in rows.tolist()] for col in values]
        picked.append((rows + grid.first_row + i0 + 1).tolist())
        frame = pd.DataFrame.from_records(list(zip(*picked)), columns=[*COLUMNS, "row"])
    frame.attrs["columns"] = {name: grid.first_col + j for name, j in cols.items()}
    return frame


def _reader(name: str):
    """How a cell of column ``name`` that is not blank is read."""
    return (_text if name in TEXT else _number if name in NUMBERS
            else _date if name in DATES or name in TIMES else _as_is)


def _text(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    try:
        return pd.Timestamp(value).to_pydatetime()
    except (ValueError, TypeError):
        return None


def _as_is(value):
    return value


def check_owned_sheets(source: str | os.PathLike[str] | GridSource) -> None:
    """Refuse to overwrite a user's own sheet that happens to be called Actions or Review.

    pysnop's Actions sheet has an ``action_id`` header in its first rows; its Review sheet
    starts with a "pysnop ..." title.
    """
    src = open_source(source)
    for name in src.sheet_names():
        if norm(name) not in (norm(ACTIONS_SHEET), norm(REVIEW_SHEET)):
            continue
        rows = src.grid(name).rows
        cells = [str(v) for row in rows[:10] for v in row if v not in (None, "")]
        if not cells:
            continue
        ours = (any(norm(c) == "action_id" for c in cells) if norm(name) == "actions"
                else cells[0].startswith("pysnop"))
        if not ours:
            raise LayoutError(f'the sheet "{name}" is not one pysnop wrote, and pysnop writes '
                              f'its {name} there; rename your sheet and run again', sheet=name)


__all__ = ["ACTIONS_SHEET", "COLUMNS", "HEADER_ROW", "REVIEW_SHEET", "check_owned_sheets",
           "find_sheet", "read_actions_sheet"]
