"""An approval binds values (docs/semantics.md, "Approvals you can audit").

An approval is of what was shown: when it is accepted, the row's values are recorded with it
— their fingerprint over :data:`BOUND_FIELDS` and every value as JSON — and from then on:

* a re-run whose proposal differs in any bound field puts the row in "Needs re-approval"
  (:func:`rebind`): it stops counting as chosen, is never exported, and waits for a person;
* the values on the Actions sheet are pysnop's: a cell edited by hand is put back to what the
  log holds, with a warning naming the cell (:func:`restore_owned`); a row pysnop never
  proposed is dropped, with a warning;
* a decided row deleted from the sheet comes back from the log, with a warning
  (:func:`restore_deleted`);
* export writes the values recorded with the approval, never the sheet's cells.

Pure: frames and dicts in and out; statuses are spelled here as in :mod:`.decisions` (which
imports this module).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas.core.dtypes.dtypes import BaseMaskedDtype

from pysnop.core.values import plain_records, records_column
from pysnop.errors import Problem

# what an approval is of: a re-run that changes any of them changes the fingerprint
BOUND_FIELDS = ("type", "owner", "sku", "location", "from_location", "campaign_id", "po_id",
                "alt_sku", "qty", "week", "new_lift", "new_start")
APPROVED, REJECTED, NEEDS_REAPPROVAL = "Approved", "Rejected", "Needs re-approval"
# the decision cells (a person's, or pysnop's record of them) and the bookkeeping columns;
# every other column of a proposal is a value pysnop owns
NOT_VALUES = frozenset({"status", "approver", "decided_at", "comment", "scenario",
                        "exported_at", "row", "bound", "bound_values"})
UNCHECKED = frozenset({"rank"})  # recomputed each run, also for rows kept as exported
SHEET = "Actions"
# a decided row deleted from the sheet comes back with these statuses (Exported rows are
# kept by the merge itself; Obsolete and Superseded rows are pysnop's to show or drop)
RESTORED = (APPROVED, REJECTED, NEEDS_REAPPROVAL)


def normal(value: Any) -> Any:
    """A value as the log keeps it: text stripped, numbers as floats to 6 decimals, dates as
    ISO days, blanks as None."""
    if value is None:
        return None
    kind = type(value)  # the common exact types first: what the branches below return
    if kind is str:
        return value.strip() or None
    if kind is float:
        return None if math.isnan(value) else round(value, 6) if math.isfinite(value) \
            else str(value)
    if kind is bool:
        return value
    if kind is pd.Timestamp:  # never NaT (that is another type)
        return value.date().isoformat()
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()
    if isinstance(value, (int, float, np.integer, np.floating)):
        f = float(value)
        return None if math.isnan(f) else round(f, 6) if math.isfinite(f) else str(f)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value).strip() or None


def _get(proposal: Any, name: str) -> Any:
    if hasattr(proposal, "get"):
        return proposal.get(name)
    return getattr(proposal, name, None)


# json.dumps with options builds an encoder per call; the log encodes one per proposal
_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
_VALUES_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False)


def values_fingerprint(proposal: Any) -> str:
    """sha256 of a proposal's BOUND_FIELDS (a mapping or a row), normalised (:func:`normal`)."""
    return _fingerprint({name: normal(_get(proposal, name)) for name in BOUND_FIELDS})


