"""The campaign supply check through the network, worked by hand (docs/semantics.md §1, §4.5)."""

import numpy as np
import pandas as pd
import pytest
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge

WEEK2 = {"start": "2026-11-30", "end": "2026-12-06"}  # Monday..Sunday of week 2


def case(lift, dc_on_hand=15, pack=None, status="Planned", horizon=4):
    # DC1 feeds S1 (transit 1). S1: on hand 20, baseline 10/wk, safety 0, margin 2.
    # Campaign C1 at S1 in week 2 with lift λ: S1 demand 10, 10, 10(1 + λ), 10.
    # t=0 plans week 1: B(1) = 20 − 10 = 10, need = 0 − (10 − 10) = 0.
    # t=1 plans week 2: B(2) = 10 − 10 = 0, need = 10(1 + λ) (rounded up to packs).
    # The DC has dc_on_hand, so S1's window week (poh[2] = B(3) = shipped − 10(1 + λ)) is OK
    # exactly when the DC ships the whole need.
    inv = [{"sku": "A", "location": "DC1", "on_hand": dc_on_hand},
           {"sku": "A", "location": "S1", "on_hand": 20, "unit_margin": 2.0,
            **({"pack_size": pack} if pack else {})}]
    locs = [{"location": "DC1", "role": "dc"}, {"location": "S1", "supplied_by": "DC1"}]
    camps = [{"campaign_id": "C1", "sku": "A", "lift": lift, "status": status, **WEEK2}]
    return run_bridge(build_plan(inv, weekly("A", "S1", [10] * horizon), camps,
                                 locations=locs, horizon_weeks=horizon))


def test_dc_stock_caps_the_lift():
    # λ = 1: need 20 > A = 15: f = 0.75, S1 gets 15: poh[2] = 15 − 20 = −5: STOCKOUT.
    # Max lift: the DC can ship at most 15 = 10(1 + λ): λ = 0.5.
    # Coverage over the window: entering B(2) = 0, + 15 arriving, ÷ demand 20 = 0.75.
    # Lost-sales run: same plan up to week 2 (balances never below 0 before), S1 loses 5 in
    # week 2: margin at risk 5 × 2 = 10.
    # Safe start: week 3 (shift 1) — t=1 ships the ordinary 10 (DC left 5), t=2 S1 asks 20
    # for week 3 and gets 5: poh[3] = −15; week 4 is past the horizon: no safe start.
    chk = case(1.0).campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["max_supportable_lift"] == pytest.approx(0.5, abs=1e-12)
    assert chk["coverage"] == pytest.approx(0.75)
    assert chk["margin_at_risk"] == pytest.approx(10.0)
    assert pd.isna(chk["earliest_safe_start"])
    # at λ just above 0.5 S1's window week fails first: S1 limits the lift
    assert chk["note"] == ("stockout in the window; supports at most 50.0% lift (limited by "
                           "S1); no safe start within the horizon")


def test_packs_make_the_cap_a_step():
    # Packs of 6, DC on hand 18. λ = 1: need 20 -> 24 > 18: f = 0.75, 18 = 3 packs: poh[2] =
    # 18 − 20 = −2. The need fits while 10(1 + λ) rounds up to at most 18: λ ≤ 0.8, where the
    # store gets 18 ≥ 18 = demand. (Flat arithmetic would not see the DC at all.)
    chk = case(1.0, dc_on_hand=18, pack=6).campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["max_supportable_lift"] == pytest.approx(0.8, abs=1e-12)


def test_a_campaign_the_dc_can_carry_keeps_its_plan():
    # λ = 0.4: need 14 ≤ 15: shipped in full; poh[2] = 0 = threshold: OK.
    # Coverage (0 + 14) ÷ 14 = 1.
    chk = case(0.4).campaign_check.iloc[0]
    assert chk["supply_status"] == "OK"
    assert chk["max_supportable_lift"] == pytest.approx(0.4)
    assert chk["coverage"] == pytest.approx(1.0)
    assert chk["earliest_safe_start"] == pd.Timestamp("2026-11-30")
    assert chk["note"] == "supply supports the plan"


