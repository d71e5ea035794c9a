"""SHIFT_SKU candidates ruled out before they are valued (core.substitutes._ruled_out) must be
exactly those that would not qualify, and the valuation must be the per-triple arithmetic of
docs/semantics.md §3 (SHIFT_SKU), summed candidate by candidate in pair order."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import build_plan, weekly

import pysnop.core.substitutes as substitutes
from pysnop.core.actions import propose_actions
from pysnop.core.bridge import run_bridge

LOCS = ("S1", "S2")


def candidate_calls(plan):
    """The arguments propose_actions hands to _candidate_values, and what it returned."""
    calls = []
    real = substitutes._candidate_values

    def spy(ctx, pairs, cands, rb):
        out = real(ctx, pairs, cands, rb)
        calls.append(((ctx, pairs, cands, rb), out))
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(substitutes, "_candidate_values", spy)
        propose_actions(plan, run_bridge(plan))
    return calls


def by_hand(ctx, pairs, cands, rb):
    """Each candidate on its own, pair by pair: stocked, cover, touched, carried, gain."""
    res = ctx.result
    keys = {(s, loc): r for r, (s, loc) in enumerate(zip(res.keys["sku"], res.keys["location"]))}
    out = []
    for c, alt in zip(cands["c"], cands["alt"]):
        stocked, cover, touched_any, carried, gain = True, math.inf, False, 0.0, 0.0
        for p in np.flatnonzero(pairs.campaign == c):
            j = keys.get((alt, res.keys["location"].iat[pairs.row[p]]))
            stocked &= j is not None
            j = 0 if j is None else j
            added = res.baseline[j] * ctx.grid.frac[c]
            cum = np.cumsum(added)
            touched = (cum > 0) | (added > 0)
            lam = pairs.lam[p]
            slack = np.round(res.poh[j] - res.threshold[j] - lam * (cum + rb * added), 6)
            cover = min(cover, np.where(touched, slack, np.inf).min())
            touched_any |= bool(touched.any())
            carried += (lam * added).sum()
            gain += (lam * added * ctx.margin_week[j]).sum()
        out.append((stocked, cover, touched_any, carried, gain))
    return out


def qualifies(stocked, cover, touched):
    return bool(stocked and touched and cover >= -substitutes.SLACK_TOL)


def check(calls):
    assert calls, "no SHIFT_SKU candidates were valued"
    for args, (stocked, cover, touched, carried, gain) in calls:
        for i, want in enumerate(by_hand(*args)):
            ok = qualifies(*want[:3])
            assert qualifies(stocked[i], cover[i], touched[i]) == ok
            if ok:  # a qualifying candidate's figures are the ones worked pair by pair
                assert (stocked[i], cover[i], touched[i], carried[i], gain[i]) == want


def plan_of(on_hand, safety, base, lift, start_week, length, risk_buffer, receipts=()):
    """A is short for its campaign at S1 and S2; B..E (same category) have on_hand (S1, S2),
    safety stock, a baseline per location (6 weeks each) and receipts (sku, location, week,
    qty) as given."""
    inv = [{"sku": "A", "location": loc, "on_hand": 5, "unit_margin": 3.0, "category": "K"}
           for loc in LOCS]
    fc = [r for loc in LOCS for r in weekly("A", loc, [10] * 6)]
    for s, (oh, ss, b) in zip("BCDE", zip(on_hand, safety, base)):
        for n, loc in enumerate(LOCS):
            inv.append({"sku": s, "location": loc, "on_hand": oh[n], "safety_stock": ss,
                        "unit_margin": 2.0, "category": "K"})
            fc += weekly(s, loc, b[n])
    monday = np.datetime64("2026-11-16")  # week 0
    start = monday + np.timedelta64(7 * (1 + start_week), "D")
    end = start + np.timedelta64(7 * length - 1, "D")
    camps = [{"campaign_id": "C1", "sku": "A", "start": str(start), "end": str(end),
              "lift": lift, "locations": LOCS}]
    due = [{"sku": s, "location": loc, "due": str(monday + np.timedelta64(7 * w + 2, "D")),
            "qty": q, "po_id": f"P{i}"} for i, (s, loc, w, q) in enumerate(receipts)]
    return build_plan(inv, fc, camps, due, horizon_weeks=6, risk_buffer=risk_buffer)


@settings(max_examples=40, deadline=None)
@given(on_hand=st.lists(st.tuples(st.integers(0, 150), st.integers(0, 150)), min_size=4,
                        max_size=4),
       safety=st.lists(st.integers(0, 30), min_size=4, max_size=4),
       base=st.lists(st.tuples(*[st.lists(st.sampled_from([0, 0.5, 5, 10, 20]), min_size=6,
                                          max_size=6)] * 2), min_size=4, max_size=4),
       receipts=st.lists(st.tuples(st.sampled_from("BCDE"), st.sampled_from(LOCS),
                                   st.integers(0, 5), st.integers(1, 120)), max_size=4),
       lift=st.sampled_from([0.25, 0.5, 1.0, 2.0]), start_week=st.integers(0, 3),
       length=st.integers(1, 3), risk_buffer=st.sampled_from([0.0, 0.25, 1.0]))
def test_screened_candidates_are_those_that_would_not_qualify(on_hand, safety, base, receipts,
                                                              lift, start_week, length,
                                                              risk_buffer):
    plan = plan_of(on_hand, safety, base, lift, start_week, length, risk_buffer, receipts)
    calls = candidate_calls(plan)
    if calls:
        check(calls)


def test_a_candidate_short_in_a_touched_week_is_ruled_out_and_one_with_cover_is_valued():
    # A: on_hand 5, base 10 at S1 and S2, +100% in week 1 (Mon 2026-11-23): short, saved > 0.
    # B: on_hand 100 at both, base 10, ss 0: poh 90, 80, ... the lift adds 10 in week 1:
    #    slack week 1 = 80 - 10 = 70, then 70 - 10 = 60, 50, 40, 30 -> cover 30, qualifies;
    #    carried = 10 + 10 (two locations), gain = 20 × margin 2 = 40.
    # C: on_hand 100 at S1 but 15 at S2: poh at S2 5, -5, ... below threshold 0 in week 1,
    #    which the lift touches: ruled out (cover < 0 whatever the lift adds).
    # D: on_hand 5 at S1, base 10: poh -5 in week 0, before the lift touches; 100 arrive in
    #    week 1: poh 85, 75, ..., 45, the lift's 10 from week 1 leaves cover 35: valued, and
    #    it qualifies. At S2 no baseline in week 1 (the campaign's only week) and 0 on hand:
    #    poh -10 from week 2 but the lift touches nothing there: that rules nothing out.
    # E: on_hand 12 at both: poh 2, -8, ... short from week 1: ruled out.
    plan = plan_of([(100, 100), (100, 15), (5, 0), (12, 12)], [0, 0, 0, 0],
                   [([10] * 6, [10] * 6), ([10] * 6, [10] * 6),
                    ([10] * 6, [0, 0, 10, 10, 10, 10]), ([10] * 6, [10] * 6)],
                   1.0, 0, 1, 0.0, receipts=[("D", "S1", 1, 100)])
    calls = candidate_calls(plan)
    check(calls)
    (ctx, pairs, cands, rb), (stocked, cover, touched, carried, gain) = calls[0]
    alt = list(cands["alt"])
    trip = substitutes._Triples(ctx, pairs, cands)
    ruled = dict(zip(alt, substitutes._ruled_out(ctx, pairs, trip, rb)))
    assert ruled == {"B": False, "C": True, "D": False, "E": True}
    b, d = alt.index("B"), alt.index("D")
    assert (cover[b], carried[b], gain[b]) == (30, 20, 40)
    assert (cover[d], carried[d], gain[d]) == (35, 10, 20)
