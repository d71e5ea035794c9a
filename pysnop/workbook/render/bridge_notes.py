"""What the Bridge sheet shows beside its table: the wasted spend of the campaigns in its
title block, and the DEMAND SHIFT rows below the table (docs/semantics.md, promotion
economics and demand sensing).

Both draw on the Bridge sheet the bridge renderer made on the same canvas, so they are
added after it (and do nothing when it is not there).
"""

from __future__ import annotations

import math

import pandas as pd

from pysnop.workbook.ooxml.xlcells import NOTE_FONT, put
from pysnop.workbook.render.bridge import BRIDGE_SHEET
from pysnop.workbook.render.canvas import Canvas, Renderer
from pysnop.workbook.render.signals import Signals, write_bridge_shifts

WASTED_ROW = 3  # the title block: title (1), legend (2), this line (3), header (4)
NAMED = 6  # campaigns named on the line; the rest are counted


def _money(value: float) -> str:
    return f"{value:,.2f}"


def wasted_spend_line(campaigns: pd.DataFrame) -> str | None:
    """One line for the title block, or None when no campaign on the Bridge has a spend.

    campaigns: campaign_id, spend, wasted_spend, unserved_lift_share — the counted
    campaigns the Bridge projects (their wasted spend is the Bridge rows' sum).
    """
    use = campaigns[pd.to_numeric(campaigns["wasted_spend"], errors="coerce").notna()]
    if len(use) == 0:
        return None
    wasted = pd.to_numeric(use["wasted_spend"]).to_numpy(dtype=float)
    spend = pd.to_numeric(use["spend"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    total = float(wasted.sum())
    head = (f"Wasted spend {_money(total)} of {_money(float(spend.sum()))} marketing spend: "
            "the share behind lift units supply cannot serve")
    if total <= 0:
        return f"{head}. Supply serves every lift unit of the {len(use)} campaign" \
               f"{'s' if len(use) != 1 else ''} with a spend."
    ranked = use.assign(_w=wasted).sort_values("_w", ascending=False, kind="stable")
    ranked = ranked[ranked["_w"] > 0]
    parts = []
    for rec in ranked.head(NAMED).to_dict("records"):
        share = rec.get("unserved_lift_share")
        pct = "" if share is None or (isinstance(share, float) and math.isnan(share)) else \
            f" ({float(share):.0%} of its lift unserved)"
        parts.append(f"{rec['campaign_id']} {_money(float(rec['_w']))}{pct}")
    more = len(ranked) - NAMED
    tail = f" · and {more} more (Campaigns: Supply: wasted spend)" if more > 0 else ""
    return f"{head} — {' · '.join(parts)}{tail}"


def wasted_spend_renderer(campaigns: pd.DataFrame) -> Renderer:
    """The wasted-spend line in the Bridge's title block."""
    line = wasted_spend_line(campaigns)

    def render(canvas: Canvas) -> None:
        if line is None or BRIDGE_SHEET not in canvas.wb.sheetnames:
            return
        put(canvas.wb[BRIDGE_SHEET], WASTED_ROW, 1, line, canvas.styles.get(font=NOTE_FONT))
    return render


def demand_shift_renderer(signals: Signals) -> Renderer:
    """The DEMAND SHIFT rows below the Bridge table."""
    def render(canvas: Canvas) -> None:
        if BRIDGE_SHEET not in canvas.wb.sheetnames:
            return
        write_bridge_shifts(canvas.wb[BRIDGE_SHEET], signals, canvas.styles, first_row=0)
    return render


__all__ = ["demand_shift_renderer", "wasted_spend_line", "wasted_spend_renderer"]
