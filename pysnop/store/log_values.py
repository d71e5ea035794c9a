"""How the decision log stores values: the columns of its tables and each value's stored
form (numbers as finite floats, whole numbers, flags as 0/1, dates and text as ISO text),
read back into typed frames; the cover frame packed as compressed JSON text."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import math
import zlib
from collections.abc import Collection
from typing import Any

import pandas as pd

from pysnop.core.values import is_blank

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


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")``, its text columns walked as plain objects (pandas walks a
    string array one boxed element at a time; the values are the same)."""
    text = {c: object for c, kind in frame.dtypes.items() if isinstance(kind, pd.StringDtype)}
    return (frame.astype(text) if text else frame).to_dict("records")


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


def pack_cover(cover: pd.DataFrame) -> str:
    """The cover frame as compressed JSON, base64 text (dates as ISO days; text, so the
    chain's canonical JSON of the row can hold it)."""
    text = {c: object for c, kind in cover.dtypes.items() if isinstance(kind, pd.StringDtype)}
    frame = cover.astype(text) if text else cover.copy()  # the same JSON, written faster
    if "week" in frame:
        frame["week"] = pd.to_datetime(frame["week"]).dt.strftime("%Y-%m-%d")
    text = frame.to_json(orient="split", index=False, double_precision=10)
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


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