def test_a_later_start_the_dc_can_carry():
    # As test_dc_stock_caps_the_lift (DC 15, λ = 1) over six weeks, with a DC receipt of 30
    # in week 3. As planned (week 2): S1 gets 15 of 20: STOCKOUT.
    # Shift 1 (week 3): t=1 ships 10 for week 2 (DC keeps 5); t=2: B(3) = 0, need 20, A = 5:
    #   poh[3] = 5 − 20 = −15.
    # Shift 2 (week 4): t=1 ships 10 (DC 5); t=2 need(3) = 10, A = 5: ships 5 (DC 0),
    #   B(4) = 0 + 5 − 10 = −5; t=3 need(4) = 0 − (−5 − 20) = 25, A = 0 + 30: shipped in full,
    #   poh[4] = −5 + 25 − 20 = 0 = threshold: OK -> safe from Monday of week 4, 2026-12-14.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 15},
           {"sku": "A", "location": "S1", "on_hand": 20}]
    locs = [{"location": "DC1", "role": "dc"}, {"location": "S1", "supplied_by": "DC1"}]
    rc = [{"sku": "A", "location": "DC1", "due": "2026-12-07", "qty": 30}]
    camps = [{"campaign_id": "C1", "sku": "A", "lift": 1.0, **WEEK2}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [10] * 6), camps, rc, locations=locs,
                              horizon_weeks=6))
    chk = r.campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["earliest_safe_start"] == pd.Timestamp("2026-12-14")


def test_a_draft_is_judged_as_if_added_without_changing_the_projection():
    r = case(1.0, status="Draft")
    s1 = int(np.flatnonzero(r.keys["location"] == "S1")[0])
    np.testing.assert_array_equal(r.demand[s1], [10, 10, 10, 10])  # no demand from a draft
    chk = r.campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["max_supportable_lift"] == pytest.approx(0.5, abs=1e-12)
    assert chk["note"].endswith("checked as if confirmed")


def test_status_max_lift_and_safe_start_never_contradict():
    # Generated networks: a campaign is OK exactly when its max supportable lift is its planned
    # lift, and then (window inside the horizon) its earliest safe start is its planned start.
    rng = np.random.default_rng(11)
    for _ in range(12):
        stores = [f"S{i}" for i in range(1, 5)]
        inv = [{"sku": sku, "location": "DC1", "on_hand": float(rng.integers(0, 150))}
               for sku in "AB"]
        inv += [{"sku": sku, "location": s, "on_hand": float(rng.integers(0, 40)),
                 "safety_stock": float(rng.integers(0, 6))} for sku in "AB" for s in stores]
        fc = [r for sku in "AB" for s in stores
              for r in weekly(sku, s, rng.integers(0, 15, 6).astype(float).tolist())]
        locs = [{"location": "DC1", "role": "dc"}] + [
            {"location": s, "supplied_by": "DC1", "transit_weeks": int(rng.integers(0, 3))}
            for s in stores]
        camps = []
        for c in range(4):
            start = pd.Timestamp("2026-11-16") + pd.Timedelta(days=int(rng.integers(0, 30)))
            camps.append({"campaign_id": f"C{c}", "sku": "AB"[c % 2], "start": start,
                          "end": start + pd.Timedelta(days=int(rng.integers(0, 10))),
                          "lift": float(rng.choice([0.2, 0.5, 1.5])),
                          "locations": () if c < 2 else tuple(stores[:2])})
        r = run_bridge(build_plan(inv, fc, camps, products=[{"sku": "A", "pack_size": 4}],
                                  locations=locs, horizon_weeks=6, risk_buffer=0.25))
        chk = r.campaign_check
        lift = pd.Series([c["lift"] for c in camps])
        ok = chk["supply_status"] == "OK"
        assert ((chk["max_supportable_lift"] == lift) == ok).all()
        assert (chk["max_supportable_lift"] <= lift).all()
        # and the status is the Bridge's own, over the scoped rows in the window weeks
        for k, c in enumerate(camps):
            scope = c["locations"] or tuple(stores)
            rows = np.flatnonzero((r.keys["sku"] == c["sku"]) & r.keys["location"].isin(scope))
            weeks = (r.weeks + pd.Timedelta(days=6) >= c["start"]) & (r.weeks <= c["end"])
            worst = r.status[np.ix_(rows, np.flatnonzero(weeks))].max()
            assert chk["supply_status"].iat[k] == ["OK", "AT RISK", "STOCKOUT"][worst]
        inside = pd.Series([c["end"] <= pd.Timestamp("2026-12-27") for c in camps])
        planned_start = pd.Series([c["start"] for c in camps])
        assert ((chk["earliest_safe_start"] == planned_start) == (ok & inside)).all()


