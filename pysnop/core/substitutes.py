"""SHIFT_SKU: feature a substitute with the supply instead (docs/semantics.md §3).

Candidates for a campaign on SKU A: the SKUs Products lists as A's substitutes; when it lists
none, every other SKU of A's category (Inventory, else Products). A candidate B qualifies when
it is stocked at every location of the campaign's scope and carries the same lift there: in
every week the lift touches, B's projection stays at or above its threshold with the lift
added (poh − λ·Σ added ≥ safety + risk_buffer·lift units, the supply-check rule).

Value, so that net = protected − cost is the change in margin earned:
  margin_protected = A's lost units avoided (its lift removed) × A's margin
                     + B's promo units (λ × B's baseline in the window) × B's own margin;
  cost             = A's promo units given up × A's margin (all per week).
Among qualifying candidates the highest net value wins (ties: the most spare cover, then the
SKU code). qty = B's promo units.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.action_context import MARKETING, ActionContext, join_by, percents, units_text
from pysnop.core.bridge_math import DECIMALS
from pysnop.core.campaign_pairs import CampaignPairs
from pysnop.core.proposals import Batch, empty_batch, make_batch
from pysnop.core.valuation import avoided_by_week, worth

SLACK_TOL = 1e-9
TRIPLES_PER_BLOCK = 250_000  # (campaign, candidate, pair) triples valued at once
TINY = 1e-300  # a positive baseline below this times an overlap could round to 0
DENSE_CODES = 20_000_000  # SKUs × locations up to which rows are looked up in one array
Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


def substitute_lists(ctx: ActionContext, sku: NDArray[Any]) -> list[tuple[str, ...]]:
    """Products' substitutes of each SKU as a tuple of codes (() where none are listed)."""
    out: list[tuple[str, ...]] = []
    for raw in ctx.product_value("substitutes", sku):
        if raw is None:
            out.append(())
            continue
        items = raw if isinstance(raw, (tuple, list)) else str(raw).replace(";", ",").split(",")
        out.append(tuple(s for s in (str(i).strip() for i in items) if s))
    return out


def _candidates(ctx: ActionContext, camps: NDArray[np.int64], skus: NDArray[Any],
                rows: NDArray[np.int64]) -> pd.DataFrame:
    """(c, alt, listed) for every campaign position and candidate SKU: its listed
    substitutes, then (none listed) every SKU of its category in Bridge order; without its own
    SKU, each (c, alt) once. Worked on codes: a category's SKUs run into the millions of
    (campaign, candidate) rows at scale, too many to merge and de-duplicate as objects."""
    listed = substitute_lists(ctx, skus)
    lengths = np.array([len(s) for s in listed], dtype=np.int64)
    explicit_alt = np.array([a for s in listed for a in s], dtype=object)
    explicit_c = np.repeat(camps, lengths)
    # the catalogue: each (category, SKU) once, in Bridge order (rows without either left out)
    sku_code, sku_vocab = pd.factorize(ctx.sku, use_na_sentinel=True)
    cat_code, _ = pd.factorize(ctx.category, use_na_sentinel=True)
    known = (sku_code >= 0) & (cat_code >= 0)
    pair = cat_code[known].astype(np.int64) * len(sku_vocab) + sku_code[known]
    pair = pd.unique(pair)
    cat_of, sku_of = np.divmod(pair, max(len(sku_vocab), 1))
    by_cat = np.argsort(cat_of, kind="stable")  # each category's SKUs, in catalogue order
    per_cat = np.bincount(cat_of, minlength=int(cat_code.max(initial=-1)) + 1)
    begin = np.cumsum(per_cat) - per_cat
    # campaigns without listed substitutes, each joined to its category's SKUs
    wanted = np.flatnonzero(lengths == 0)
    wanted = wanted[cat_code[rows[wanted]] >= 0]
    wc = cat_code[rows[wanted]].astype(np.int64)
    size = per_cat[wc] if len(wc) else np.zeros(0, dtype=np.int64)
    offset = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    same_sku = sku_of[by_cat[np.repeat(begin[wc], size) + offset]]
    c = np.concatenate([explicit_c, np.repeat(camps[wanted], size)]).astype(np.int64)
    # one code per distinct candidate value (listed codes and catalogue SKUs together)
    alt_code, alt_vocab = pd.factorize(np.concatenate([explicit_alt, np.asarray(sku_vocab,
                                                                                 dtype=object)]))
    alt = np.concatenate([alt_code[:len(explicit_alt)],
                          alt_code[len(explicit_alt):][same_sku]]).astype(np.int64)
    listed_flag = np.arange(len(c)) < len(explicit_alt)
    # not the campaign's own SKU (compared as text)
    text_code, _ = pd.factorize(np.concatenate([np.asarray(alt_vocab, dtype=object).astype(str),
                                                np.asarray(skus, dtype=object).astype(str)]))
    own = pd.Series(text_code[len(alt_vocab):], index=camps)
    other = text_code[:len(alt_vocab)][alt] != own.reindex(c).to_numpy()
    key = c * max(len(alt_vocab), 1) + alt
    first = np.zeros(len(key), dtype=bool)
    first[np.unique(key, return_index=True)[1]] = True
    # the first of each (c, alt); a (c, alt)'s rows are all the own SKU or none is
    keep = np.flatnonzero(other & first)
    return pd.DataFrame({"c": c[keep],
                         "alt": np.asarray(alt_vocab, dtype=object)[alt[keep]],
                         "listed": listed_flag[keep]})