def _fingerprint(values: dict[str, Any]) -> str:
    text = _FINGERPRINT_JSON.encode(values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def values_of(proposal: Mapping[str, Any]) -> dict[str, Any]:
    """Every value of a proposal (not its decision cells), normalised."""
    return {str(k): normal(v) for k, v in proposal.items() if k not in NOT_VALUES}


def values_json(proposal: Mapping[str, Any]) -> str:
    """:func:`values_of` as JSON (sorted keys): what the log records with an approval."""
    return _VALUES_JSON.encode(values_of(proposal))


def values_record(proposal: Mapping[str, Any]) -> tuple[str, str]:
    """(:func:`values_fingerprint`, :func:`values_json`) of a mapping, each value
    normalised once (the log records both for every proposal)."""
    values = values_of(proposal)
    return (_fingerprint({name: values.get(name) for name in BOUND_FIELDS}),
            _VALUES_JSON.encode(values))


def values_records(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """:func:`values_record` of every row of ``frame`` (as ``to_dict("records")`` gives
    them), the same texts: each column normalised and encoded whole, then one fingerprint
    per row of the joined text (tests/store/test_batch_values.py)."""
    position = {str(c): i for i, c in enumerate(frame.columns)}  # last wins, as in a dict
    names = sorted(n for n in position if n not in NOT_VALUES)
    texts = [_json_column(frame.iloc[:, position[n]]) for n in names]
    n_rows = len(frame)
    # % templates: one C call per row joins the encoded values under their encoded keys
    at = {n: i for i, n in enumerate(names)}
    values_tpl = "{" + ", ".join(f"{_key(n)}: %s" for n in names) + "}"
    bound = sorted(BOUND_FIELDS)
    bound_tpl = "{" + ", ".join(f"{_key(n)}: " + ("%s" if n in at else "null")
                                for n in bound) + "}"
    bound_cols = [texts[at[n]] for n in bound if n in at]
    value_rows = [values_tpl % row for row in zip(*texts)] if names else ["{}"] * n_rows
    bound_rows = [bound_tpl % row for row in zip(*bound_cols)] if bound_cols \
        else [bound_tpl] * n_rows
    sha = hashlib.sha256
    return [(sha(b.encode("utf-8")).hexdigest(), v) for b, v in zip(bound_rows, value_rows)]


def _key(name: str) -> str:
    return json.encoder.encode_basestring(name).replace("%", "%%")


def _json_column(col: pd.Series) -> list[str]:
    """The JSON text of :func:`normal` of each value of a column."""
    dtype = col.dtype
    if isinstance(dtype, (np.dtype, BaseMaskedDtype)) and dtype.kind in "fiu":
        return _json_numbers(col.to_numpy(dtype=np.float64, na_value=np.nan))
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return ["true" if v else "false" for v in col.to_numpy().tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # tz-naive: Timestamps' days
        codes, stamps = pd.factorize(col.to_numpy())  # each distinct time written once
        days = np.datetime_as_string(np.asarray(stamps, dtype=dtype).astype("datetime64[D]"))
        quoted = np.array([f'"{day}"' for day in days.tolist()] + ["null"], dtype=object)
        return list(quoted[codes].tolist())  # code -1 (NaT): null
    if isinstance(dtype, pd.StringDtype) or (dtype == np.dtype(object) and
                                             pd.api.types.infer_dtype(col, skipna=True)
                                             in ("string", "empty")):
        text = col.astype(object)
        stripped = map(str.strip, text.where(text.notna(), "").tolist())
        encode = json.encoder.encode_basestring
        return [encode(v) if v else "null" for v in stripped]
    encode_value = _VALUES_JSON.encode  # any other column: value by value, as normal()
    return [encode_value(normal(v)) for v in records_column(col)]


_SCALE = 1e6  # normal() rounds numbers to 6 decimals
_EXACT = 2.0 ** 50  # below this, rint(x * 1e6) / 1e6 is round(x, 6) away from the ties


def _json_numbers(a: np.ndarray) -> list[str]:
    """``normal`` of each float of ``a``, as JSON: null for NaN, text for infinities,
    ``round(x, 6)`` (correctly rounded) for the rest.

    ``rint(x * 1e6) / 1e6`` is exactly ``round(x, 6)`` when the product's rounding cannot
    carry it across a half (it is more than one ulp from one): the integer is the right
    one, and dividing it by 1e6 (both exact) gives the float nearest the decimal, as
    ``round`` does. The few values near a half are rounded by ``round`` itself."""
    finite = np.isfinite(a)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = a * _SCALE
        whole = finite & (a == np.trunc(a))
        near_half = np.abs(scaled - np.floor(scaled) - 0.5) <= np.abs(np.spacing(scaled))
        exact = finite & ~whole & (np.abs(scaled) < _EXACT) & ~near_half
        rounded = np.where(exact, np.rint(scaled) / _SCALE, a)
    out = list(map(float.__repr__, rounded.tolist()))
    for i in np.flatnonzero(finite & ~whole & ~exact).tolist():
        out[i] = float.__repr__(round(float(a[i]), 6))
    for i in np.flatnonzero(~finite).tolist():
        value = float(a[i])
        out[i] = "null" if math.isnan(value) else f'"{value}"'
    return out


def parse_values(text: str | None) -> dict[str, Any] | None:
    return None if not text else dict(json.loads(text))


# what json.loads runs on a text (its decoder's scanner), without its regex matches
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def parse_each(texts: Iterable[str | None]) -> list[dict[str, Any] | None]:
    """:func:`parse_values` of each text (equal dicts). A text that is one JSON object from
    its first character to its last is scanned as json.loads scans it (the whitespace
    json.loads skips around it is not there); any other goes through parse_values."""
    out: list[dict[str, Any] | None] = []
    add = out.append
    for text in texts:
        if text and text[0] == "{" and text[-1] == "}":
            try:
                value, end = _SCAN(text, 0)
            except (ValueError, StopIteration):  # not JSON: json.loads says how
                end = -1
            if end == len(text) and type(value) is dict:
                add(value)
                continue
        add(parse_values(text))
    return out


def sheet_value(name: str, value: Any, dates: Collection[str]) -> Any:
    """A logged value back in the type the Actions sheet holds (dates as datetimes)."""
    if value is not None and name in dates:
        return pd.Timestamp(value).to_pydatetime()
    return value


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.6g}"
    return "blank" if value is None else str(value)


def changes(approved: Mapping[str, Any] | None, now: Mapping[str, Any]) -> str:
    """``qty 992 -> 1,192; week ...``: the bound fields that differ."""
    if approved is None:
        return "what was approved is not on record (approved before approvals were bound)"
    parts = [f"{name} {_shown(approved.get(name))} -> {_shown(normal(now.get(name)))}"
             for name in BOUND_FIELDS if approved.get(name) != normal(now.get(name))]
    return "; ".join(parts) or "the values differ"


def rebind(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """Approved rows whose values are no longer the ones approved go to Needs re-approval
    (in place); returns (action_id, what changed) for each."""
    out: list[tuple[str, str]] = []
    if rows.empty or "status" not in rows:
        return out
    for at in rows.index[(rows["status"] == APPROVED).to_numpy()]:
        rec = rows.loc[at].to_dict()
        bound = rec.get("bound")
        if isinstance(bound, str) and bound == values_fingerprint(rec):
            continue
        approved = parse_values(rec.get("bound_values")) if isinstance(
            rec.get("bound_values"), str) else None
        for column, value in (("status", NEEDS_REAPPROVAL), ("approver", None),
                              ("decided_at", None), ("bound", None), ("bound_values", None)):
            if column not in rows:
                rows[column] = None
            if rows[column].dtype != object:
                rows[column] = rows[column].astype(object)
            rows.at[at, column] = value
        out.append((str(rec["action_id"]),
                    f"the values approved changed in this run ({changes(approved, rec)}); "
                    f"approve again"))
    return out


def restore_owned(sheet: pd.DataFrame, logged: Mapping[str, Mapping[str, Any]],
                  col_of: Mapping[str, int], dates: Collection[str]
                  ) -> tuple[pd.DataFrame, list[Problem]]:
    """Put back every value cell that differs from the log, drop rows pysnop never proposed.

    ``logged``: per action_id the values pysnop showed for it (normalised); ``col_of``: the
    sheet column of each header (for the warnings' cells). Rows without an action_id are left
    for the review to report.
    """
    problems: list[Problem] = []
    keep = []
    for rec in plain_records(sheet):  # to_dict("records"), column by column
        action = normal(rec.get("action_id"))
        row = rec.get("row")
        row = None if row is None or pd.isna(row) else int(row)
        if action is None:
            keep.append(rec)
            continue
        values = logged.get(str(action))
        if values is None:
            problems.append(Problem(
                f"{action} is not an action pysnop proposed (the decision log has no such "
                f"proposal); the row is ignored and removed", SHEET, row, col_of.get("action_id"),
                "action_id", action, "warning"))
            continue
        for name, was in values.items():
            if name in UNCHECKED or name in NOT_VALUES or name not in rec:
                continue
            if normal(rec[name]) == was:
                continue
            problems.append(Problem(
                f"{_shown(normal(rec[name]))} is not the value pysnop proposed for {action}; "
                f"restored {_shown(was)} (proposal values are pysnop's: change the inputs and "
                f"run again, or write a comment)", SHEET, row, col_of.get(name), name,
                rec[name], "warning"))
            rec[name] = sheet_value(name, was, dates)
        keep.append(rec)
    return pd.DataFrame.from_records(keep, columns=sheet.columns), problems


def restore_deleted(rows: pd.DataFrame, known: Mapping[str, Any],
                    logged: Mapping[str, Mapping[str, Any]], dates: Collection[str]
                    ) -> tuple[pd.DataFrame, list[Problem]]:
    """Decided actions (:data:`RESTORED`) missing from the sheet come back from the log."""
    present = {normal(a) for a in rows["action_id"]} if "action_id" in rows else set()
    added, problems = [], []
    for action, state in known.items():
        if state.status not in RESTORED or action in present or action not in logged:
            continue
        rec = {name: sheet_value(name, v, dates) for name, v in logged[action].items()}
        rec.update(action_id=action, status=state.status, approver=state.approver,
                   decided_at=state.decided_at, comment=state.comment,
                   exported_at=state.exported_at,
                   bound=state.fingerprint if state.status == APPROVED else None,
                   bound_values=state.detail if state.status == APPROVED else None)
        added.append(rec)
        by = f" by {state.approver}" if state.approver else ""
        problems.append(Problem(
            f"the row of {action} ({state.status}{by}) is missing from the sheet (deleted?); "
            f"restored from the decision log", SHEET, severity="warning"))
    if not added:
        return rows, problems
    extra = pd.DataFrame.from_records(added)
    columns = list(dict.fromkeys([*rows.columns, *extra.columns]))
    frame = pd.concat([rows.reindex(columns=columns).astype(object),
                       extra.reindex(columns=columns).astype(object)], ignore_index=True)
    return frame, problems


__all__ = ["BOUND_FIELDS", "NEEDS_REAPPROVAL", "changes", "normal", "parse_each", "parse_values", "rebind",
           "restore_deleted", "restore_owned", "sheet_value", "values_fingerprint",
           "values_json", "values_of", "values_records"]
