"""The Settings sheet: key/value rows, anywhere on the sheet, with an optional header row.

Keys pysnop knows are parsed into :class:`~pysnop.core.model.Settings`; the others are kept in
``Settings.extra``, looked up by :func:`extra_setting` (the one place a key is matched
loosely). Keys that later stages read from there (``schema.STAGE_SETTINGS``, the weights) get
no "unknown setting" warning.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from pysnop.core.model import LIFT_SOURCES, RECONCILIATION_METHODS, Settings
from pysnop.errors import Problem, show_value
from pysnop.workbook.read.cells import (
    LARGEST_NUMBER,
    Collector,
    date_of_value,
    parse_number_text,
    too_large,
)
from pysnop.workbook.read.dates import LATEST_AS_OF
from pysnop.workbook.read.grid import Grid, GridSource
from pysnop.workbook.read.layout import SheetLayout
from pysnop.workbook.read.schema import (
    CAMPAIGN_STATUSES,
    EXTRA_SETTINGS,
    is_stage_setting,
    norm,
    setting_key_map,
)

_HEADER_KEYS = {"key", "setting", "settings", "parameter", "name", "option"}
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (
        isinstance(v, float) and v != v)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return parse_number_text(v)
    return None


def _parse(key: str, v: Any) -> tuple[Any, str | None]:
    """(value, None) or (None, reason)."""
    got = show_value(v)
    if key == "as_of":
        d, reason = date_of_value(v)
        if d is not None and d > LATEST_AS_OF:
            return None, (f"the planning date {d.isoformat()} is beyond the last one pysnop "
                          f"can plan from ({LATEST_AS_OF.isoformat()}); type the date to "
                          "plan from, or leave it blank for today")
        return (d, None) if d is not None else (None, reason)
    if key in ("horizon_weeks", "transfer_lead_weeks", "expedite_min_weeks",
               "expedite_max_weeks", "max_move_weeks"):
        f = _number(v)
        if f is None or not float(f).is_integer():
            return None, f"expected a whole number of weeks, got {got}"
        lo, hi = (1, 104) if key == "horizon_weeks" else (0, 104)
        if not lo <= f <= hi:
            return None, f"must be between {lo} and {hi}, got {got}"
        return int(f), None
    if key in ("risk_buffer", "expedite_cost_per_unit", "divergence_threshold",
               "transfer_cost_per_unit"):
        f = _number(v)
        if f is None and isinstance(v, str) and v.strip().endswith("%"):
            p = parse_number_text(v.strip()[:-1])
            f = None if p is None else p / 100
        if f is None or not math.isfinite(f):
            return None, f"expected a number, got {got}"
        if abs(f) > LARGEST_NUMBER:
            return None, too_large(v)
        if key == "divergence_threshold" and f <= 0:
            return None, f"must be greater than 0, got {got}"
        if f < 0:
            return None, f"must not be negative, got {got}"
        return f, None
    if key == "count_statuses":
        canon = {s.lower(): s for s in CAMPAIGN_STATUSES}
        parts = [p.strip() for p in str(v).replace(";", ",").split(",") if p.strip()]
        return tuple(canon.get(p.lower(), p) for p in parts), None
    if key == "nonnegative":
        if isinstance(v, bool):
            return v, None
        text = norm(v) if isinstance(v, str) else (str(int(v)) if isinstance(
            v, (int, float)) and float(v) in (0.0, 1.0) else "")
        if text in _TRUE or text in _FALSE:
            return text in _TRUE, None
        return None, f"expected TRUE or FALSE, got {got}"
    if key == "lift_source":
        m = norm(v)
        if m not in LIFT_SOURCES:
            return None, f"expected one of {', '.join(LIFT_SOURCES)}, got {got}"
        return m, None
    if key == "reconciliation":
        m = norm(v)
        if m not in RECONCILIATION_METHODS:
            return None, (f"expected one of {', '.join(RECONCILIATION_METHODS)}, got {got}")
        return m, None
    return v, None


def read_settings(grid: Grid, out: Collector) -> tuple[Settings, SheetLayout]:
    kmap = setting_key_map()
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    extra: dict[str, Any] = {}
    header_row = grid.first_row
    in_block, saw_blank, started = True, False, False
    key_col = grid.first_col
    last_row = grid.first_row - 1
    for i, row in enumerate(grid.rows):
        r = grid.first_row + i
        j = next((j for j, v in enumerate(row) if not _blank(v)), None)
        if j is None:
            saw_blank = started
            continue
        c = grid.first_col + j
        raw_key = row[j]
        value = row[j + 1] if j + 1 < len(row) else ""
        key = norm(raw_key) if isinstance(raw_key, str) else ""
        canon = kmap.get(key)
        if canon is None:
            if not started and key in _HEADER_KEYS and norm(value) == "value":
                header_row, key_col, started = r, c, True
                continue
            if saw_blank:
                in_block = False  # a different block (e.g. Approvers) starts here
            if in_block and not _blank(value) and key:
                started = True
                extra[str(raw_key).strip()] = value
                if not is_stage_setting(raw_key):
                    out.add(Problem("unknown setting, kept but not used", grid.sheet, r, c,
                                    str(raw_key).strip(), value, "warning"))
                last_row = r
            continue
        if not started:
            header_row, key_col, started = r, c, True
        saw_blank = False
        last_row = r
        if canon in seen:
            out.add(Problem(f"setting given twice (also row {seen[canon]})", grid.sheet, r, c,
                            str(raw_key).strip(), value))
            continue
        seen[canon] = r
        if _blank(value):
            continue
        parsed, reason = _parse(canon, value)
        if reason is not None:
            out.add(Problem(reason, grid.sheet, r, c + 1, canon, value))
        elif canon in EXTRA_SETTINGS:
            extra[canon] = parsed
        else:
            values[canon] = parsed
    settings = dataclasses.replace(Settings(), **values, extra=extra)
    layout = SheetLayout(grid.sheet, header_row, {"key": key_col, "value": key_col + 1},
                         {"key": "key", "value": "value"}, key_col + 1,
                         max(last_row, header_row), None)
    return settings, layout


def extra_setting(extra: Mapping[str, Any] | None, key: str) -> Any:
    """The value of Settings key ``key`` among the keys pysnop does not parse itself
    (``Settings.extra``), matched as headers are (:func:`~pysnop.workbook.read.schema.norm`);
    None when absent."""
    wanted = norm(key)
    for raw, value in (extra or {}).items():
        if norm(raw) == wanted:
            return value
    return None


def settings_extra(source: GridSource) -> dict[str, Any]:
    """``Settings.extra`` of a workbook, reading only its Settings sheet (where
    ``decision_log`` lives), for the operations that do not read the whole plan."""
    sheet = next((n for n in source.sheet_names() if norm(n) == "settings"), None)
    if sheet is None:
        return {}
    settings, _ = read_settings(source.grid(sheet), Collector())
    return dict(settings.extra)


__all__ = ["extra_setting", "read_settings", "settings_extra"]