def test_batches_of_any_size_give_the_same_check(monkeypatch):
    from pysnop.core import network_check
    whole = case(1.0, dc_on_hand=18, pack=6).campaign_check
    monkeypatch.setattr(network_check, "MAX_ROWS", 3)  # one or two scenarios per batch
    pd.testing.assert_frame_equal(case(1.0, dc_on_hand=18, pack=6).campaign_check, whole)


def test_coverage_is_the_tightest_scoped_location_and_the_note_names_it():
    # DC1 (on hand 15) feeds S1 (on hand 20) and S2 (on hand 40), transit 1, baseline 10;
    # C1 +100% at both in week 2. Backorder run:
    #   t=0 (week 1): S1 B(1) = 10, 10 − 10 = 0: need 0; S2 B(1) = 30: need 0.
    #   t=1 (week 2): S1 B(2) = 0, 0 − 20: need 20; S2 B(2) = 20, 20 − 20 = 0: need 0.
    #   Q = 20 > A = 15: f = 0.75, S1 gets 15: poh[2] = 0 + 15 − 20 = −5: STOCKOUT. S2: 0.
    # Coverage in the window: S1 (0 entering + 15 arriving) / 20 = 0.75; S2 (20 + 0) / 20 = 1:
    #   the campaign's is S1's, 0.75 (summed over both it would read 35 / 40).
    # Max lift: S1 gets at most 15 = 10(1 + λ): λ = 0.5; S2 holds up to λ = 1 on its own
    #   stock (20 ≥ 10(1 + λ)) and asks nothing: S1 limits it.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 15},
           {"sku": "A", "location": "S1", "on_hand": 20},
           {"sku": "A", "location": "S2", "on_hand": 40}]
    locs = [{"location": "DC1", "role": "dc"}, {"location": "S1", "supplied_by": "DC1"},
            {"location": "S2", "supplied_by": "DC1"}]
    camps = [{"campaign_id": "C1", "sku": "A", "lift": 1.0, **WEEK2}]
    fc = weekly("A", "S1", [10] * 4) + weekly("A", "S2", [10] * 4)
    chk = run_bridge(build_plan(inv, fc, camps, locations=locs, horizon_weeks=4)) \
        .campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["coverage"] == pytest.approx(0.75)
    assert chk["max_supportable_lift"] == pytest.approx(0.5, abs=1e-12)
    assert "supports at most 50.0% lift (limited by S1)" in chk["note"]


def test_a_campaign_short_without_its_lift_supports_none():
    # DC on hand 5: at t=1 S1 asks 10(1 + λ) for week 2 and gets 5, so poh[2] = 5 − 10(1 + λ)
    # < 0 at any lift, 0 included: STOCKOUT, and no lift (not even one step) keeps it OK.
    chk = case(1.0, dc_on_hand=5).campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["max_supportable_lift"] == 0.0


