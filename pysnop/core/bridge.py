"""The bridge: projected on-hand with promotion lift, and stockout risk (docs/semantics.md §1).

Everything is computed on whole (sku-location × week) arrays; the only Python loops build
warning messages for the records that need one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core import bridge_network as chain
from pysnop.core import calendar
from pysnop.core.bridge_math import Projection, project_kernel
from pysnop.core.demand import (CampaignGrid, KeyIndex, baseline_array, place_campaigns,
                                receipts_array, summarise, _row_or_none, _rows)
from pysnop.core.economics import attach_campaign_economics, bridge_economics
from pysnop.core.locations import has_network_data, resolve_network
from pysnop.core.model import STATUS_LABELS, BridgeResult, PlanInputs
from pysnop.core.network import Topology, reorder
from pysnop.core.network_check import network_supply_check
from pysnop.core.supply_check import campaign_supply_check
from pysnop.errors import Problem, raise_if_errors

def resolve_item_economics(inventory: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """unit_cost, unit_price, unit_margin, category per Inventory row.

    Inventory values win; Products fill the blanks; margin defaults to price − cost.
    """
    out = pd.DataFrame(index=inventory.index)
    for col in ("unit_cost", "unit_price", "unit_margin"):
        out[col] = pd.to_numeric(inventory[col], errors="coerce") if col in inventory else np.nan
    out["category"] = inventory["category"] if "category" in inventory else None
    if products is not None and len(products):
        prod = products.drop_duplicates("sku").set_index("sku")
        sku = inventory["sku"]
        # each Inventory row's Products row, looked up once for the three numbers
        at = pd.Index(prod.index, dtype=object).get_indexer(
            pd.Index(sku.to_numpy(dtype=object), dtype=object))
        found = at >= 0
        for col in ("unit_cost", "unit_price", "unit_margin"):
            if col in prod:
                listed = pd.to_numeric(prod[col], errors="coerce").to_numpy(dtype=float)
                own = out[col].to_numpy(dtype=float)
                fill = np.isnan(own) & found
                if fill.any():
                    own = own.copy()
                    own[fill] = listed[at[fill]]
                    out[col] = own
        if "category" in prod:
            out["category"] = out["category"].where(out["category"].notna(),
                                                    sku.map(prod["category"]))
    out["unit_margin"] = out["unit_margin"].fillna(out["unit_price"] - out["unit_cost"])
    return out


def run_bridge(inputs: PlanInputs) -> BridgeResult:
    """Project every sku-location of Inventory over the horizon and summarise its risk.

    With a network (a location fed by a DC) the fed rows and their DCs are projected by the
    distribution plan of docs/semantics.md §4; every other row as its §1.
    """
    settings = inputs.settings
    as_of = settings.resolved_as_of()
    horizon = int(settings.horizon_weeks)
    weeks = calendar.week_mondays(as_of, horizon)
    week0 = weeks[0]
    inv = inputs.inventory.reset_index(drop=True)
    layout = None
    warnings: list[Problem] = []
    if has_network_data(inv, inputs.locations):
        layout = resolve_network(inv, inputs.locations, inputs.products)
        raise_if_errors(layout.problems)
        warnings += layout.problems
        inv = chain.with_added_dcs(inv, layout)
    keys = pd.DataFrame({"sku": inv["sku"].astype(object), "location": inv["location"].astype(object),
                         "row": _rows(inv),
                         "role": layout.role if layout is not None else "store"})
    n = len(keys)
    index = KeyIndex.of_frame(keys)  # one lookup for Forecast, Campaigns and Receipts

    baseline, baseline_warnings = baseline_array(inputs.forecast, keys, week0, horizon, index)
    warnings += baseline_warnings
    grid = place_campaigns(inputs.campaigns, keys, settings.count_statuses, week0, horizon,
                           index)
    warnings += grid.warnings
    receipts, receipt_warnings = receipts_array(inputs.receipts, keys, week0, horizon, index)
    warnings += receipt_warnings

    on_hand = _column(inv, "on_hand", 0.0)
    safety = _column(inv, "safety_stock", 0.0)
    p = project_kernel(baseline, grid.lift_factor(n), receipts, on_hand, safety,
                       settings.risk_buffer)
    lead = _column(inv, "lead_time_weeks", np.nan)
    net = topo = lost_weekly = None  # lost_weekly None: the flat lost-sales run of poh
    if layout is not None and layout.any_fed:
        topo = chain.topology(keys, layout)
        p, net, lost_weekly = chain.project(p, receipts, on_hand, topo)
        lead = chain.effective_lead(lead, topo)
    lift_units, poh = p.lift_units, p.poh

    economics = resolve_item_economics(inv, inputs.products)
    margin = economics["unit_margin"].to_numpy(dtype=float)
    summary, summary_warnings = _summarise(keys, weeks, p, margin, lead, grid, inputs.campaigns,
                                           topo)
    warnings += summary_warnings
    if layout is not None:
        for name, values in chain.chain_columns(keys, layout, p, net).items():
            summary[name] = values
    else:
        summary["role"], summary["supplied_by"] = "store", None
        summary["risk_cause"] = np.where(p.any_risk, chain.OWN, "").astype(object)
        summary["short_for"] = ""

    if net is not None and topo is not None:
        check = network_supply_check(
            inputs.campaigns, grid, keys=keys, weeks=weeks, baseline=baseline,
            receipts=receipts, on_hand=on_hand, safety=safety, margin=margin,
            risk_buffer=settings.risk_buffer, topology=topo)
    else:
        check = campaign_supply_check(
            inputs.campaigns, grid, keys=keys, weeks=weeks, baseline=baseline,
            lift_units=lift_units, receipts=receipts, poh=poh, safety=safety, margin=margin,
            risk_buffer=settings.risk_buffer)
    # promo margin, margin at risk by week and wasted spend (docs/semantics.md §5);
    # lost units week by week are the network's lost-sales run where there is one
    econ = bridge_economics(
        inputs.campaigns, grid, baseline=baseline, poh=poh,
        unit_price=economics["unit_price"].to_numpy(dtype=float),
        unit_cost=economics["unit_cost"].to_numpy(dtype=float), unit_margin=margin,
        lost_weekly=lost_weekly)
    summary["margin_at_risk"] = econ.margin_at_risk
    summary.insert(summary.columns.get_loc("margin_at_risk") + 1, "wasted_spend",
                   econ.wasted_spend)
    check = attach_campaign_economics(check, econ.campaigns)

    order = _risk_order(summary)

    def take(a: NDArray[Any]) -> NDArray[Any]:  # every array in the Bridge's row order
        return a[order]

    return BridgeResult(
        as_of=as_of, weeks=weeks, keys=keys.iloc[order].reset_index(drop=True),
        baseline=take(baseline), lift_units=take(lift_units), demand=take(p.demand),
        receipts=take(receipts), poh=take(poh), threshold=take(p.threshold),
        status=take(p.status), promo=take(grid.promo_mask(n)),
        summary=summary.iloc[order].reset_index(drop=True), campaign_check=check,
        warnings=warnings, lost_weekly=take(econ.lost_weekly),
        margin_weekly=take(econ.margin_weekly),
        network=reorder(net, order) if net is not None else None)


def _column(frame: pd.DataFrame, name: str, default: float) -> NDArray[np.float64]:
    if name not in frame:
        return np.full(len(frame), default)
    values: NDArray[np.float64] = pd.to_numeric(frame[name], errors="coerce").fillna(default) \
        .to_numpy(dtype=float)
    return values


def _summarise(keys: pd.DataFrame, weeks: pd.DatetimeIndex, p: Projection,
               margin: NDArray[np.float64], lead: NDArray[np.float64], grid: CampaignGrid,
               campaigns: pd.DataFrame, topo: Topology | None = None
               ) -> tuple[pd.DataFrame, list[Problem]]:
    n, horizon = p.poh.shape
    worst, any_risk, first_idx, lost = p.worst, p.any_risk, p.first_risk, p.lost
    week_days = weeks.to_numpy(dtype="datetime64[D]").astype(np.int64) if horizon else \
        np.zeros(1, np.int64)
    first_days = np.where(any_risk, week_days[first_idx] if horizon else 0, 0)
    first_risk = pd.Series(calendar.days_to_timestamps(first_days)).where(any_risk)

    # act_by = Monday of (first_risk_week − lead_time_weeks); blank lead time → blank act_by
    act_days = first_days - np.round(np.nan_to_num(lead, nan=0.0) * 7).astype(np.int64)
    act_days = act_days - ((act_days + 3) % 7)  # epoch day 0 is a Thursday; snap to Monday
    has_act = any_risk & ~np.isnan(lead)
    act_by = pd.Series(calendar.days_to_timestamps(act_days)).where(has_act)
    too_late = has_act & (act_days < (week_days[0] if horizon else 0))

    summary = pd.DataFrame({
        "sku": keys["sku"].to_numpy(dtype=object),
        "location": keys["location"].to_numpy(dtype=object),
        "status": STATUS_LABELS[worst],
        "first_risk_week": first_risk,
        "min_projected": p.min_projected,
        "shortfall_units": p.shortfall,
        "lost_units": lost,
        "margin_at_risk": lost * margin,
        "act_by": act_by,
        "too_late": too_late,
        "campaigns": _campaign_lists(grid, campaigns, n),
        "row": keys["row"].to_numpy(),
    })
    rows = keys["row"].to_numpy()
    no_margin = np.flatnonzero((lost > 0) & np.isnan(margin))
    no_lead = np.flatnonzero(any_risk & np.isnan(lead))
    sku, loc = summary["sku"].to_numpy(), summary["location"].to_numpy()
    warnings = summarise([
        Problem(f"no unit margin for sku {sku[j]} at {loc[j]}: margin_at_risk left blank",
                "Inventory", _row_or_none(rows[j]), severity="warning") for j in no_margin],
        "sku-locations without a margin", "Inventory")
    dc = topo.dc if topo is not None else np.full(n, -1)
    warnings += summarise([
        Problem(f"no lead_time_weeks for sku {sku[j]} at {loc[j]}: act_by left blank",
                "Inventory", _row_or_none(rows[j]), severity="warning")
        if dc[j] < 0 else
        Problem(f"no lead_time_weeks for sku {sku[j]} at DC {loc[dc[j]]}, which supplies "
                f"{loc[j]}: act_by left blank", "Inventory", _row_or_none(rows[dc[j]]),
                severity="warning")
        for j in no_lead], "at-risk sku-locations without a lead time", "Inventory")
    return summary, warnings


def _campaign_lists(grid: CampaignGrid, campaigns: pd.DataFrame, n: int) -> NDArray[np.object_]:
    """Comma-separated ids of the counted campaigns touching each sku-location in the horizon."""
    out = np.full(n, "", dtype=object)
    if len(grid.pair_campaign) == 0:
        return out
    c, i = grid.pair_campaign, grid.pair_key
    use = grid.counted[c] & (grid.frac[c].sum(axis=1) > 0)
    if not use.any():
        return out
    ids = campaigns["campaign_id"].to_numpy(dtype=object).astype(str)
    c, i = c[use], i[use]
    order = np.lexsort((c, i))  # by sku-location, then in Campaigns row order
    c, i = c[order], i[order]
    # an id listed once per sku-location, where it first comes
    _, first = np.unique(i * len(ids) + pd.factorize(ids)[0][c], return_index=True)
    keep = np.sort(first)
    c, i = c[keep], i[keep]
    starts = np.r_[0, np.flatnonzero(np.diff(i)) + 1]
    # "C1, C2": each id after a sku-location's first is preceded by ", ", and the texts of
    # a sku-location are added up by one reduceat over the (object) strings
    sep = np.full(len(c), ", ", dtype=object)
    sep[starts] = ""
    out[i[starts]] = np.add.reduceat(sep + ids[c].astype(object), starts)
    return out


def _risk_order(summary: pd.DataFrame) -> NDArray[np.intp]:
    """Worst first: STOCKOUT, then AT RISK, earliest risk week, most margin at risk (a
    blank week last), then Inventory order."""
    codes, labels = pd.factorize(summary["status"].to_numpy(dtype=object))
    rank = {"OK": 0.0, "AT RISK": -1.0, "STOCKOUT": -2.0}
    label_rank = np.array([rank.get(v, np.inf) for v in labels] + [np.inf])  # inf: last
    status = label_rank[codes]  # code -1 (blank) takes the last entry
    week = summary["first_risk_week"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    week = np.where(week == np.iinfo(np.int64).min, np.iinfo(np.int64).max, week)  # NaT last
    margin = -summary["margin_at_risk"].fillna(0.0).to_numpy(dtype=float)
    order: NDArray[np.intp] = np.lexsort((np.arange(len(summary)), margin, week, status))
    return order
