"""Hand-built BridgeResults and workbooks for the writer tests (no engine needed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pysnop.core.model import BridgeResult

AS_OF = dt.date(2026, 3, 4)
WEEKS = pd.date_range("2026-03-02", periods=4, freq="7D")
CHECK_COLUMNS = ["campaign_id", "row", "supply_status", "coverage", "max_supportable_lift",
                 "earliest_safe_start", "margin_at_risk", "note"]


@dataclass
class Layout:
    """Stand-in for pysnop.workbook.read.reader.SheetLayout (duck-typed by the writer)."""

    name: str
    header_row: int
    last_col: int
    last_row: int
    columns: dict = field(default_factory=dict)
    headers: list = field(default_factory=list)
    table: str | None = None


def make_result(rows=None, *, check=None, summary_order=None) -> BridgeResult:
    """rows: (sku, location, poh list, threshold, promo list); status derived from poh."""
    if rows is None:
        rows = [
            ("00123", "S1", [50, 30, 10, 5], 8, [False, True, True, False]),   # AT RISK
            ("00456", "S2", [20, 5, -3, -10], 4, [False, False, True, False]),  # STOCKOUT
            ("00789", "S1", [90, 80, 70, 60], 5, [False, False, False, False]),  # OK
        ]
    n, h = len(rows), len(WEEKS)
    keys = pd.DataFrame({"sku": [r[0] for r in rows], "location": [r[1] for r in rows],
                         "row": range(2, n + 2)})
    poh = np.array([r[2] for r in rows], dtype=float)
    thr = np.array([[r[3]] * h for r in rows], dtype=float)
    promo = np.array([r[4] for r in rows], dtype=bool)
    status = np.where(poh < 0, 2, np.where(poh < thr, 1, 0)).astype(np.int8)
    labels = np.array(["OK", "AT RISK", "STOCKOUT"], dtype=object)
    worst = status.max(axis=1)
    first = [WEEKS[int(np.argmax(s > 0))] if s.max() > 0 else pd.NaT for s in status]
    summary = pd.DataFrame({
        "sku": keys["sku"], "location": keys["location"], "status": labels[worst],
        "first_risk_week": first, "min_projected": poh.min(axis=1),
        "shortfall_units": np.maximum(0, (thr - poh).max(axis=1)),
        "lost_units": np.maximum(0, -poh.min(axis=1)),
        "margin_at_risk": np.maximum(0, -poh.min(axis=1)) * 2.5,
        "act_by": [f - pd.Timedelta(days=21) if f is not pd.NaT else pd.NaT for f in first],
        "too_late": [f is not pd.NaT and (f - pd.Timedelta(days=21)) < WEEKS[0] for f in first],
        "campaigns": ["SPRING" if p.any() else None for p in promo],
    })
    order = summary_order if summary_order is not None else (
        sorted(range(n), key=lambda i: (-worst[i], poh[i].min())))
    summary = summary.iloc[list(order)].reset_index(drop=True)
    if check is None:
        check = pd.DataFrame({c: pd.Series(dtype=object) for c in CHECK_COLUMNS})
    zeros = np.zeros((n, h))
    return BridgeResult(as_of=AS_OF, weeks=WEEKS, keys=keys, baseline=zeros + 10,
                        lift_units=zeros, demand=zeros + 10, receipts=zeros, poh=poh,
                        threshold=thr, status=status, promo=promo, summary=summary,
                        campaign_check=check)


def make_check(rows, statuses=("STOCKOUT", "OK"), ids=None) -> pd.DataFrame:
    k = len(rows)
    return pd.DataFrame({
        "campaign_id": list(ids or [f"C{i}" for i in range(k)]),
        "row": list(rows),
        "supply_status": list(statuses)[:k],
        "coverage": [0.8, 1.2, 1.0][:k],
        "max_supportable_lift": [0.15, 0.35, 0.2][:k],
        "earliest_safe_start": [pd.Timestamp("2026-03-23"), pd.NaT, pd.NaT][:k],
        "margin_at_risk": [125.5, 0.0, 0.0][:k],
        "learned_lift": [0.42, float("nan"), float("nan")][:k],
        "learned_from": ["3 past campaigns of the same sku", None, None][:k],
        "wasted_spend": [250.0, 0.0, float("nan")][:k],
        "note": ["reduce lift", None, None][:k],
    })


def write_results(src, dest, result, *, campaigns_layout, warnings, backup=True) -> None:
    """What a recalc writes for ``result``: the bridge's sheets (Bridge, Bridge Chart,
    Campaigns supply check) and the Issues sheet, merged into a copy of ``src`` at ``dest``."""
    from pysnop.pipeline.stages import bridge_renderer
    from pysnop.workbook.render.issues import issues_renderer
    from pysnop.workbook.writer import write_workbook

    write_workbook(src, dest, [
        bridge_renderer(result, campaigns_layout=campaigns_layout),
        issues_renderer([*warnings, *(getattr(result, "warnings", None) or [])])],
        backup=backup)
