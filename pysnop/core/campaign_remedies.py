"""Marketing remedies for a campaign supply can't carry: REDUCE_LIFT, MOVE_WINDOW, SHIFT_SKU.

Each is valued at the campaign's scoped sku-locations against the projection *with* the
campaign as planned (a Draft is judged as if confirmed, like the supply check): the remedy's
demand change is applied to those rows and the lost-sales run repeated.

REDUCE_LIFT  cap the lift at the supply check's max supportable lift.
             margin_protected = lost units avoided × unit margin;
             cost = forgone incremental (promo) units in the horizon × unit margin.
             net = protected − cost is then exactly the change in margin earned, which is never
             positive: a cut promo unit earns nothing, a lost sale avoided earns one margin. Its
             benefit is the stockout avoided, so it ranks below remedies that cost nothing.
MOVE_WINDOW  start at the supply check's earliest safe start (same duration); cost 0.
SHIFT_SKU    feature another SKU of the same category (Inventory, else Products) instead: one
             stocked at every scoped location whose projection stays at or above threshold in
             every week the same lift touches (the supply-check rule: poh − λ·Σ added ≥
             safety + risk_buffer·lift units). The one with the most spare cover (largest
             smallest slack) wins. Value = lost margin avoided on the original SKU; cost 0 (the
             promo margin moves to the alternative).
qty: REDUCE_LIFT the forgone promo units; MOVE_WINDOW the promo units moved; SHIFT_SKU the
promo units the alternative will carry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.core import calendar
from pysnop.core.action_context import (MARKETING, UNIT_EPS, ActionContext, day, lost_units,
                                        percent, units)
from pysnop.core.bridge_math import DECIMALS

SLACK_TOL = 1e-9


def propose_campaign_remedies(ctx: ActionContext) -> list[dict]:
    grid, check = ctx.grid, ctx.result.campaign_check
    camps = ctx.inputs.campaigns
    out: list[dict] = []
    if len(camps) == 0 or len(grid.pair_campaign) == 0:
        return out
    checked = check["supply_status"].notna().to_numpy() & (grid.lift > 0)
    for c in np.flatnonzero(checked):
        pairs = grid.pair_key[grid.pair_campaign == c]
        if len(pairs) == 0:
            continue
        out += _remedies_for(ctx, int(c), pairs, check.iloc[c], camps.iloc[c])
    return out


def _remedies_for(ctx: ActionContext, c: int, i: np.ndarray, chk, camp) -> list[dict]:
    res, grid = ctx.result, ctx.grid
    lam = float(grid.lift[c])
    added = res.baseline[i] * grid.frac[c]
    cum = np.cumsum(added, axis=1)
    poh_with = res.poh[i] - (0.0 if grid.counted[c] else lam * cum)
    lost_with = lost_units(poh_with)
    margin = ctx.margin[i]
    start, end = pd.Timestamp(camp["start"]), pd.Timestamp(camp["end"])
    name = ctx.campaign_names.get(camp["campaign_id"], camp["campaign_id"])
    out = []

    def record(kind, avoided, *, qty, week, cost, reason, alt_sku=None, new_lift=np.nan,
               new_start=pd.NaT):
        saved = np.maximum(avoided, 0.0)
        at = [str(v) for v in ctx.location[i][saved > UNIT_EPS]]
        return {"type": kind, "owner": MARKETING, "sku": camp["sku"],
                "location": ", ".join(at) or None, "from_location": None,
                "campaign_id": camp["campaign_id"], "po_id": None, "alt_sku": alt_sku,
                "qty": float(qty), "week": week, "cost": float(cost),
                "units_protected": float(saved.sum()),
                "margin_protected": float((saved * margin).sum()), "reason": reason,
                "new_lift": new_lift, "new_start": new_start}

    def where(avoided) -> str:
        at = [str(v) for v in ctx.location[i][avoided > UNIT_EPS]]
        return ", ".join(at) if at else "its locations"

    capped = float(chk["max_supportable_lift"])
    if np.isfinite(capped) and capped < lam:
        cut = lam - capped
        avoided = lost_with - lost_units(poh_with + cut * cum)
        forgone = cut * added.sum(axis=1)
        out.append(record(
            "REDUCE_LIFT", avoided, qty=forgone.sum(), week=calendar.monday_of(start),
            cost=(forgone * margin).sum(), new_lift=capped,
            reason=(f"Cap campaign {name} at {percent(capped)} lift"
                    f"{' (no promotion)' if capped <= 0 else ''} instead of {percent(lam)}: "
                    f"supply at {where(avoided)} cannot carry more, so "
                    f"{units(avoided.sum())} lost sales are avoided for "
                    f"{units(forgone.sum())} promo units given up.")))

    safe = chk["earliest_safe_start"]
    if pd.notna(safe) and pd.Timestamp(safe) > start:
        shift = pd.Timestamp(safe) - start
        frac = calendar.overlap_fraction(calendar.to_days([start + shift]),
                                         calendar.to_days([end + shift]), ctx.week0, ctx.horizon)
        moved = res.baseline[i] * frac
        poh_new = poh_with + lam * (cum - np.cumsum(moved, axis=1))
        avoided = lost_with - lost_units(poh_new)
        out.append(record(
            "MOVE_WINDOW", avoided, qty=lam * added.sum(), week=calendar.monday_of(safe),
            cost=0.0, new_start=pd.Timestamp(safe),
            reason=(f"Start campaign {name} on {day(safe)} instead of {day(start)}: supply at "
                    f"{where(avoided)} carries it then, avoiding {units(avoided.sum())} "
                    f"lost sales.")))

    alt = _best_alternative(ctx, c, i, lam)
    if alt is not None:
        alt_sku, carried = alt
        avoided = lost_with - lost_units(poh_with + lam * cum)
        category = ctx.category[i[0]]
        out.append(record(
            "SHIFT_SKU", avoided, qty=carried, week=calendar.monday_of(start), cost=0.0,
            alt_sku=alt_sku,
            reason=(f"Feature {alt_sku} instead of {camp['sku']} in campaign {name} (same "
                    f"category {category}): its stock at {where(avoided)} carries the "
                    f"+{percent(lam)} lift, avoiding {units(avoided.sum())} lost sales of "
                    f"{camp['sku']}.")))
    return out


def _category_rows(ctx: ActionContext, category, locs: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The category's SKUs (sorted) and their Bridge row at each of ``locs`` (-1: not stocked).

    Cached per (category, locations): campaigns of a category mostly share their scope, and
    this lookup would otherwise be repeated for every campaign.
    """
    cache = ctx.__dict__.setdefault("_category_rows", {})
    key = (category, locs)
    if key not in cache:
        skus = np.array(sorted(set(ctx.sku[ctx.category == category]), key=str), dtype=object)
        rows = ctx.row_of(np.repeat(skus, len(locs)), np.tile(np.array(locs, dtype=object),
                                                             len(skus)))
        cache[key] = (skus, rows.reshape(len(skus), len(locs)))
    return cache[key]


