"""Property: the closed loop never counts a receipt twice, nor one that has arrived.

Exported orders and transfers into A at S1 (random weeks, quantities, and whether the Receipts
sheet lists them — open, or received and left out by the reader — and how many weeks have passed
since): the receipts the bridge projects at A/S1 are exactly the sheet's open receipts plus the
exported ones the sheet does not list whose week is not yet past. An exported receipt listed on
the sheet, or due before the as-of week, adds nothing.
"""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge
from pysnop.core.commitments import apply_commitments

WEEK0 = pd.Timestamp("2026-11-16")  # as of 2026-11-18 before any week passes
H = 4
# each example runs the bridge: a short run by default, the full one under the "ci" profile
EXAMPLES = 300 if settings.default.max_examples >= 1000 else 25


@st.composite
def cycles(draw):
    n = draw(st.integers(1, 5))
    exports, listed_open, listed_closed = [], [], []
    for k in range(n):
        week = WEEK0 + pd.Timedelta(weeks=draw(st.integers(-2, H + 1)))
        qty = float(draw(st.integers(1, 50)))
        kind = draw(st.sampled_from(["NEW_ORDER", "TRANSFER"]))
        exports.append({"action_id": f"{kind[:3]}-{k}", "type": kind, "sku": "A",
                        "location": "S1", "from_location": "S2" if kind == "TRANSFER" else None,
                        "qty": qty, "week": week, "exported_at": WEEK0})
        where = draw(st.sampled_from(["none", "open", "closed"]))
        if where == "open":  # the ERP's row, due some day of that week or the next
            due = week + pd.Timedelta(days=draw(st.integers(0, 9)))
            listed_open.append({"sku": "A", "location": "S1", "due": due, "qty": qty,
                                "po_id": f"{kind[:3]}-{k}"})
        elif where == "closed":
            listed_closed.append(f"{kind[:3]}-{k}")
    passed = draw(st.integers(0, 3))
    return exports, listed_open, listed_closed, passed


@settings(max_examples=EXAMPLES, deadline=None)
@given(cycles())
def test_the_loop_never_double_counts_a_receipt(case):
    exports, listed_open, listed_closed, passed = case
    as_of = dt.date(2026, 11, 18) + dt.timedelta(weeks=passed)
    week0 = WEEK0 + pd.Timedelta(weeks=passed)
    inv = [{"sku": "A", "location": "S1", "on_hand": 0, "unit_margin": 1.0},
           {"sku": "A", "location": "S2", "on_hand": 500, "unit_margin": 1.0}]
    fc = weekly("A", "S1", [5] * 10) + weekly("A", "S2", [5] * 10)
    inputs = build_plan(inv, fc, receipts=listed_open, horizon_weeks=H, as_of=as_of)
    done = apply_commitments(inputs, pd.DataFrame(exports), listed_po_ids=listed_closed)
    result = run_bridge(done.inputs)
    at = int(np.flatnonzero(result.keys["location"] == "S1")[0])
    projected = result.receipts[at].sum()

    listed = {r["po_id"] for r in listed_open} | set(listed_closed)

    def in_horizon(due):  # past due counts in week 0; after the horizon it is not projected
        return (due - week0).days // 7 < H

    expected = sum(r["qty"] for r in listed_open if in_horizon(r["due"]))
    expected += sum(e["qty"] for e in exports if e["action_id"] not in listed
                    and e["week"] >= week0 and in_horizon(e["week"]))
    assert projected == expected
    # and nothing the sheet lists, or that has arrived, was added
    added = done.inputs.receipts[done.inputs.receipts["row"] == -1]
    added_in = added[added["qty"] > 0]
    assert not set(added_in["po_id"]) & listed
    assert (added_in["due"] >= week0).all()
    assert added_in["po_id"].is_unique  # one planned receipt per export
