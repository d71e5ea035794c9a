"""The closed loop, hand-worked: exported actions enter the projection until the Receipts or
Campaigns sheet shows them, and a receipt is never counted twice (horizon 4, risk buffer 0).

The plan (as tests/core/test_simulate.py): A at S1 on_hand 20, base 20/week -> poh 0, -20,
-40, -60 (STOCKOUT from week 1, 60 lost); A at S2 on_hand 80, safety 10, base 10 -> 70, 60,
50, 40 (OK). As of Wednesday 2026-11-18: week 0 = Monday 2026-11-16.
"""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge
from pysnop.core.commitments import (
    LOST,
    PROJECTED,
    RECEIVED,
    SHOWN,
    apply_commitments,
    covered_by,
)

W0, W1, W2, W3 = (pd.Timestamp("2026-11-16") + pd.Timedelta(weeks=k) for k in range(4))
EXPORTED = pd.Timestamp("2026-11-18 10:00")


def plan(receipts=(), campaigns=(), as_of=dt.date(2026, 11, 18), **extra):
    inv = [{"sku": "A", "location": "S1", "on_hand": 20, "unit_margin": 5.0},
           {"sku": "A", "location": "S2", "on_hand": 80, "safety_stock": 10, "unit_margin": 5.0},
           {"sku": "B", "location": "S1", "on_hand": 200, "unit_margin": 3.0}]
    fc = weekly("A", "S1", [20] * 6) + weekly("A", "S2", [10] * 6) + weekly("B", "S1", [10] * 6)
    return build_plan(inv, fc, campaigns=campaigns, receipts=receipts, horizon_weeks=4,
                      as_of=as_of, **extra)


def exported(**fields):
    return pd.DataFrame([{"exported_at": EXPORTED, **fields}])


def poh(inputs, sku, location):
    result = run_bridge(inputs)
    at = np.flatnonzero((result.keys["sku"] == sku) & (result.keys["location"] == location))[0]
    return result.poh[at].tolist()


ORDER = dict(action_id="ORD-1", type="NEW_ORDER", sku="A", location="S1", qty=60.0, week=W1)


def test_an_exported_order_is_a_planned_receipt_and_its_risk_reads_covered():
    done = apply_commitments(plan(), exported(**ORDER))
    assert done.effects["state"].tolist() == [PROJECTED]
    # +60 in week 1: 20 - 20 = 0; 0 + 60 - 20 = 40; 20; 0 -> never below 0: OK
    assert poh(done.inputs, "A", "S1") == [0, 40, 20, 0]
    added = done.inputs.receipts
    assert added["po_id"].tolist() == ["ORD-1"] and added["row"].tolist() == [-1]
    result = run_bridge(done.inputs)
    text = covered_by(result.summary, result.summary["status"], done.effects)
    mine = (result.summary["sku"] == "A") & (result.summary["location"] == "S1")
    assert text[mine].tolist() == ["covered by ORD-1, exported 2026-11-18"]
    assert set(text[~mine]) == {""}


def test_an_order_on_the_receipts_sheet_counts_once():
    # the ERP's PO for the exported order, typed into Receipts (due on the Wednesday)
    receipts = [{"sku": "A", "location": "S1", "due": "2026-11-25", "qty": 60, "po_id": "ord-1"}]
    done = apply_commitments(plan(receipts), exported(**ORDER))
    assert done.effects["state"].tolist() == [SHOWN]
    assert len(done.inputs.receipts) == 1  # nothing added: 60 in week 1, not 120
    assert poh(done.inputs, "A", "S1") == [0, 40, 20, 0]
    assert done.warnings == []


def test_a_received_order_the_reader_left_out_is_not_added_again():
    # Receipts lists it Received (the reader leaves the row out); its 60 units are in on_hand
    done = apply_commitments(plan(), exported(**ORDER), listed_po_ids=["ORD-1"])
    assert done.effects["state"].tolist() == [SHOWN] and len(done.inputs.receipts) == 0