def _best_alternative(ctx: ActionContext, c: int, i: np.ndarray, lam: float):
    """(sku, promo units it carries) of the same-category SKU with most spare cover, or None."""
    category = ctx.category[i[0]]
    if category is None:
        return None
    sku = ctx.sku[i[0]]
    locs = ctx.location[i]
    everyone, all_rows = _category_rows(ctx, category, tuple(locs))
    keep = everyone != sku
    candidates = list(everyone[keep])
    if not candidates:
        return None
    rows = all_rows[keep]
    stocked = (rows >= 0).all(axis=1)
    if not stocked.any():
        return None
    res = ctx.result
    j = np.where(rows >= 0, rows, 0)
    added = res.baseline[j] * ctx.grid.frac[c]  # (alternative, location, week)
    cum = np.cumsum(added, axis=2)
    affected = (cum > 0) | (added > 0)
    rb = float(ctx.inputs.settings.risk_buffer)
    slack = np.round(res.poh[j] - res.threshold[j] - lam * (cum + rb * added), DECIMALS)
    cover = np.where(affected, slack, np.inf).min(axis=(1, 2))
    ok = stocked & (cover >= -SLACK_TOL) & affected.any(axis=(1, 2))
    if not ok.any():
        return None
    best = int(np.flatnonzero(ok)[np.argmax(cover[ok])])
    return candidates[best], float(lam * added[best].sum())