def propose_shift_sku(ctx: ActionContext, pairs: CampaignPairs,
                      which: NDArray[np.bool_]) -> Batch:
    horizon = ctx.horizon
    camps = np.flatnonzero(which)
    if len(camps) == 0:
        return empty_batch(horizon)
    first_pair = pd.Series(np.arange(len(pairs))).groupby(pairs.campaign).min()
    camps = camps[np.isin(camps, first_pair.index)]
    own_rows = pairs.row[first_pair.reindex(camps).to_numpy()]
    # A's side, per campaign: its lift removed at every scoped pair
    sel = np.flatnonzero(np.isin(pairs.campaign, camps))
    lam_a = pairs.lam[sel][:, None]
    lift_poh = lam_a * pairs.cum[sel]
    avoided = avoided_by_week(pairs.poh_with[sel], pairs.poh_with[sel] + lift_poh)
    m_a = ctx.margin_week[pairs.row[sel]]
    slot_of = np.full(len(ctx.grid.lift), -1, dtype=np.int64)
    slot_of[camps] = np.arange(len(camps))
    slot = slot_of[pairs.campaign[sel]]
    saved = np.zeros(len(camps))
    np.add.at(saved, slot, avoided.sum(axis=1))
    saved_money = np.zeros(len(camps))
    np.add.at(saved_money, slot, worth(avoided, m_a))
    forgone = np.zeros(len(camps))
    np.add.at(forgone, slot, worth(lam_a * pairs.added[sel], m_a))

    # only a campaign whose lift removed avoids lost sales can get a SHIFT_SKU (best is kept
    # where saved > 0 below), so only its candidates are valued: each candidate's values
    # come from its own (campaign, pair) triples alone, so dropping the others changes none
    # (a campaign's candidates do not depend on the other campaigns)
    live = saved > 0
    cands = _candidates(ctx, camps[live], ctx.sku[own_rows[live]], own_rows[live])
    if len(cands) == 0:
        return empty_batch(horizon)
    rb = float(ctx.settings.risk_buffer)
    stocked, cover, any_touch, carried, gain = _candidate_values(ctx, pairs, cands, rb)
    ok = stocked & any_touch & (cover >= -SLACK_TOL)
    if not ok.any():
        return empty_batch(horizon)

    c_of = slot_of[cands["c"].to_numpy(np.int64)]
    net = saved_money[c_of] + gain - forgone[c_of]
    ok_at = np.flatnonzero(ok)
    table = pd.DataFrame({"slot": c_of[ok_at], "net": np.round(net[ok_at], 6),
                          "cover": cover[ok_at],
                          "alt": cands["alt"].to_numpy(dtype=object)[ok_at].astype(str),
                          "k": ok_at})
    best = table.sort_values(["slot", "net", "cover", "alt"],
                             ascending=[True, False, False, True]).drop_duplicates("slot")
    best = best[saved[best["slot"].to_numpy()] > 0]
    if len(best) == 0:
        return empty_batch(horizon)
    bs = best["slot"].to_numpy(np.int64)
    bk = best["k"].to_numpy(np.int64)
    chosen = camps[bs]
    facts = _facts(ctx, chosen)
    saved_pair = avoided.sum(axis=1)
    mine = np.isin(slot, bs)
    best_of = np.full(len(camps), -1, dtype=np.int64)
    best_of[bs] = np.arange(len(bs))
    owner = best_of[slot[mine]]
    hit = saved_pair[mine] > 1e-6
    at = join_by(ctx.location[pairs.row[sel[mine]]][hit], owner[hit], len(bs)).tolist()
    alts = cands["alt"].to_numpy(dtype=object)[bk]
    listed = cands["listed"].to_numpy(dtype=bool)[bk]
    category = ctx.category[own_rows[bs]]
    reason = [f"Feature {alt} instead of {sku} in campaign {name} "
              f"({'a listed substitute' if lst else f'same category {cat}'}): its stock at "
              f"{where or 'every location'} carries the +{lm} lift, avoiding "
              f"{s} lost sales of {sku}; {alt} earns its own margin on {q} promo "
              f"units."
              for alt, sku, name, lst, cat, where, lm, s, q in zip(
                  alts, facts["sku"], facts["name"], listed.tolist(), category, at,
                  percents(facts["lam"]), units_text(saved[bs]), units_text(carried[bk]))]
    week = np.asarray(facts["week"], dtype=np.int64)
    rb_delta = lift_poh + rb * lam_a * pairs.added[sel]
    return make_batch(horizon, {
        "type": ["SHIFT_SKU"] * len(bs), "owner": [MARKETING] * len(bs), "sku": facts["sku"],
        "location": [w or None for w in at], "campaign_id": facts["id"], "alt_sku": alts,
        "qty": carried[bk], "week": ctx.weeks(week), "cost": forgone[bs],
        "units_protected": saved[bs], "margin_protected": saved_money[bs] + gain[bk],
        "reason": reason, "act_by": ctx.deadline(np.maximum(week, 0)), "home_campaign": chosen},
        owner, pairs.row[sel[mine]], rb_delta[mine])


