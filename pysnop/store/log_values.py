"""How the decision log stores values: the columns of its tables and each value's stored
form (numbers as finite floats, whole numbers, flags as 0/1, dates and text as ISO text),
read back into typed frames; the cover frame packed as compressed JSON text."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import json
import math
import zlib
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from pysnop.core.values import is_blank, records_column

PROPOSAL_FIELDS = ("action_id", "type", "owner", "sku", "location", "campaign_id", "qty", "week",
                   "margin_protected", "net_value", "rank", "reason", "from_location", "po_id",
                   "alt_sku", "new_lift", "new_start", "cost", "risk_id", "recommended",
                   "act_by")
RISK_FIELDS = ("sku", "location", "status", "first_risk_week", "act_by", "lost_units",
               "margin_at_risk")
PLAN_RISK_FIELDS = ("risk_id", "kind", "draft", "sku", "location", "campaign_id", "status",
                    "first_risk_week", "shortfall_units", "lost_units", "margin_at_risk",
                    "act_by", "too_late", "alternatives", "recommended", "best_action_id",
                    "fixable", "note", "rank", "dc")
NUMBERS = {"qty", "margin_protected", "net_value", "lost_units", "margin_at_risk", "new_lift",
           "cost", "shortfall_units"}
WHOLE = {"rank", "alternatives"}
FLAGS = {"recommended", "draft", "too_late", "fixable"}
RISK_COUNTS = {"alternatives", "recommended"}  # on plan_risks, "recommended" is a count
COVER_FORMAT = "json-split+zlib+base64"
LEGACY_VALUES = ("type", "owner", "sku", "location", "campaign_id", "qty", "week",
                 "margin_protected", "net_value", "reason")


def stored_text(value) -> str | None:
    kind = type(value)  # the common exact types first, as the general path returns them
    if kind is str:
        return value
    if kind is float:
        return None if math.isnan(value) else str(value)
    if is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") if (value.hour or value.minute or
                                                       value.second) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def stored_number(value):
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def parse_time(text):
    return dt.datetime.fromisoformat(text) if text else None


def stored_row(rec: dict, fields, whole: Collection[str] = WHOLE) -> list:
    return [convert(rec.get(name)) for name, convert in converters(tuple(fields),
                                                                    frozenset(whole))]


def stored_rows(frame: pd.DataFrame, fields, whole: Collection[str] = WHOLE) -> list[tuple]:
    """:func:`stored_row` of every record of ``frame`` (the same values), converted column
    by column: numbers, flags and dates of numpy columns in one step each."""
    columns = stored_columns(frame, fields, whole)
    return list(zip(*columns)) if columns else [() for _ in range(len(frame))]


def stored_columns(frame: pd.DataFrame, fields, whole: Collection[str] = WHOLE
                   ) -> list[list[Any]]:
    """The columns of :func:`stored_rows` (zip them with the run id for an INSERT, without
    a tuple per row in between)."""
    n = len(frame)
    return [_stored(frame, name, convert) if name in frame.columns else [None] * n
            for name, convert in converters(tuple(fields), frozenset(whole))]


def _stored(frame: pd.DataFrame, name: str, convert) -> list[Any]:
    col = frame[name]
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else None
    if kind in ("f", "i", "u") and convert in (stored_number, stored_whole):
        numbers = col.to_numpy(dtype=np.float64)  # what float() makes of each value
        finite = np.isfinite(numbers).tolist()
        if convert is stored_number:
            return [v if ok else None for v, ok in zip(numbers.tolist(), finite)]
        return [int(v) if ok else None for v, ok in zip(numbers.tolist(), finite)]
    if kind == "b" and convert is stored_flag:
        return col.to_numpy(dtype=np.int64).tolist()
    if kind == "M" and convert is stored_text and col.dt.tz is None:
        # stored_text of a Timestamp: the day, or the time to the second when it has one
        # (each distinct time written once: a column holds a few weeks)
        codes, stamps = pd.factorize(col.to_numpy())
        stamps = np.asarray(stamps, dtype=col.dtype)
        days, seconds = stamps.astype("datetime64[D]"), stamps.astype("datetime64[s]")
        text = np.where(seconds != days, np.datetime_as_string(seconds),
                        np.datetime_as_string(days)).astype(object)
        return list(np.append(text, [None])[codes].tolist())  # code -1 (NaT): None
    if convert is stored_text and (col.dtype == np.dtype(object) or
                                   isinstance(col.dtype, pd.StringDtype)):
        # text is stored as it is, blanks as None: a column of nothing else in one step
        values = col.astype(object)
        plain = values.where(values.notna(), None).tolist()
        if set(map(type, plain)) <= {str, type(None)}:
            return plain
    return [convert(v) for v in records_column(frame[name])]


def stored_whole(value):
    n = stored_number(value)
    return None if n is None else int(n)


def stored_flag(value):
    return None if is_blank(value) else int(bool(value))


@functools.cache
def converters(fields: tuple[str, ...], whole: frozenset[str]) -> tuple:
    """(field, how its value is stored) for a row of ``fields``: the kind of each field is
    looked up once per table, not once per value."""
    return tuple((name, stored_number if name in NUMBERS else
                  stored_whole if name in WHOLE or name in whole else
                  stored_flag if name in FLAGS else stored_text) for name in fields)


def typed_frame(frame: pd.DataFrame, counts: Collection[str] = ()) -> pd.DataFrame:
    """Flags back to booleans, dates back to timestamps (a frame read from the log)."""
    frame = frame.copy()
    for col in (FLAGS - set(counts)) & set(frame.columns):
        frame[col] = frame[col].map(lambda v: None if v is None else bool(v)).astype(object)
    for col in {"first_risk_week", "act_by", "week", "new_start"} & set(frame.columns):
        frame[col] = pd.to_datetime(frame[col], errors="coerce")
    return frame


# zlib level of the packed cover: 3 deflates the cover of a 10,000 sku-location run (4.7 MB
# of JSON) in a third of level 6's time for 22 % more bytes in the log (any level reads back)
COVER_LEVEL = 3


def pack_cover(cover: pd.DataFrame) -> str:
    """The cover frame as compressed JSON, base64 text (dates as ISO days; text, so the
    chain's canonical JSON of the row can hold it)."""
    text = {c: object for c, kind in cover.dtypes.items() if isinstance(kind, pd.StringDtype)}
    frame = cover.astype(text) if text else cover.copy()  # the same JSON, written faster
    if "week" in frame:  # each distinct week written once (dt.strftime writes every row)
        codes, weeks = pd.factorize(pd.to_datetime(frame["week"]).to_numpy())
        days = pd.DatetimeIndex(weeks).strftime("%Y-%m-%d").tolist()
        frame["week"] = np.array([*days, None], dtype=object)[codes]  # code -1 (NaT): null
    # to_json(orient="split", index=False), written without the slow to_dict pandas makes
    # of it first: the same text (tests/store/test_log_digest.py)
    columns = json.dumps([str(c) for c in frame.columns], separators=(",", ":"))
    doc = (f'{{"columns":{columns},"data":'
           f'{frame.to_json(orient="values", double_precision=10)}}}')
    return base64.b64encode(zlib.compress(doc.encode("utf-8"), COVER_LEVEL)).decode("ascii")


def unpack_cover(data: str) -> pd.DataFrame:
    text = zlib.decompress(base64.b64decode(data)).decode("utf-8")
    frame = pd.read_json(io.StringIO(text), orient="split", dtype=False)
    if "week" in frame:
        frame["week"] = pd.to_datetime(frame["week"])
    for col in ("action_id", "risk_id", "sku", "location"):
        if col in frame:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
            frame[col] = frame[col].map(lambda v: v if v is None else str(v))
    return frame