def test_an_order_due_before_this_week_and_not_listed_is_taken_as_received():
    # a week later than it was due (as of 2026-12-02: week 0 = 2026-11-30 > 2026-11-23)
    done = apply_commitments(plan(as_of=dt.date(2026, 12, 2)), exported(**ORDER))
    assert done.effects["state"].tolist() == [RECEIVED] and len(done.inputs.receipts) == 0
    [warning] = done.warnings
    assert warning.sheet == "Receipts" and warning.severity == "warning"
    assert "was due 2026-11-23 and is not on the Receipts sheet: taken as received" in \
        warning.reason and "po_id ORD-1" in warning.reason


TRANSFER = dict(action_id="TRF-1", type="TRANSFER", sku="A", location="S1", from_location="S2",
                qty=30.0, week=W1)


def test_an_exported_transfer_is_in_at_the_receiver_and_out_at_the_donor():
    done = apply_commitments(plan(), exported(**TRANSFER))
    # S1: +30 in week 1 -> 0, 10, -10, -30; S2 (transit 1 week): -30 in week 0 -> 40, 30, 20, 10
    assert poh(done.inputs, "A", "S1") == [0, 10, -10, -30]
    assert poh(done.inputs, "A", "S2") == [40, 30, 20, 10]
    result = run_bridge(done.inputs)
    text = dict(zip(result.summary["location"] + result.summary["sku"],
                    covered_by(result.summary, result.summary["status"], done.effects)))
    assert text["S1A"] == "partly covered by TRF-1, exported 2026-11-18"  # still STOCKOUT
    assert text["S2A"] == "TRF-1 ships 30 to S1, exported 2026-11-18"


def test_a_transfer_that_has_left_is_only_in_transit_and_once_listed_only_the_sheets():
    # a week on (as of 2026-11-25, week 0 = 2026-11-23): it left in week 2026-11-16, so S2's
    # on_hand shows it; it arrives this week: still projected in at S1
    later = plan(as_of=dt.date(2026, 11, 25))
    done = apply_commitments(later, exported(**TRANSFER))
    assert done.inputs.receipts[["location", "qty"]].values.tolist() == [["S1", 30.0]]
    # the same week with the transfer typed into Receipts at S1: nothing added at all
    listed = plan([{"sku": "A", "location": "S1", "due": "2026-11-24", "qty": 30,
                    "po_id": "TRF-1"}], as_of=dt.date(2026, 11, 25))
    done = apply_commitments(listed, exported(**TRANSFER))
    assert done.effects["state"].tolist() == [SHOWN] and len(done.inputs.receipts) == 1


EXPEDITE = dict(action_id="EXP-1", type="EXPEDITE", sku="A", location="S1", po_id="P1",
                qty=60.0, week=W1)


def test_an_exported_expedite_moves_its_receipt_until_receipts_shows_the_new_date():
    po = {"sku": "A", "location": "S1", "qty": 60, "po_id": "P1"}
    done = apply_commitments(plan([{**po, "due": "2026-12-09"}]), exported(**EXPEDITE))
    assert done.effects["state"].tolist() == [PROJECTED]
    assert done.inputs.receipts["due"].tolist() == [W1]  # moved, not added
    assert poh(done.inputs, "A", "S1") == [0, 40, 20, 0]
    shown = apply_commitments(plan([{**po, "due": "2026-11-24"}]), exported(**EXPEDITE))
    assert shown.effects["state"].tolist() == [SHOWN]
    assert shown.inputs.receipts["due"].tolist() == [pd.Timestamp("2026-11-24")]
    arrived = apply_commitments(plan(), exported(**EXPEDITE), listed_po_ids=["P1"])
    assert arrived.effects["state"].tolist() == [SHOWN] and arrived.warnings == []


def test_an_expedite_whose_week_passed_without_the_erp_moving_it_stops():
    po = {"sku": "A", "location": "S1", "qty": 60, "po_id": "P1", "due": "2026-12-09"}
    done = apply_commitments(plan([po], as_of=dt.date(2026, 12, 2)), exported(**EXPEDITE))
    assert done.effects["state"].tolist() == [LOST]
    assert done.inputs.receipts["due"].tolist() == [pd.Timestamp("2026-12-09")]
    assert "still shows P1 due later" in done.warnings[0].reason