def _candidate_values(ctx: ActionContext, pairs: CampaignPairs, cands: pd.DataFrame,
                      rb: float) -> tuple[NDArray[np.bool_], Floats, NDArray[np.bool_],
                                          Floats, Floats]:
    """Per candidate: stocked at every scoped location, its least cover over the weeks the
    lift touches, whether the lift touches any, its promo units and their margin.

    A candidate :func:`_ruled_out` cannot qualify; it is not valued (cover −inf, the other
    figures 0): at scale nearly every same-category SKU is ruled out, and valuing each
    (campaign, candidate, pair) triple week by week is what grows with SKUs × campaigns.
    Every other candidate is valued from its own triples alone, so its figures are the ones
    valuing every candidate would give."""
    n = len(cands)
    stocked = np.ones(n, dtype=bool)
    cover = np.full(n, -np.inf)
    any_touch = np.zeros(n, dtype=bool)
    carried = np.zeros(n)
    gain = np.zeros(n)
    trip = _Triples(ctx, pairs, cands)
    keep = np.flatnonzero(~_ruled_out(ctx, pairs, trip, rb))
    if len(keep) == 0:
        return stocked, cover, any_touch, carried, gain
    values = _value(ctx, pairs, _Triples(ctx, pairs, cands.iloc[keep]), rb)
    stocked[keep], cover[keep], any_touch[keep], carried[keep], gain[keep] = values
    return stocked, cover, any_touch, carried, gain


