"""Marketing remedies for a campaign supply can't carry (docs/semantics.md §3).

A campaign gets remedies when it is short at some scoped sku-location (a *short pair*,
:mod:`pysnop.core.campaign_pairs`). Each remedy is valued at the campaign's scoped
sku-locations against the projection with the campaign as planned (a Draft judged as if
confirmed, like the supply check): the demand change is applied to those rows and the
lost-sales run repeated (:mod:`pysnop.core.valuation`). All work is on (pair × week) arrays,
reduced to campaigns with ``np.add.at``.

EXCLUDE_LOCATIONS  when the campaign is short at some but not all of its locations: drop the
                   short ones from its scope. margin_protected = lost units avoided there ×
                   margin; cost = the promo units given up there × margin (per week).
REDUCE_LIFT        only when exclusion does not do — every scoped location is short: cap the
                   lift at the supply check's max supportable lift, chain-wide. Valued like
                   EXCLUDE_LOCATIONS over all its locations. For both, net = protected − cost is
                   exactly the change in margin earned: never positive, zero when every unit
                   given up would have been a lost sale anyway.
MOVE_WINDOW        start the campaign whole weeks earlier or later (same weekday and duration),
                   within [earliest_start, latest_start] when Campaigns gives them (a blank side:
                   max_move_weeks from the planned start), never before the as-of date, never
                   ending past the horizon, and only for a campaign that has not started. The
                   first candidate that keeps every week it affects at or above threshold at
                   every location wins (nearest first, later before earlier); if none does, the
                   candidate avoiding the most lost margin. cost 0; the whole window is in the
                   horizon, so nothing it moves is left unvalued.
SHIFT_SKU          :mod:`pysnop.core.substitutes`.
qty: the promo units given up (EXCLUDE_LOCATIONS, REDUCE_LIFT) or moved (MOVE_WINDOW).
act_by: the Monday of the campaign's planned start (MOVE_WINDOW: of the earlier of the planned
and the new start), never before the as-of date.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core import calendar
from pysnop.core.action_context import (
    MARKETING,
    UNIT_EPS,
    ActionContext,
    days,
    join_by,
    percents,
    units_text,
)
from pysnop.core.bridge_math import DECIMALS
from pysnop.core.campaign_pairs import CampaignPairs, campaign_pairs
from pysnop.core.proposals import Batch, concat, empty_batch, make_batch
from pysnop.core.substitutes import propose_shift_sku
from pysnop.core.valuation import avoided_by_week, worth

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def propose_campaign_remedies(ctx: ActionContext) -> Batch:
    pairs = campaign_pairs(ctx)
    horizon = ctx.horizon
    if len(pairs) == 0 or horizon == 0:
        return empty_batch(horizon)
    n_c = len(ctx.grid.lift)
    short_c = np.zeros(n_c, dtype=bool)
    short_c[pairs.campaign[pairs.short]] = True
    all_short = np.bincount(pairs.campaign, weights=~pairs.short, minlength=n_c) == 0
    exclude = short_c & ~all_short
    return concat([_exclude(ctx, pairs, exclude), _reduce(ctx, pairs, short_c & all_short),
                   _move(ctx, pairs, short_c), propose_shift_sku(ctx, pairs, short_c)], horizon)


def campaign_facts(ctx: ActionContext, c: Ints) -> dict[str, Any]:
    """Per campaign position: id, name, sku, start, lift (arrays in the order of ``c``)."""
    camps = ctx.inputs.campaigns
    ids = camps["campaign_id"].to_numpy(dtype=object)[c]
    return {"id": ids, "name": [ctx.campaign_names.get(i, i) for i in ids],
            "sku": camps["sku"].to_numpy(dtype=object)[c],
            "start": pd.DatetimeIndex(pd.to_datetime(camps["start"]).to_numpy()[c]),
            "lam": ctx.grid.lift[c]}


def start_week(ctx: ActionContext, start: pd.DatetimeIndex) -> Ints:
    return np.asarray(calendar.week_index(start.to_numpy(), ctx.week0), dtype=np.int64)


def sum_by(index: Ints, values: Floats, size: int) -> Floats:
    """Σ of ``values`` (1-D, or 2-D column by column) per index 0..size-1; bincount adds in
    the order given, as np.add.at would, so the sums are the same to the bit."""
    if values.ndim == 1:
        return np.asarray(np.bincount(index, weights=values, minlength=size), dtype=float)
    columns = [np.bincount(index, weights=values[:, j], minlength=size)
               for j in range(values.shape[1])]
    return np.asarray(np.stack(columns, axis=1).reshape(size, values.shape[1]), dtype=float)


def where_saved(ctx: ActionContext, pairs: CampaignPairs, sel: Ints, saved: Floats,
                size: int, owner: Ints) -> list[str]:
    """', '-joined locations with lost units avoided, per owner (campaign position)."""
    hit = saved > UNIT_EPS
    return list(join_by(ctx.location[pairs.row[sel][hit]], owner[hit], size))


def _lift_cut(ctx: ActionContext, pairs: CampaignPairs, on: NDArray[np.bool_], cut: Floats
              ) -> dict[str, Any]:
    """Lower the lift of the pairs ``on`` by ``cut`` (per pair) and value it, per campaign."""
    sel = np.flatnonzero(on)
    camps, slot = np.unique(pairs.campaign[sel], return_inverse=True)
    rb = float(ctx.settings.risk_buffer)
    cut_p = cut[sel][:, None]
    lift_poh = cut_p * pairs.cum[sel]
    avoided = avoided_by_week(pairs.poh_with[sel], pairs.poh_with[sel] + lift_poh)
    m = ctx.margin_week[pairs.row[sel]]
    forgone = cut_p * pairs.added[sel]
    k = len(camps)
    saved = avoided.sum(axis=1)
    return {"camps": camps.astype(np.int64), "slot": slot.astype(np.int64), "sel": sel,
            "delta": lift_poh + rb * cut_p * pairs.added[sel], "saved_pair": saved,
            "saved": sum_by(slot, saved, k), "money": sum_by(slot, worth(avoided, m), k),
            "forgone": sum_by(slot, forgone.sum(axis=1), k),
            "cost": sum_by(slot, worth(forgone, m), k)}


def _exclude(ctx: ActionContext, pairs: CampaignPairs, which: NDArray[np.bool_]) -> Batch:
    horizon = ctx.horizon
    on = which[pairs.campaign] & pairs.short
    if not on.any():
        return empty_batch(horizon)
    cut = _lift_cut(ctx, pairs, on, pairs.lam)
    camps, k = cut["camps"], len(cut["camps"])
    facts = campaign_facts(ctx, camps)
    dropped = where_saved(ctx, pairs, cut["sel"], np.ones(len(cut["sel"])), k, cut["slot"])
    scoped = np.bincount(pairs.campaign, minlength=len(ctx.grid.lift))
    kept = scoped[camps] - sum_by(cut["slot"], np.ones(len(cut["sel"])), k).astype(np.int64)
    reason = [f"Drop {locs} from campaign {name}: their stock cannot carry the +{lam} "
              f"lift, so {s} lost sales are avoided for {f} promo units given up "
              f"there; the campaign runs as planned at its other {n} location"
              f"{'s' if n != 1 else ''}."
              for locs, name, lam, s, f, n in zip(dropped, facts["name"], percents(facts["lam"]),
                                                  units_text(cut["saved"]),
                                                  units_text(cut["forgone"]), kept.tolist())]
    return _batch(ctx, "EXCLUDE_LOCATIONS", camps, facts, dropped, cut["forgone"], cut["cost"],
                  cut["saved"], cut["money"], reason, cut)


def _reduce(ctx: ActionContext, pairs: CampaignPairs, which: NDArray[np.bool_]) -> Batch:
    horizon = ctx.horizon
    check = ctx.result.campaign_check
    capped = pd.to_numeric(check["max_supportable_lift"], errors="coerce").to_numpy(float)
    lam = ctx.grid.lift
    which = which & np.isfinite(capped) & (capped < lam)
    on = which[pairs.campaign]
    if not on.any():
        return empty_batch(horizon)
    cut = _lift_cut(ctx, pairs, on, (lam - np.nan_to_num(capped))[pairs.campaign])
    camps, k = cut["camps"], len(cut["camps"])
    facts = campaign_facts(ctx, camps)
    at = where_saved(ctx, pairs, cut["sel"], cut["saved_pair"], k, cut["slot"])
    reason = [f"Cap campaign {name} at {cap} lift{' (no promotion)' if none else ''}"
              f" instead of {lm}: supply at {where or 'its locations'} cannot carry "
              f"more, so {s} lost sales are avoided for {f} promo units given up."
              for name, cap, none, lm, where, s, f in zip(
                  facts["name"], percents(capped[camps]), (capped[camps] <= 0).tolist(),
                  percents(facts["lam"]), at, units_text(cut["saved"]),
                  units_text(cut["forgone"]))]
    return _batch(ctx, "REDUCE_LIFT", camps, facts, at, cut["forgone"], cut["cost"],
                  cut["saved"], cut["money"], reason, cut, new_lift=capped[camps])


def _batch(ctx: ActionContext, kind: str, camps: Ints, facts: dict[str, Any],
           location: list[str], qty: Floats, cost: Floats, saved: Floats, money: Floats,
           reason: list[str], cut: dict[str, Any], **extra: Any) -> Batch:
    k = len(camps)
    week = start_week(ctx, facts["start"])
    cols: dict[str, Any] = {
        "type": [kind] * k, "owner": [MARKETING] * k, "sku": facts["sku"],
        "location": [loc or None for loc in location], "campaign_id": facts["id"], "qty": qty,
        "week": ctx.weeks(week), "cost": cost, "units_protected": np.maximum(saved, 0.0),
        "margin_protected": money, "reason": reason, "act_by": ctx.deadline(np.maximum(week, 0)),
        "home_campaign": camps}
    cols.update(extra)
    pairs = campaign_pairs(ctx)
    return make_batch(ctx.horizon, cols, cut["slot"], pairs.row[cut["sel"]], cut["delta"])


def _move(ctx: ActionContext, pairs: CampaignPairs, which: NDArray[np.bool_]) -> Batch:
    horizon = ctx.horizon
    camps = np.flatnonzero(which)
    grid = ctx.grid
    as_of = int(np.datetime64(ctx.as_of.date(), "D").astype(np.int64))
    s0, e0 = grid.start_days[camps], grid.end_days[camps]
    camps = camps[s0 >= as_of]  # a campaign that has started is not moved
    if len(camps) == 0:
        return empty_batch(horizon)
    s0, e0 = grid.start_days[camps], grid.end_days[camps]
    reach = 7 * ctx.whole_setting("max_move_weeks")
    lo, hi = _flex(ctx, camps, s0 - reach, s0 + reach)
    shifts = np.arange(-horizon, horizon + 1)
    start = s0[:, None] + 7 * shifts[None, :]
    last_day = int(np.datetime64(ctx.week0.date(), "D").astype(np.int64)) + 7 * horizon - 1
    allowed = ((shifts != 0)[None, :] & (start >= lo[:, None]) & (start <= hi[:, None])
               & (start >= as_of) & (e0[:, None] + 7 * shifts[None, :] <= last_day))
    # only the shifts some campaign may take are valued (max_move_weeks, the horizon)
    keep = np.flatnonzero(allowed.any(axis=0))
    if len(keep) == 0:
        return empty_batch(horizon)
    shifts, start, allowed = shifts[keep], start[:, keep], allowed[:, keep]
    slot_of = np.full(len(grid.lift), -1, dtype=np.int64)
    slot_of[camps] = np.arange(len(camps))
    sel = np.flatnonzero(slot_of[pairs.campaign] >= 0)
    slot = slot_of[pairs.campaign[sel]]
    n_k = len(shifts)
    frac = calendar.overlap_fraction(start.reshape(-1), (e0[:, None] + 7 * shifts[None, :])
                                     .reshape(-1), ctx.week0, horizon).reshape(len(camps), n_k,
                                                                               horizon)
    rb = float(ctx.settings.risk_buffer)
    lam = pairs.lam[sel][:, None, None]
    base = ctx.result.baseline[pairs.row[sel]]
    added_k = base[:, None, :] * frac[slot]  # (pair, shift, week)
    cum_k = np.cumsum(added_k, axis=2)
    poh_k = pairs.poh_with[sel][:, None, :] + lam * (pairs.cum[sel][:, None, :] - cum_k)
    thr_k = pairs.thr_with[sel][:, None, :] - rb * lam * (pairs.added[sel][:, None, :] - added_k)
    poh_k, thr_k = np.round(poh_k, DECIMALS), np.round(thr_k, DECIMALS)
    safe_pair = ((poh_k >= thr_k) | (cum_k <= 0)).all(axis=2)
    safe = sum_by(slot, (~safe_pair).astype(float), len(camps)) == 0
    avoided = avoided_by_week(pairs.poh_with[sel][:, None, :], poh_k)  # (pair, shift, week)
    m = ctx.margin_week[pairs.row[sel]][:, None, :]
    money = sum_by(slot, worth(avoided, m), len(camps))
    saved = sum_by(slot, avoided.sum(axis=2), len(camps))
    useful = allowed & (saved > UNIT_EPS)
    if not useful.any():
        return empty_batch(horizon)
    # per campaign: the nearest safe shift (later before earlier); else the most margin avoided
    cs, ks = np.nonzero(useful)
    unsafe = ~safe[cs, ks]
    order = np.lexsort(((shifts[ks] < 0), np.abs(shifts[ks]),
                        np.where(unsafe, -np.round(money[cs, ks], 6), 0.0), unsafe, cs))
    cs, ks = cs[order], ks[order]
    pick, first = np.unique(cs, return_index=True)
    kb = ks[first]
    chosen = camps[pick]
    facts = campaign_facts(ctx, chosen)
    new_start = pd.DatetimeIndex(calendar.days_to_timestamps(start[pick, kb]))
    # effects of the chosen shift on every pair of the campaign
    mine = np.isin(slot, pick)
    pos = np.searchsorted(pick, slot[mine])
    k_pair = kb[pos]
    p_idx = np.flatnonzero(mine)
    d_poh = poh_k[p_idx, k_pair] - pairs.poh_with[sel][p_idx]
    d_thr = thr_k[p_idx, k_pair] - pairs.thr_with[sel][p_idx]
    saved_pair = avoided[p_idx, k_pair].sum(axis=1)
    at = where_saved(ctx, pairs, sel[p_idx], saved_pair, len(pick), pos)
    total = pairs.lam[sel][p_idx] * pairs.added[sel][p_idx].sum(axis=1)
    moved = sum_by(pos, total, len(pick))
    still = ~safe[pick, kb]
    reason = [f"Start campaign {name} on {new} instead of {old}: supply at "
              f"{where or 'its locations'} carries it then, avoiding {s} lost sales"
              f"{' (no allowed start keeps every location above threshold)' if bad else ''}."
              for name, new, old, where, s, bad in zip(facts["name"], days(new_start),
                                                       days(facts["start"]),
                                                       at, units_text(saved[pick, kb]),
                                                       still.tolist())]
    # decided before whichever comes first: the planned start, or the new one when earlier
    week = np.minimum(start_week(ctx, facts["start"]), start_week(ctx, new_start))
    cols = {"type": ["MOVE_WINDOW"] * len(pick), "owner": [MARKETING] * len(pick),
            "sku": facts["sku"], "location": [w or None for w in at],
            "campaign_id": facts["id"], "qty": moved,
            "week": ctx.weeks(start_week(ctx, new_start)), "cost": np.zeros(len(pick)),
            "units_protected": np.maximum(saved[pick, kb], 0.0),
            "margin_protected": money[pick, kb], "reason": reason,
            "act_by": ctx.deadline(np.maximum(week, 0)), "new_start": new_start,
            "home_campaign": chosen}
    return make_batch(horizon, cols, pos, pairs.row[sel[p_idx]], d_poh - d_thr)


def _flex(ctx: ActionContext, camps: Ints, lo: Ints, hi: Ints) -> tuple[Ints, Ints]:
    """[earliest_start, latest_start] in days where Campaigns gives them, else ``lo``/``hi``."""
    frame = ctx.inputs.campaigns
    out = []
    for col, default in (("earliest_start", lo), ("latest_start", hi)):
        if col not in frame.columns:
            out.append(default)
            continue
        raw = pd.to_datetime(frame[col], errors="coerce").to_numpy(dtype="datetime64[ns]")[camps]
        days = raw.astype("datetime64[D]").astype(np.int64)
        out.append(np.where(np.isnat(raw), default, days))
    return out[0], out[1]