def test_max_lift_is_where_the_cells_turn():
    # Generated networks: each failing campaign's max supportable lift keeps its cells OK and
    # one step more does not (0: even one step fails) — judged by single what-if projections,
    # not the batched search.
    from pysnop.core import network_check as nc
    from pysnop.core.supply_check import LIFT_STEP
    rng = np.random.default_rng(5)
    seen_zero = seen_inner = 0
    for _ in range(10):
        stores = [f"S{i}" for i in range(1, 4)]
        inv = [{"sku": "A", "location": "DC1", "on_hand": float(rng.integers(0, 120))}]
        inv += [{"sku": "A", "location": s, "on_hand": float(rng.integers(0, 40))}
                for s in stores]
        fc = [r for s in stores for r in weekly("A", s, rng.integers(2, 15, 5).astype(float)
                                                   .tolist())]
        locs = [{"location": "DC1", "role": "dc"}] + [
            {"location": s, "supplied_by": "DC1", "transit_weeks": int(rng.integers(0, 2))}
            for s in stores]
        camps = [{"campaign_id": "C1", "sku": "A", "lift": float(rng.choice([0.5, 1.5, 3.0])),
                  **WEEK2}]
        calls = []
        real = nc._bisect

        def spy(runner, camps_, planned, frac, probes=7):
            lo, hi = real(runner, camps_, planned, frac, probes)
            calls.append((runner, camps_, frac, lo))
            return lo, hi

        nc._bisect = spy
        try:
            run_bridge(build_plan(inv, fc, camps, locations=locs, horizon_weeks=5))
        finally:
            nc._bisect = real
        for runner, camps_, frac, lo in calls:
            for c, best in zip(camps_, lo):
                one = np.array([c])
                at_best = runner.worst(one, np.array([best]), frac[one])[0]
                above = runner.worst(one, np.array([round(best + LIFT_STEP, 10)]), frac[one])[0]
                assert above != 0
                if best > 0:
                    assert at_best == 0
                    seen_inner += 1
                else:
                    seen_zero += 1
    assert seen_zero and seen_inner  # both kinds of campaign were searched


def _two_dc_plans(seed):
    """SKUs A and B at two DCs (DC1 feeds S1, S2; DC2 feeds S3, S4) and S5 on its own,
    campaigns scoped to one chain, both, or every location."""
    rng = np.random.default_rng(seed)
    chains = {"DC1": ("S1", "S2"), "DC2": ("S3", "S4")}
    stores = ["S1", "S2", "S3", "S4", "S5"]
    inv = [{"sku": sku, "location": dc, "on_hand": float(rng.integers(0, 80))}
           for sku in "AB" for dc in chains]
    inv += [{"sku": sku, "location": s, "on_hand": float(rng.integers(0, 40)),
             "safety_stock": float(rng.integers(0, 6)), "unit_margin": 2.0}
            for sku in "AB" for s in stores]
    fc = [r for sku in "AB" for s in stores
          for r in weekly(sku, s, rng.integers(0, 15, 6).astype(float).tolist())]
    locs = [{"location": dc, "role": "dc"} for dc in chains] + [
        {"location": s, "supplied_by": dc, "transit_weeks": int(rng.integers(0, 3))}
        for dc, fed in chains.items() for s in fed] + [{"location": "S5"}]
    scopes = [(), ("S1",), ("S3", "S4"), ("S2", "S5"), ("S5",)]
    camps = []
    for c in range(5):
        start = pd.Timestamp("2026-11-16") + pd.Timedelta(days=int(rng.integers(0, 30)))
        camps.append({"campaign_id": f"C{c}", "sku": "AB"[c % 2], "start": start,
                      "end": start + pd.Timedelta(days=int(rng.integers(0, 10))),
                      "lift": float(rng.choice([0.2, 0.5, 1.5])), "locations": scopes[c]})
    return build_plan(inv, fc, camps, products=[{"sku": "A", "pack_size": 4}],
                      locations=locs, horizon_weeks=6, risk_buffer=0.25)


@pytest.mark.parametrize("seed", range(8))
def test_projecting_only_the_chains_a_campaign_reaches_changes_no_figure(monkeypatch, seed):
    # the whole-SKU projection it replaces: every row given one root, so every row of the
    # campaign's SKU is projected, as before the chains were told apart
    from pysnop.core import network_check
    plan = _two_dc_plans(seed)
    chains = run_bridge(plan).campaign_check
    monkeypatch.setattr(network_check, "chain_roots", lambda dc: np.zeros(len(dc), np.int64))
    whole = run_bridge(plan).campaign_check
    pd.testing.assert_frame_equal(chains, whole)
    assert chains["supply_status"].notna().all()  # every campaign was checked