class _Triples:
    """The (candidate, scoped pair) triples of candidates, a block of whole candidates at a
    time: when many SKUs share a category the triples run to tens of millions, and their
    (triple × week) arrays would not fit in memory at once. Each candidate's triples stay
    together and in pair order."""

    def __init__(self, ctx: ActionContext, pairs: CampaignPairs, cands: pd.DataFrame) -> None:
        # the Bridge row of (candidate SKU, a pair's location), looked up by codes: the
        # SKU's code once per candidate, the location's once per pair (the keys are unique)
        if "triples_codes" not in ctx.cache:
            ctx.cache["triples_codes"] = _row_codes(ctx)
        skus, loc_code, self.n_locs, self.row_at, self.row_of = ctx.cache["triples_codes"]
        self.alt_code = skus.get_indexer(cands["alt"].to_numpy(dtype=object))
        self.pair_loc = loc_code[pairs.row]
        self.c_of = cands["c"].to_numpy(np.int64)
        count = np.bincount(pairs.campaign, minlength=len(ctx.grid.lift))
        self.start = np.cumsum(count) - count
        self.by_campaign = np.argsort(pairs.campaign, kind="stable")
        self.size = count[self.c_of]

    def blocks(self) -> Iterator[tuple[int, int, Ints, Ints, Ints, Ints, Ints]]:
        """Per block: lo, hi (its candidates), the positions among them of those with
        triples and where their runs start, and per triple: candidate (0 = lo), pair, Bridge
        row of the candidate SKU at the pair's location (−1: not stocked there)."""
        size = self.size
        if len(size) == 0:
            return
        block = (np.cumsum(size) - size) // TRIPLES_PER_BLOCK  # by where a candidate starts
        edges = np.flatnonzero(np.diff(block, prepend=-1, append=block[-1] + 1))
        for lo, hi in itertools.pairwise(edges.tolist()):
            sz = size[lo:hi]
            has = np.flatnonzero(sz > 0)
            first = (np.cumsum(sz) - sz)[has]
            k = np.repeat(np.arange(hi - lo), sz)
            offset = np.arange(int(sz.sum())) - np.repeat(np.cumsum(sz) - sz, sz)
            p = self.by_campaign[np.repeat(self.start[self.c_of[lo:hi]], sz) + offset]
            alt = self.alt_code[lo:hi][k]
            code = alt * self.n_locs + self.pair_loc[p]
            if self.row_at is not None:
                row = np.where(alt >= 0, self.row_at[np.maximum(code, 0)], -1)
            else:
                row = np.where(alt >= 0, self.row_of.get_indexer(code), -1)
            yield lo, hi, has, first, k, p, row


def _row_codes(ctx: ActionContext) -> tuple[pd.Index, Ints, int, Ints | None, pd.Index]:
    """SKUs, each row's location code, how many locations, and every (SKU, location) code's
    Bridge row in one array when that fits (else an index of the codes, looked up per
    triple): made once per run."""
    res = ctx.result
    sku_code, skus = pd.factorize(res.keys["sku"].to_numpy(dtype=object))
    loc_code, locs = pd.factorize(res.keys["location"].to_numpy(dtype=object))
    codes = sku_code.astype(np.int64) * len(locs) + loc_code
    row_at: Ints | None = None
    if len(skus) * len(locs) <= DENSE_CODES:
        row_at = np.full(len(skus) * len(locs), -1, dtype=np.int64)
        row_at[codes] = np.arange(len(codes))
    return pd.Index(skus), loc_code.astype(np.int64), len(locs), row_at, pd.Index(codes)


