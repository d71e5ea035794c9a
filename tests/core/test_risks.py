"""Risks: one decision per sku-location or campaign, beside the proposals (docs/semantics.md).

Week 0 is Mon 2026-11-16 (as-of Wed 2026-11-18).
"""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_budget import examples
from plans import build_plan, weekly
from test_transfers import worlds

from pysnop.core.actions import ACTION_COLUMNS, COVER_COLUMNS, plan_actions
from pysnop.core.bridge import run_bridge
from pysnop.core.deadlines import classify_deadlines
from pysnop.core.risk_frame import RISK_COLUMNS

W = {k: pd.Timestamp("2026-11-16") + pd.Timedelta(days=7 * k) for k in range(8)}


def plan_of(plan):
    return plan_actions(plan, run_bridge(plan))


def chain(s1=35, s4=None, status="Planned"):
    # campaign C1 "Winter" on A at every store, week 1, +100 %; base 10/wk, margin 2,
    # horizon 3. S1 (on_hand 35): 25, 5, -5 with the campaign -> short, loses 5.
    # S2, S3 (100): fine. S4 (optional): another SKU B short on its own (no campaign).
    inv = [{"sku": "A", "location": s, "on_hand": oh, "unit_margin": 2.0}
           for s, oh in (("S1", s1), ("S2", 100), ("S3", 100))]
    fc = [r for s in ("S1", "S2", "S3") for r in weekly("A", s, [10] * 3)]
    if s4 is not None:
        inv.append({"sku": "B", "location": "S4", "on_hand": s4, "unit_margin": 3.0,
                    "lead_time_weeks": 1})
        fc += weekly("B", "S4", [10] * 3)
    camps = [{"campaign_id": "C1", "name": "Winter", "sku": "A", "start": "2026-11-23",
              "end": "2026-11-29", "lift": 1.0, "status": status}]
    return build_plan(inv, fc, camps, horizon_weeks=3)


def test_a_campaign_risk_groups_its_short_store_with_every_remedy():
    ap = plan_of(chain(s4=15))
    risks = ap.risks.set_index("kind")
    camp, loose = risks.loc["campaign"], risks.loc["sku-location"]
    # the campaign risk: S1 only; shortfall 5 (week 2: threshold 0 − poh −5); lost 5 × 2
    assert (camp["sku"], camp["location"], camp["campaign_id"]) == ("A", "S1", "C1")
    assert (camp["status"], camp["first_risk_week"]) == ("STOCKOUT", W[2])
    assert (camp["shortfall_units"], camp["lost_units"], camp["margin_at_risk"]) == (5, 5, 10)
    assert (camp["alternatives"], camp["recommended"], camp["fixable"]) == (2, 1, True)
    assert not camp["draft"]
    mine = ap.proposals[ap.proposals["risk_id"] == camp["risk_id"]]
    assert set(mine["type"]) == {"TRANSFER", "EXCLUDE_LOCATIONS"}
    assert camp["best_action_id"] == mine[mine["type"] == "TRANSFER"]["action_id"].iloc[0]
    # B at S4: 5, -5, -15 -> its own sku-location risk; lead 1: act_by week 1 − 1 = week 0
    # (2026-11-16, not before week 0): a NEW_ORDER of 15 arriving week 1
    assert (loose["sku"], loose["location"], loose["status"]) == ("B", "S4", "STOCKOUT")
    assert (loose["shortfall_units"], loose["act_by"], loose["too_late"]) == (15, W[0], False)
    order = ap.proposals[ap.proposals["risk_id"] == loose["risk_id"]]
    assert order["type"].tolist() == ["NEW_ORDER"] and order["qty"].tolist() == [15]
    # order: risks as the Bridge orders rows (S4 stocks out in week 1, S1 in week 2)
    assert ap.risks["location"].tolist() == ["S4", "S1"] and ap.risks["rank"].tolist() == [1, 2]
    assert list(ap.risks.columns) == RISK_COLUMNS
    assert list(ap.proposals.columns) == ACTION_COLUMNS
    assert list(ap.cover.columns) == COVER_COLUMNS
    # proposals are grouped by risk, in the risks' order
    assert ap.proposals["risk_id"].drop_duplicates().tolist() == ap.risks["risk_id"].tolist()


def test_a_risk_nothing_can_fix_says_so():
    # B at S4 with on_hand 15 and a lead time of 4 weeks: act_by week 1 − 4 (past): no order;
    # no receipts to pull in; no other location stocks B: no remedy
    plan = chain(s4=15)
    plan.inventory.loc[plan.inventory["sku"] == "B", "lead_time_weeks"] = 4.0
    risks = plan_of(plan).risks.set_index("sku")
    b = risks.loc["B"]
    assert (b["alternatives"], b["fixable"], b["too_late"]) == (0, False, True)
    assert b["best_action_id"] is None
    assert b["note"] == ("nothing can fix it: too late to order (act_by 2026-10-26); no open "
                         "receipt can be pulled in within 4 weeks; no location can spare stock "
                         "in time")