BF = {"campaign_id": "BF", "sku": "A", "start": "2026-11-23", "end": "2026-11-29", "lift": 0.5,
      "locations": ("S1", "S2")}


def campaign(inputs):
    return inputs.campaigns.iloc[0]


def test_exported_marketing_changes_enter_until_campaigns_shows_them():
    lift = dict(action_id="LFT-1", type="REDUCE_LIFT", sku="A", campaign_id="BF",
                location="S1, S2", new_lift=0.2)
    done = apply_commitments(plan(campaigns=[BF]), exported(**lift))
    assert done.effects["state"].tolist() == [PROJECTED] and campaign(done.inputs)["lift"] == 0.2
    shown = apply_commitments(plan(campaigns=[{**BF, "lift": 0.2}]), exported(**lift))
    assert shown.effects["state"].tolist() == [SHOWN]

    move = dict(action_id="MOV-1", type="MOVE_WINDOW", sku="A", campaign_id="BF",
                location="S1", new_start=pd.Timestamp("2026-12-07"))
    moved = campaign(apply_commitments(plan(campaigns=[BF]), exported(**move)).inputs)
    assert (moved["start"], moved["end"]) == (pd.Timestamp("2026-12-07"),
                                              pd.Timestamp("2026-12-13"))  # same 7 days

    drop = dict(action_id="EXC-1", type="EXCLUDE_LOCATIONS", sku="A", campaign_id="BF",
                location="S1")
    assert campaign(apply_commitments(plan(campaigns=[BF]), exported(**drop)).inputs)[
        "locations"] == ("S2",)
    gone = apply_commitments(plan(campaigns=[{**BF, "locations": ("S2",)}]), exported(**drop))
    assert gone.effects["state"].tolist() == [SHOWN]

    shift = dict(action_id="SKU-1", type="SHIFT_SKU", sku="A", alt_sku="B", campaign_id="BF",
                 location="S1, S2")
    assert campaign(apply_commitments(plan(campaigns=[BF]), exported(**shift)).inputs)[
        "sku"] == "B"
    assert apply_commitments(plan(campaigns=[{**BF, "sku": "B"}]), exported(**shift)) \
        .effects["state"].tolist() == [SHOWN]


def test_a_campaign_no_longer_on_the_sheet_is_reported_not_guessed():
    lift = dict(action_id="LFT-1", type="REDUCE_LIFT", sku="A", campaign_id="GONE",
                location="S1", new_lift=0.2)
    done = apply_commitments(plan(campaigns=[BF]), exported(**lift))
    assert done.effects["state"].tolist() == [LOST]
    assert campaign(done.inputs)["lift"] == 0.5
    assert done.warnings[0].sheet == "Campaigns"
    assert "not on the Campaigns sheet any more" in done.warnings[0].reason


def test_an_action_exported_twice_is_shown_once_per_receipts_row():
    # ORD-1 was done (the PO is on Receipts), then needed again and exported a second time:
    # the first is the sheet's row, the second is still a planned receipt
    twice = pd.concat([exported(**ORDER), exported(**{**ORDER, "qty": 20.0, "week": W2})],
                      ignore_index=True)
    receipts = [{"sku": "A", "location": "S1", "due": "2026-11-23", "qty": 60, "po_id": "ORD-1"}]
    done = apply_commitments(plan(receipts), twice)
    assert done.effects["state"].tolist() == [SHOWN, PROJECTED]
    assert sorted(done.inputs.receipts["qty"].tolist()) == [20.0, 60.0]


def test_nothing_exported_leaves_the_inputs_alone():
    inputs = plan()
    done = apply_commitments(inputs, exported(**ORDER).iloc[0:0])
    assert done.inputs is inputs and done.effects.empty and done.warnings == []
    assert dataclasses.asdict(done.inputs.settings) == dataclasses.asdict(inputs.settings)