def _ruled_out(ctx: ActionContext, pairs: CampaignPairs, trip: _Triples,
               rb: float) -> NDArray[np.bool_]:
    """Candidates that cannot qualify, found without valuing them week by week.

    With a lift, baseline, overlap and risk_buffer of 0 or more, the units a candidate's lift
    adds at a pair are 0 or more, so each week's slack is at most the row's own
    round(poh − threshold); and the weeks the lift touches are every week from the first
    one where both the row's baseline and the campaign's overlap are above 0. A triple whose
    row is below threshold (by more than SLACK_TOL) in such a week makes its candidate's
    cover negative. Triples outside those conditions (a negative or NaN figure, a campaign
    whose weeks are not one run, a baseline so small that a product could round to 0) rule
    nothing out; the candidate is then valued as usual."""
    res = ctx.result
    n = len(trip.c_of)
    out = np.zeros(n, dtype=bool)
    if not rb >= 0:
        return out
    base = res.baseline
    horizon = base.shape[1]
    frac = ctx.grid.frac
    plain_row = ((base == 0) | (base >= TINY)).all(axis=1)
    bad = np.round(res.poh - res.threshold, DECIMALS) < -SLACK_TOL
    # from_week[r, w]: the first week ≥ w with baseline > 0 (H: none); bad_from[r, w]:
    # any bad week ≥ w (the lift, once touching, touches every later week: its sum goes on)
    from_week = np.full((len(base), horizon + 1), horizon, dtype=np.int64)
    bad_from = np.zeros((len(base), horizon + 1), dtype=bool)
    for w in range(horizon - 1, -1, -1):
        from_week[:, w] = np.where(base[:, w] > 0, w, from_week[:, w + 1])
        bad_from[:, w] = bad[:, w] | bad_from[:, w + 1]
    live = frac > 0
    first_wk = np.where(live.any(axis=1), np.argmax(live, axis=1), horizon)
    last_wk = horizon - 1 - np.argmax(live[:, ::-1], axis=1)
    one_run = (live.sum(axis=1) == np.maximum(last_wk - first_wk + 1, 0)) \
        & (frac >= 0).all(axis=1)
    # a triple (row r, pair of campaign c) fails when the lift's window (first week f, last
    # week l) is one run and the pair's figures plain, and, r plain, the first week from f
    # where r has a baseline (touch) is at most l and r is bad in a week from touch on:
    # fails_in[r, f·H + l] holds what depends on the row, window[p] the pair's (f, l) or −1
    rows = np.arange(len(base))
    fails_in = np.zeros((len(base), (horizon + 1) * max(horizon, 1)), dtype=bool)
    for f in range(horizon + 1):
        touch = from_week[:, f]
        hit = plain_row & bad_from[rows, touch]
        for last in range(horizon):
            fails_in[:, f * horizon + last] = hit & (touch <= last)
    c_all = pairs.campaign
    window = np.where(one_run[c_all] & (pairs.lam >= 0),
                      np.minimum(first_wk[c_all], horizon) * horizon + last_wk[c_all], -1)
    if trip.row_at is not None:
        return _screen(trip, fails_in, window, out)
    flat = fails_in.ravel()
    width = fails_in.shape[1]
    for lo, hi, has, first, _k, p, row in trip.blocks():
        if len(p) == 0:
            continue
        win = window[p]
        fails = (row >= 0) & (win >= 0) & flat[np.maximum(row, 0) * width + np.maximum(win, 0)]
        out[lo:hi][has] = np.logical_or.reduceat(fails, first)
    return out