def test_a_risk_below_safety_stock_only_loses_no_sale():
    plan = build_plan([{"sku": "A", "location": "S1", "on_hand": 25, "safety_stock": 10,
                        "unit_margin": 1.0}], weekly("A", "S1", [10, 10]), horizon_weeks=2)
    ap = plan_of(plan)  # poh 15, 5: AT RISK in week 1, never below zero
    assert ap.proposals.empty
    risk = ap.risks.iloc[0]
    assert (risk["status"], risk["shortfall_units"], risk["lost_units"]) == ("AT RISK", 5, 0)
    assert risk["note"] == ("below threshold only: no sale is lost in the horizon, so nothing "
                            "is proposed")


def test_a_draft_campaign_is_its_own_risk_judged_as_if_confirmed():
    ap = plan_of(chain(status="Draft"))
    # the Bridge does not count the draft: S1 is fine there (25, 15, 5); the draft's risk is
    # judged with it added: S1 would lose 5
    risk = ap.risks.iloc[0]
    assert (risk["kind"], risk["draft"], risk["location"]) == ("campaign", True, "S1")
    assert (risk["shortfall_units"], risk["lost_units"], risk["act_by"]) == (5, 5, W[1])
    mine = ap.proposals[ap.proposals["risk_id"] == risk["risk_id"]]
    assert mine["type"].tolist() == ["EXCLUDE_LOCATIONS"]  # no supply remedy for a what-if


def test_covers_columns():
    ap = plan_of(chain())
    by_type = ap.proposals.set_index("type")
    # the transfer of 5 units from week 1 closes the week-2 gap of 5: covers the risk
    assert (by_type.loc["TRANSFER", "covers_units"], by_type.loc["TRANSFER", "covers_risk"]) \
        == (5, True)
    # dropping S1 takes 10 units of demand off from week 1: the gap closes too
    assert by_type.loc["EXCLUDE_LOCATIONS", "covers_risk"]
    cover = ap.cover.set_index("action_id")
    assert cover.loc[by_type.loc["TRANSFER", "action_id"], ["week", "gap", "fill"]].tolist() \
        == [W[2], 5, 5]


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_at_risk_row_is_in_exactly_one_risk_and_every_proposal_in_one(plan):
    result = run_bridge(plan)
    ap = plan_actions(plan, result)
    at_risk = result.summary[result.summary["status"] != "OK"]
    bridge_risks = ap.risks[~ap.risks["draft"]]
    cells = [(s, loc) for _, r in bridge_risks.iterrows()
             for s, loc in zip([r["sku"]] * 99, r["location"].split(", "))]
    assert sorted(cells) == sorted(zip(at_risk["sku"], at_risk["location"]))
    assert ap.proposals["risk_id"].isin(ap.risks["risk_id"]).all()
    # never ranked first when losing money; alt_rank counts recommended ones only
    first = ap.proposals.drop_duplicates("risk_id")
    has_good = ap.risks.set_index("risk_id")["recommended"] > 0
    assert (first["recommended"] | ~first["risk_id"].map(has_good)).all()
    assert (ap.proposals["alt_rank"].isna() == ~ap.proposals["recommended"]).all()
    # act_by never before the as-of date
    assert (ap.proposals["act_by"] >= pd.Timestamp(plan.settings.as_of)).all()


# --- deadlines ---------------------------------------------------------------------------

def test_deadlines_split_overdue_from_due_and_never_show_a_past_date():
    # as-of Wed 2026-11-18; its week starts Mon 11-16
    act_by = pd.Series(pd.to_datetime(["2026-11-09", "2026-11-16", "2026-11-18", "2026-11-25",
                                       "2026-11-26", None]))
    got = classify_deadlines(act_by, pd.Timestamp("2026-11-18"))
    # 11-09: its week is past -> overdue, shown as it is
    # 11-16: this week's Monday -> due now, shown as the as-of date (not a past date)
    # 11-18: due; 11-25: as-of + 7 -> due; 11-26: later; blank: no deadline
    assert got["deadline"].tolist() == ["overdue", "due", "due", "due", "later", None]
    assert got["shown"].tolist()[:5] == list(pd.to_datetime(
        ["2026-11-09", "2026-11-18", "2026-11-18", "2026-11-25", "2026-11-26"]))
    due = got[got["deadline"] == "due"]
    assert (due["shown"] >= pd.Timestamp("2026-11-18")).all()


@pytest.mark.parametrize("days, expected", [(0, ["due", "later"]), (14, ["due", "due"])])
def test_deadline_window(days, expected):
    got = classify_deadlines(["2026-11-18", "2026-12-01"], "2026-11-18", days=days)
    assert got["deadline"].tolist() == expected
