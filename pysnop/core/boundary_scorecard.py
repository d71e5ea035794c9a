"""The quarterly scorecard's boundary figures (docs/semantics.md §5, quarterly boundary
scorecard): margin leaked at the marketing–supply boundary, wasted spend, and lead time won.

- Lost promo units (past weeks): in a stockout week (Actuals ``stockout`` TRUE or
  ``on_hand_end`` ≤ 0) the units lost are max(0, forecast demand − actual), the forecast
  demand being the past baseline (:mod:`pysnop.core.past_weeks`) × (1 + Σ planned lift ×
  frac). Only weeks a counted campaign touches count as promo weeks; they are valued at the
  week's unit margin (the promo margin, :mod:`pysnop.core.economics`). Quarter = the week's.
- Expedite and transfer cost: Σ cost of EXPEDITE and TRANSFER actions whose status is
  Approved or Exported, in the quarter of their week.
- margin leaked = lost promo margin + expedite cost + transfer cost.
- Wasted spend (realised): each past counted campaign's spend × its lift units lost ÷ its lift
  units over the Actuals weeks (lift served last, as in the bridge), in the quarter of the
  campaign's start.
- Lead time won, from the risk history (one row per run and risk: as_of, sku, location,
  first_risk_week, lead_time_weeks): a risk is a sku × location × first risk week; its first
  flag is the earliest run reporting it; lead = weeks from that run's as-of Monday to the
  first risk week; flagged in time when lead ≥ the lead_time_weeks of that first run (risks
  with no lead time are not judged). Quarter = the first risk week's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from pysnop.core.bridge import resolve_item_economics
from pysnop.core.consensus import monday
from pysnop.core.demand import place_campaigns
from pysnop.core.economics import bridge_economics
from pysnop.core.learned_lift import planned_campaigns
from pysnop.core.model import PlanInputs
from pysnop.core.past_weeks import actual_grid, actual_span, past_forecast

Floats = npt.NDArray[np.float64]

COUNTED_ACTIONS = ("approved", "exported")
QUARTER_COLUMNS = ["quarter", "lost_promo_units", "lost_promo_margin", "expedite_cost",
                   "transfer_cost", "margin_leaked", "wasted_spend", "risks",
                   "mean_lead_weeks", "flagged_in_time", "share_flagged_in_time"]


def quarter_of(values: pd.Series | pd.Index | npt.NDArray[np.datetime64]) \
        -> npt.NDArray[np.object_]:
    """``2026Q4`` for each date."""
    return np.asarray(pd.DatetimeIndex(values).to_period("Q").astype(str), dtype=np.object_)


def past_promo_losses(inputs: PlanInputs, history: pd.DataFrame | None = None) \
        -> tuple[pd.DataFrame, pd.DataFrame]:
    """(weekly, campaigns) for the Actuals weeks before the as-of week.

    weekly: week, quarter, lost_promo_units, lost_promo_margin (promo weeks only).
    campaigns: campaign_id, quarter (of its start), lift_units, unserved_lift_units,
    wasted_spend — counted campaigns that touch the Actuals weeks.
    Past weeks are judged with marketing's planned lift (``planned_lift`` where present).
    """
    weekly_cols = ["week", "quarter", "lost_promo_units", "lost_promo_margin"]
    camp_cols = ["campaign_id", "quarter", "lift_units", "unserved_lift_units", "wasted_spend"]
    act = inputs.actuals
    inv = inputs.inventory.reset_index(drop=True)
    span = actual_span(act, pd.Timestamp(inputs.settings.resolved_as_of()))
    if span is None or len(inv) == 0:
        return pd.DataFrame(columns=weekly_cols), pd.DataFrame(columns=camp_cols)
    first, n_weeks = span
    keys = pd.DataFrame({"sku": inv["sku"].astype(object),
                         "location": inv["location"].astype(object)})
    n = len(keys)
    campaigns_in = planned_campaigns(inputs.campaigns)
    grid = place_campaigns(campaigns_in, keys, inputs.settings.count_statuses, first, n_weeks)
    units, stockout = actual_grid(act, keys, first, n_weeks)
    base = past_forecast(inputs.forecast, history, keys, first, n_weeks)[0]
    demand = base * (1.0 + grid.lift_factor(n))
    lost = np.where(stockout & ~np.isnan(units) & ~np.isnan(demand),
                    np.maximum(0.0, np.nan_to_num(demand) - np.nan_to_num(units)), 0.0)
    econ_items = resolve_item_economics(inv, inputs.products)
    econ = bridge_economics(
        campaigns_in, grid, baseline=np.nan_to_num(base), poh=np.zeros((n, n_weeks)),
        unit_price=econ_items["unit_price"].to_numpy(dtype=float),
        unit_cost=econ_items["unit_cost"].to_numpy(dtype=float),
        unit_margin=econ_items["unit_margin"].to_numpy(dtype=float), lost_weekly=lost)
    promo = grid.promo_mask(n)
    promo_lost = np.where(promo, lost, 0.0)
    money = np.where(promo_lost > 0, promo_lost * np.nan_to_num(econ.margin_weekly), 0.0)
    week_index = pd.date_range(first, periods=n_weeks, freq="7D")
    weekly = pd.DataFrame({"week": week_index, "quarter": quarter_of(week_index),
                           "lost_promo_units": promo_lost.sum(axis=0),
                           "lost_promo_margin": money.sum(axis=0)})
    c = econ.campaigns
    keep = grid.counted & c["lift_units"].notna().to_numpy()
    campaigns = pd.DataFrame({
        "campaign_id": campaigns_in["campaign_id"].to_numpy(dtype=object)[keep],
        "quarter": quarter_of(pd.to_datetime(campaigns_in["start"]).to_numpy()[keep]),
        "lift_units": c["lift_units"].to_numpy()[keep],
        "unserved_lift_units": c["unserved_lift_units"].to_numpy()[keep],
        "wasted_spend": c["wasted_spend"].to_numpy()[keep]})
    return weekly[weekly_cols], campaigns[camp_cols]


def action_costs(actions: pd.DataFrame | None) -> pd.DataFrame:
    """Per quarter: expedite_cost and transfer_cost of Approved / Exported actions."""
    cols = ["quarter", "expedite_cost", "transfer_cost"]
    if actions is None or len(actions) == 0:
        return pd.DataFrame(columns=cols)
    status = actions["status"].astype(str).str.strip().str.casefold()
    kind = actions["type"].astype(str).str.strip().str.upper()
    use = status.isin(COUNTED_ACTIONS).to_numpy() & kind.isin(["EXPEDITE", "TRANSFER"]) \
        .to_numpy() & pd.to_datetime(actions["week"], errors="coerce").notna().to_numpy()
    a = actions[use]
    cost = pd.to_numeric(a["cost"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    frame = pd.DataFrame({"quarter": quarter_of(pd.to_datetime(a["week"])),
                          "expedite_cost": np.where(kind[use] == "EXPEDITE", cost, 0.0),
                          "transfer_cost": np.where(kind[use] == "TRANSFER", cost, 0.0)})
    return frame.groupby("quarter", sort=True)[cols[1:]].sum().reset_index()[cols]


def lead_time_won(risk_history: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(risks, quarterly) from the risk history.

    risks: sku, location, first_risk_week, first_flagged (the first run's as-of Monday),
    lead_weeks, lead_time_weeks, in_time (bool; None when the lead time is unknown), quarter.
    quarterly: quarter, risks, mean_lead_weeks, flagged_in_time, share_flagged_in_time (over
    the risks whose lead time is known).
    """
    risk_cols = ["sku", "location", "first_risk_week", "first_flagged", "lead_weeks",
                 "lead_time_weeks", "in_time", "quarter"]
    q_cols = ["quarter", "risks", "mean_lead_weeks", "flagged_in_time",
              "share_flagged_in_time"]
    if risk_history is None or len(risk_history) == 0:
        return pd.DataFrame(columns=risk_cols), pd.DataFrame(columns=q_cols)
    h = pd.DataFrame({
        "sku": risk_history["sku"].astype(str).to_numpy(),
        "location": risk_history["location"].astype(str).to_numpy(),
        "first_risk_week": monday(risk_history["first_risk_week"].to_numpy()).to_numpy(),
        "flagged": monday(risk_history["as_of"].to_numpy()).to_numpy(),
        "lead_time_weeks": pd.to_numeric(risk_history["lead_time_weeks"], errors="coerce")
        .to_numpy(dtype=float)}).dropna(subset=["first_risk_week", "flagged"])
    h = h.sort_values("flagged", kind="stable")
    r = h.groupby(["sku", "location", "first_risk_week"], sort=True).first().reset_index()
    r = r.rename(columns={"flagged": "first_flagged"})
    r["lead_weeks"] = ((r["first_risk_week"] - r["first_flagged"]).dt.days // 7).astype(int)
    known = r["lead_time_weeks"].notna().to_numpy()
    in_time = (r["lead_weeks"].to_numpy() >= r["lead_time_weeks"].to_numpy())
    verdict = np.full(len(r), None, dtype=object)
    verdict[known] = in_time[known]
    r["in_time"] = pd.Series(verdict, dtype="object")
    r["quarter"] = quarter_of(r["first_risk_week"])
    g = r.assign(judged=known, won=known & in_time).groupby("quarter", sort=True).agg(
        risks=("sku", "size"), mean_lead_weeks=("lead_weeks", "mean"),
        flagged_in_time=("won", "sum"), judged=("judged", "sum")).reset_index()
    g["share_flagged_in_time"] = (g["flagged_in_time"] / g["judged"].where(g["judged"] > 0)) \
        .astype(float)
    return r[risk_cols], g[q_cols]


def boundary_quarterly(weekly_losses: pd.DataFrame, campaign_waste: pd.DataFrame,
                       actions: pd.DataFrame | None = None,
                       risk_history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per quarter: QUARTER_COLUMNS (every quarter any part has, sorted)."""
    lost = weekly_losses.groupby("quarter", sort=True)[
        ["lost_promo_units", "lost_promo_margin"]].sum()
    waste = campaign_waste.groupby("quarter", sort=True)["wasted_spend"] \
        .sum(min_count=1).to_frame()
    costs = action_costs(actions).set_index("quarter")
    lead = lead_time_won(risk_history)[1].set_index("quarter")
    out = pd.concat([lost, costs, waste, lead], axis=1).sort_index()
    for col in ("lost_promo_units", "lost_promo_margin", "expedite_cost", "transfer_cost",
                "risks", "flagged_in_time"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0.0) \
            if col in out.columns else 0.0
    out["margin_leaked"] = out["lost_promo_margin"] + out["expedite_cost"] + out["transfer_cost"]
    for col in QUARTER_COLUMNS[1:]:
        if col not in out.columns:
            out[col] = np.nan
    return out.rename_axis("quarter").reset_index()[QUARTER_COLUMNS]
