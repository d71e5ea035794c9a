"""Promotion economics: the promo margin, the margin of lost units, and wasted spend.

The rules are in docs/semantics.md (promotion economics); in short:

- A campaign's promo margin at a sku-location = its promo price (promo_price, else
  unit_price × (1 − discount), else unit_price) − unit_cost + funding. Without a promo price
  or discount it is the regular unit margin + funding.
- A week's unit margin is the mean margin of the units demanded in it: each counted campaign
  that touches the week contributes frac × (1 + lift) (its days' baseline and lift units, per
  unit of baseline) at its promo margin, the days no campaign covers contribute
  max(0, 1 − Σ frac) at the regular margin. A week fully inside one campaign earns exactly its
  promo margin; a week with no campaign the regular margin; overlapping campaigns blend by
  their units.
- margin at risk = Σ_w lost_weekly × margin_weekly.
- Lost units are lift units first ("lift is served last"): in a cell-week the lift units lost
  are min(lost, lift units), shared among the campaigns in the cell in proportion to their lift
  units. A campaign's unserved share = its lift units lost ÷ its lift units, both over its
  scoped sku-locations and the horizon weeks; wasted spend = spend × unserved share.

Everything works on (sku-location × week) arrays or (campaign-location pair × week) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from pysnop.core.bridge_math import DECIMALS, cumulative_lost
from pysnop.core.demand import CampaignGrid

Floats = npt.NDArray[np.float64]

ECONOMICS_COLUMNS = ["promo_margin", "lift_units", "unserved_lift_units",
                     "unserved_lift_share", "wasted_spend"]


def campaign_number(campaigns: pd.DataFrame, name: str) -> Floats:
    """A numeric Campaigns column as floats, NaN where blank or where the column is absent."""
    if name not in campaigns.columns:
        return np.full(len(campaigns), np.nan)
    values: Floats = pd.to_numeric(campaigns[name], errors="coerce").to_numpy(dtype=float)
    return values


def weekly_lost(poh: Floats) -> Floats:
    """Units lost in each week of the lost-sales run of a projection (stock never below 0).

    The week-on-week increase of max(0, −running min of poh): the flat projection's
    ``BridgeResult.lost_weekly``; its row sums are the summary's lost_units.
    """
    if poh.shape[-1] == 0:
        return np.zeros(poh.shape)
    cum = cumulative_lost(np.round(poh, DECIMALS))
    out = np.round(np.diff(cum, axis=-1, prepend=0.0), DECIMALS) + 0.0
    return np.asarray(out, dtype=np.float64)


def value_units(units_weekly: Floats, margin_weekly: Floats, *,
                unknown_margin: float = np.nan) -> Floats:
    """Σ_w units[w] × margin[w] per row: the money of units lost (or protected) by week.

    For a remedy, ``value_units(lost_before − lost_after, margin_weekly)`` is the margin it
    protects at the promo margin of the weeks it saves. A week with no units contributes 0
    whatever its margin; a week with units and an unknown (NaN) margin counts
    ``unknown_margin`` per unit (NaN by default, so the total is blank).
    """
    margin = np.where(np.isnan(margin_weekly), unknown_margin, margin_weekly)
    out: Floats = np.where(units_weekly != 0, units_weekly * margin, 0.0).sum(axis=-1)
    return out


# ---------------------------------------------------------------------------------------
# promo margin
# ---------------------------------------------------------------------------------------
def pair_promo_margin(campaigns: pd.DataFrame, grid: CampaignGrid, unit_price: Floats,
                      unit_cost: Floats, unit_margin: Floats) -> Floats:
    """The promo margin of each (campaign, sku-location) pair of ``grid``.

    unit_price, unit_cost, unit_margin: per sku-location row (NaN = unknown). A blank cost
    with a known price and margin is price − margin.
    """
    c, i = grid.pair_campaign, grid.pair_key
    promo_price = campaign_number(campaigns, "promo_price")[c]
    discount = campaign_number(campaigns, "discount")[c]
    funding = np.nan_to_num(campaign_number(campaigns, "funding")[c], nan=0.0)
    price, margin = unit_price[i], unit_margin[i]
    cost = np.where(np.isnan(unit_cost[i]), price - margin, unit_cost[i])
    sell = np.where(~np.isnan(promo_price), promo_price,
                    np.where(~np.isnan(discount), price * (1.0 - discount), np.nan))
    out: Floats = np.where(np.isnan(sell), margin, sell - cost) + funding
    return out


@dataclass
class MarginBlend:
    """The pieces of the weekly unit margin, kept so one campaign can be added to a cell.

    cover: Σ frac of the counted campaigns; weight: Σ frac × (1 + lift)⁺; value: Σ of weight
    × promo margin (0 where the weight is 0); regular: the regular unit margin per row.
    """

    cover: Floats
    weight: Floats
    value: Floats
    regular: Floats

    def margin(self, extra_cover: Floats | float = 0.0, extra_weight: Floats | float = 0.0,
               extra_value: Floats | float = 0.0, rows: npt.NDArray[np.int64] | None = None) \
            -> Floats:
        """The weekly unit margin (for ``rows``, with one more campaign's terms added)."""
        sel = slice(None) if rows is None else rows
        cover = self.cover[sel] + extra_cover
        weight = self.weight[sel] + extra_weight
        value = self.value[sel] + extra_value
        regular = self.regular[sel][:, None]
        reg_w = np.maximum(0.0, 1.0 - cover)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = reg_w + weight
            blended = (np.where(reg_w > 0, reg_w * regular, 0.0) + value) / \
                np.where(total > 0, total, 1.0)
        out: Floats = np.where(total > 0, blended, regular)
        return out


def margin_blend(grid: CampaignGrid, pair_margin: Floats, unit_margin: Floats) -> MarginBlend:
    """Weekly margin pieces per sku-location from the counted campaigns of ``grid``."""
    n, horizon = len(unit_margin), grid.frac.shape[1]
    cover, weight, value = np.zeros((n, horizon)), np.zeros((n, horizon)), np.zeros((n, horizon))
    use = grid.counted[grid.pair_campaign]
    c, i = grid.pair_campaign[use], grid.pair_key[use]
    frac = grid.frac[c]
    w = frac * np.maximum(0.0, 1.0 + grid.lift[c])[:, None]
    np.add.at(cover, i, frac)
    np.add.at(weight, i, w)
    np.add.at(value, i, np.where(w > 0, w * pair_margin[use][:, None], 0.0))
    return MarginBlend(cover, weight, value, np.asarray(unit_margin, dtype=float))


def margin_weekly(campaigns: pd.DataFrame, grid: CampaignGrid, unit_price: Floats,
                  unit_cost: Floats, unit_margin: Floats) -> Floats:
    """(n × H) unit margin of each sku-location and week: promo margin in promo weeks."""
    pair = pair_promo_margin(campaigns, grid, unit_price, unit_cost, unit_margin)
    return margin_blend(grid, pair, unit_margin).margin()


# ---------------------------------------------------------------------------------------
# lost lift units and wasted spend
# ---------------------------------------------------------------------------------------
@dataclass
class BridgeEconomics:
    """What the bridge adds to its result (arrays in the caller's row order).

    lost_weekly, margin_weekly: (n × H). margin_at_risk, wasted_spend: per row (wasted spend
    NaN where no counted campaign touching the row has a spend). campaigns: one row per
    Campaigns row: margin_at_risk (the campaign's window, at its promo margin) and
    ECONOMICS_COLUMNS; NaN for campaigns the supply check does not check.
    """

    lost_weekly: Floats
    margin_weekly: Floats
    margin_at_risk: Floats
    wasted_spend: Floats
    campaigns: pd.DataFrame


def bridge_economics(campaigns: pd.DataFrame, grid: CampaignGrid, *, baseline: Floats,
                     poh: Floats, unit_price: Floats, unit_cost: Floats,
                     unit_margin: Floats, lost_weekly: Floats | None = None) -> BridgeEconomics:
    """Promo margin, margin at risk and wasted spend for one projection.

    ``lost_weekly`` defaults to the flat lost-sales run of ``poh``; a network projection
    passes its own. A campaign the projection does not count (Draft) is judged as if added,
    like the supply check: its units are taken off the flat projection of its locations.
    """
    lost = weekly_lost(poh) if lost_weekly is None else np.asarray(lost_weekly, dtype=float)
    pair_margin = pair_promo_margin(campaigns, grid, unit_price, unit_cost, unit_margin)
    blend = margin_blend(grid, pair_margin, unit_margin)
    margin_w = blend.margin()
    row_money = value_units(lost, margin_w)

    n_c = len(campaigns)
    n, horizon = baseline.shape
    frame = pd.DataFrame({"margin_at_risk": np.full(n_c, np.nan),
                          **{col: np.full(n_c, np.nan) for col in ECONOMICS_COLUMNS}})
    row_wasted = np.full(n, np.nan)
    in_horizon = grid.frac.sum(axis=1) > 0 if n_c else np.zeros(0, dtype=bool)
    use = in_horizon[grid.pair_campaign] & ~grid.cancelled[grid.pair_campaign]
    if not use.any() or horizon == 0:
        return BridgeEconomics(lost, margin_w, row_money, row_wasted, frame)

    c, i = grid.pair_campaign[use], grid.pair_key[use]
    counted = grid.counted[c][:, None]
    frac, lam = grid.frac[c], grid.lift[c][:, None]
    added = baseline[i] * frac
    own = np.maximum(0.0, np.round(lam * added, DECIMALS))  # this campaign's lift units
    positive = np.zeros((n, horizon))  # every counted campaign's lift units per cell
    np.add.at(positive, i[counted[:, 0]], own[counted[:, 0]])
    pos_with = np.where(counted, positive[i], positive[i] + own)
    lost_with = np.where(counted, lost[i], 0.0)
    draft = np.flatnonzero(~counted[:, 0])
    if len(draft):
        poh_with = poh[i[draft]] - lam[draft] * np.cumsum(added[draft], axis=1)
        lost_with[draft] = weekly_lost(poh_with)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pos_with > 0, own / np.where(pos_with > 0, pos_with, 1.0), 0.0)
    unserved = np.minimum(lost_with, pos_with) * share  # lift served last, pro rata

    margin_with = margin_w[i]
    if len(draft):  # a Draft's own promo margin joins its weeks' blend
        w = frac[draft] * np.maximum(0.0, 1.0 + lam[draft])
        margin_with[draft] = blend.margin(
            frac[draft], w, np.where(w > 0, w * pair_margin[use][draft, None], 0.0),
            rows=i[draft])
    window = frac > 0
    money = np.where(window & (lost_with > 0), lost_with * np.nan_to_num(margin_with), 0.0)

    def per_campaign(values: Floats) -> Floats:
        out = np.zeros(n_c)
        np.add.at(out, c, values)
        return out

    checked = np.zeros(n_c, dtype=bool)
    checked[c] = True
    lift_c, unserved_c = per_campaign(own.sum(axis=1)), per_campaign(unserved.sum(axis=1))
    known = ~np.isnan(pair_margin[use])
    margin_sum = per_campaign(np.where(known, pair_margin[use], 0.0))
    margin_n = per_campaign(known.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        unserved_share = np.where(lift_c > 0, unserved_c / np.where(lift_c > 0, lift_c, 1.0),
                                  0.0)
        mean_margin = np.where(margin_n > 0, margin_sum / np.where(margin_n > 0, margin_n, 1),
                               np.nan)
    spend = campaign_number(campaigns, "spend")
    wasted = spend * unserved_share
    # the checked campaigns' figures, NaN for the rest (float columns: set whole)
    for col, values in (("margin_at_risk", per_campaign(money.sum(axis=1))),
                        ("promo_margin", mean_margin),
                        ("lift_units", np.round(lift_c, DECIMALS)),
                        ("unserved_lift_units", np.round(unserved_c, DECIMALS)),
                        ("unserved_lift_share", unserved_share), ("wasted_spend", wasted)):
        frame[col] = np.where(checked, values, np.nan)

    # the Bridge row's part of each counted campaign's wasted spend: spend × its unserved
    # lift units there ÷ the campaign's lift units
    pc = counted[:, 0] & ~np.isnan(spend[c])
    if pc.any():
        lift_pc = lift_c[c[pc]]
        part = np.where(lift_pc > 0, spend[c[pc]] * unserved[pc].sum(axis=1)
                        / np.where(lift_pc > 0, lift_pc, 1.0), 0.0)
        row_wasted[np.unique(i[pc])] = 0.0
        np.add.at(row_wasted, i[pc], part)
    return BridgeEconomics(lost, margin_w, row_money, row_wasted, frame)


def attach_campaign_economics(check: pd.DataFrame, economics: pd.DataFrame) -> pd.DataFrame:
    """The supply check with margin at risk at the promo margin and the economics columns.

    Both frames are in Campaigns row order; rows the check did not check stay as they were.
    """
    out = check.copy()
    checked = economics["lift_units"].notna().to_numpy()
    margin = out["margin_at_risk"].to_numpy(dtype=float).copy()
    margin[checked] = economics["margin_at_risk"].to_numpy(dtype=float)[checked]
    out["margin_at_risk"] = margin
    at = list(out.columns).index("note") if "note" in out.columns else len(out.columns)
    for k, col in enumerate(ECONOMICS_COLUMNS):
        out.insert(at + k, col, economics[col].to_numpy(dtype=float))
    return out
