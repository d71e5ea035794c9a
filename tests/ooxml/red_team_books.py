"""The planning workbook the red-team tests start from, and the checks they share.

The plan (hand-worked): as of Wednesday 2026-11-18, 4 weeks from Monday 2026-11-16.
A1@S1: 30 on hand, baseline 10 a week, campaign C1 +50% over 2026-11-23..29 (week 1):
demand 10, 15, 10, 10; POH 20, 5, -5, -15 -> STOCKOUT, first risk week 2026-11-30.
B2@S1: 100 on hand, 5 a week: POH 95, 90, 85, 80 -> OK.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ooxml_corpus import calamine_values
from ooxml_validator import validate

D = dt.date
AS_OF = D(2026, 11, 18)
WEEKS = [D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30), D(2026, 12, 7)]
FIRST_RISK = D(2026, 11, 30)


def plan_sheets(**extra) -> dict[str, list[list]]:
    sheets = {
        "Settings": [["key", "value"], ["as_of", AS_OF], ["horizon_weeks", 4]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift"],
                      ["C1", "A1", D(2026, 11, 23), D(2026, 11, 29), 0.5]],
        "Inventory": [["sku", "location", "on_hand"], ["A1", "S1", 30], ["B2", "S1", 100]],
        "Forecast": [["sku", "location", "week", "units"]]
        + [["A1", "S1", w, 10] for w in WEEKS] + [["B2", "S1", w, 5] for w in WEEKS],
    }
    sheets.update(extra)
    return sheets


def statuses(report) -> dict[str, str]:
    return report.result.summary.set_index("sku")["status"].to_dict()


def assert_sound(path: Path, before: bytes | None = None) -> None:
    """The output validates (no problem the input did not have) and calamine opens it."""
    known = set(validate(before)) if before is not None else set()
    assert [p for p in validate(Path(path).read_bytes()) if p not in known] == []
    values = calamine_values(Path(path).read_bytes())
    assert "Bridge" in values


def bridge_rows(path: Path) -> list[list]:
    """The Bridge sheet's data rows (below its header row, the one starting with "sku")."""
    rows = calamine_values(Path(path).read_bytes())["Bridge"]
    start = next(i for i, r in enumerate(rows) if r and r[0] == "sku")
    return [r for r in rows[start + 1:] if any(v not in ("", None) for v in r)]


def bridge_header(path: Path) -> list:
    rows = calamine_values(Path(path).read_bytes())["Bridge"]
    return next(r for r in rows if r and r[0] == "sku")
