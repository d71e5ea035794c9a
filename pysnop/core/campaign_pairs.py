"""Each checked campaign at each of its scoped sku-locations ("pairs"), as planned and without it.

The risks and the marketing remedies both judge a campaign on these arrays (pair × week), the
way the supply check does (docs/semantics.md §1, campaign supply check): a Draft or uncounted
campaign is judged as if it were added, a counted one as the Bridge projects it.

short pair   a pair where some week the campaign affects (from the first day of its window
             in the horizon on) is below threshold with the campaign as planned.
gap          max(0, threshold − poh) with the campaign as planned, per week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pysnop.core.action_context import ActionContext
from pysnop.core.bridge_math import DECIMALS

Floats = NDArray[np.float64]


@dataclass
class CampaignPairs:
    campaign: NDArray[np.int64]  # (p,) Campaigns row position
    row: NDArray[np.int64]  # (p,) Bridge row
    lam: Floats  # (p,) planned lift
    counted: NDArray[np.bool_]  # (p,) the campaign creates demand in the Bridge
    added: Floats  # (p, H) demand one unit of lift adds in each week
    cum: Floats  # (p, H) running sum of added
    poh_with: Floats  # (p, H) projection with the campaign as planned
    thr_with: Floats  # (p, H) threshold with the campaign as planned
    short: NDArray[np.bool_]  # (p,)
    gap: Floats  # (p, H)

    def __len__(self) -> int:
        return len(self.campaign)

    @property
    def affected(self) -> NDArray[np.bool_]:
        """Weeks the campaign touches or follows (its units are gone from then on)."""
        return np.asarray(self.cum > 0)


def campaign_pairs(ctx: ActionContext) -> CampaignPairs:
    """The pairs of every campaign the supply check judged with a lift above zero (cached)."""
    if "campaign_pairs" in ctx.cache:
        cached: CampaignPairs = ctx.cache["campaign_pairs"]
        return cached
    grid, res = ctx.grid, ctx.result
    horizon = ctx.horizon
    check = res.campaign_check
    checked = np.zeros(len(grid.lift), dtype=bool)
    if len(check):
        checked = check["supply_status"].notna().to_numpy() & (grid.lift > 0)
    use = checked[grid.pair_campaign] if len(grid.pair_campaign) else np.zeros(0, dtype=bool)
    c = grid.pair_campaign[use].astype(np.int64)
    i = grid.pair_key[use].astype(np.int64)
    lam = grid.lift[c].astype(float)
    counted = grid.counted[c].astype(bool)
    added = res.baseline[i] * grid.frac[c] if len(c) else np.zeros((0, horizon))
    cum = np.cumsum(added, axis=1)
    rb = float(ctx.settings.risk_buffer)
    extra = np.where(counted, 0.0, lam)[:, None]  # an uncounted campaign is added on top
    poh_with = np.round(res.poh[i] - extra * cum, DECIMALS)
    thr_with = np.round(res.threshold[i] + rb * extra * added, DECIMALS)
    below = (poh_with < thr_with) & (cum > 0)
    gap = np.maximum(np.round(thr_with - poh_with, DECIMALS), 0.0)
    pairs = CampaignPairs(c, i, lam, counted, added, cum, poh_with, thr_with,
                          np.asarray(below.any(axis=1)), gap)
    ctx.cache["campaign_pairs"] = pairs
    return pairs