def _screen(trip: _Triples, fails_in: NDArray[np.bool_], window: Ints,
            out: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """:func:`_ruled_out`'s test of every triple, on flat positions: a triple's position in
    ``fails_in`` is its row's offset plus its window's column, both looked up from arrays
    padded so that no row (an unstocked location, a SKU not on the Bridge) and no window
    land on a False entry: a few passes over the triples, no masks."""
    assert trip.row_at is not None
    n_rows, width = fails_in.shape
    padded = np.zeros((n_rows + 1, width + 1), dtype=bool)  # last row, last column: False
    padded[:n_rows, :width] = fails_in
    flat = padded.ravel()
    # the offset of each (SKU, location) code's row, then n_locs codes of "no SKU"
    offset = np.append(np.where(trip.row_at >= 0, trip.row_at, n_rows),
                       np.full(trip.n_locs, n_rows)) * (width + 1)
    alt_base = np.where(trip.alt_code >= 0, trip.alt_code * trip.n_locs, len(trip.row_at))
    loc_s = trip.pair_loc[trip.by_campaign]
    win_s = np.where(window >= 0, window, width)[trip.by_campaign]
    size = trip.size
    if len(size) == 0:
        return out
    # 32-bit positions where they fit: half the memory traffic over tens of millions of triples
    small = max(len(flat), len(offset), len(loc_s) + TRIPLES_PER_BLOCK) < 2**31
    kind = np.int32 if small else np.int64
    offset, alt_base = offset.astype(kind), alt_base.astype(kind)
    loc_s, win_s = loc_s.astype(kind), win_s.astype(kind)
    start = trip.start.astype(kind)
    block = (np.cumsum(size) - size) // TRIPLES_PER_BLOCK
    edges = np.flatnonzero(np.diff(block, prepend=-1, append=block[-1] + 1))
    for lo, hi in itertools.pairwise(edges.tolist()):
        sz = size[lo:hi]
        has = np.flatnonzero(sz > 0)
        if len(has) == 0:
            continue
        begin = np.cumsum(sz) - sz
        idx = np.repeat(start[trip.c_of[lo:hi]] - begin.astype(kind), sz)
        idx += np.arange(len(idx), dtype=kind)
        pos = offset[np.repeat(alt_base[lo:hi], sz) + loc_s[idx]] + win_s[idx]
        out[lo:hi][has] = np.logical_or.reduceat(flat[pos], begin[has])
    return out


def _value(ctx: ActionContext, pairs: CampaignPairs, trip: _Triples, rb: float
           ) -> tuple[NDArray[np.bool_], Floats, NDArray[np.bool_], Floats, Floats]:
    """The figures of :func:`_candidate_values`, every triple valued week by week.

    Per-candidate reductions run over each candidate's run of triples: reduceat (min, any,
    all) and bincount (sums, added in triple order from 0 as ufunc.at would)."""
    res = ctx.result
    n = len(trip.c_of)
    stocked = np.ones(n, dtype=bool)
    cover = np.full(n, np.inf)
    any_touch = np.zeros(n, dtype=bool)
    carried = np.zeros(n)
    gain = np.zeros(n)
    # poh − threshold once per row: the slack below subtracts in that order, so it is the same
    headroom = res.poh - res.threshold
    for lo, hi, has, first, k, p, row in trip.blocks():
        if len(p) == 0:
            continue
        mine = lo + has
        stocked[mine] &= np.logical_and.reduceat(row >= 0, first)
        j = np.where(row >= 0, row, 0)
        lam = pairs.lam[p][:, None]
        frac = ctx.grid.frac[pairs.campaign[p]]
        added_b = res.baseline[j] * frac
        cum_b = np.cumsum(added_b, axis=1)
        touched = (cum_b > 0) | (added_b > 0)
        slack = np.round(headroom[j] - lam * (cum_b + rb * added_b), DECIMALS)
        least = np.where(touched, slack, np.inf).min(axis=1)
        cover[mine] = np.minimum(cover[mine], np.minimum.reduceat(least, first))
        any_touch[mine] |= np.logical_or.reduceat(touched.any(axis=1), first)
        promo = lam * added_b
        carried[lo:hi] += np.bincount(k, weights=promo.sum(axis=1), minlength=hi - lo)
        gain[lo:hi] += np.bincount(k, weights=worth(promo, ctx.margin_week[j]),
                                   minlength=hi - lo)
    return stocked, cover, any_touch, carried, gain


def _facts(ctx: ActionContext, c: NDArray[np.int64]) -> dict[str, Any]:
    camps = ctx.inputs.campaigns
    ids = camps["campaign_id"].to_numpy(dtype=object)[c]
    start = pd.to_datetime(camps["start"]).to_numpy()[c]
    week = np.floor_divide((start.astype("datetime64[D]")
                            - np.datetime64(ctx.week0.date(), "D")).astype(np.int64), 7)
    return {"id": ids, "name": [ctx.campaign_names.get(i, i) for i in ids],
            "sku": camps["sku"].to_numpy(dtype=object)[c], "lam": ctx.grid.lift[c],
            "week": week}
