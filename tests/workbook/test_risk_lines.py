"""The Actions sheet's risk lines, built for all risks at once (render/action_groups.py):
each headline and remedy is what the one-risk reference below (the code the column-wise
version replaced) writes, and a hand-worked pair."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pysnop.workbook.render.action_groups import (
    OPEN,
    RISK,
    _day,
    _flag,
    _number,
    _present,
    risk_headlines,
    risk_lines,
    risk_remedies_all,
)


# the reference: one risk at a time, as the Actions sheet was written before
def risk_headline(risk: dict[str, Any]) -> str:
    """What the decision is about, when, how much: '000311 at S01: STOCKOUT from
    2026-11-23 · short 84 units · 84 lost · margin at risk 3,519.96 · act by 2026-11-02
    (too late to order)'."""
    sku, where = risk.get("sku"), risk.get("location")
    dc = risk.get("dc") if _present(risk.get("dc")) else None
    if risk.get("kind") == "campaign":
        draft = _flag(risk.get("draft"))
        what = f"{'Draft campaign' if draft else 'Campaign'} {risk.get('campaign_id')}, " \
               f"{sku} at {where}{' if confirmed' if draft else ''}"
        if dc:
            what += f" (through {dc})"
    elif risk.get("kind") == "network" and dc:
        what = f"{sku} at {where}: {dc} and the locations it leaves short"
    else:
        what = f"{sku} at {where}"
    parts = [f"{what}: {risk.get('status') or 'AT RISK'} from "
             f"{_day(risk.get('first_risk_week'))}",
             f"short {_units(risk.get('shortfall_units'))} units"]
    if (_number(risk.get("lost_units")) or 0) > 1e-6:
        parts += [f"{_units(risk.get('lost_units'))} lost",
                  f"margin at risk {_number(risk.get('margin_at_risk')) or 0:,.2f}"]
    else:
        parts.append("no sale lost")
    act = _day(risk.get("act_by"))
    if act:
        parts.append(f"act by {act}" + (" (too late to order)" if _flag(risk.get("too_late"))
                                        else ""))
    return " · ".join(parts)


def risk_remedies(risk: dict[str, Any]) -> str:
    """What can fix the risk: its alternatives and the best one, or why nothing can."""
    note = risk.get("note")
    n = int(_number(risk.get("alternatives")) or 0)
    if _present(note) and str(note).startswith("nothing can fix it"):
        return "Nothing can fix this: " + str(note).split(": ", 1)[-1] + "."
    if _present(note) and n == 0:
        return str(note)[:1].upper() + str(note)[1:] + "."
    rec = int(_number(risk.get("recommended")) or 0)
    text = f"{n} alternative{'s' if n != 1 else ''} below"
    if _present(risk.get("best_action_id")):
        text += f", best {risk['best_action_id']}"
    if rec < n:
        text += f"; {n - rec} not recommended ({'it loses' if n - rec == 1 else 'they lose'}" \
                f" money)"
    if _present(note):
        text += f"; {note}"
    return text + ". Approve the one you choose: the others it makes unnecessary become " \
        "Superseded."


def _units(value: Any) -> str:
    f = _number(value) or 0.0
    return f"{f:,.0f}" if abs(f - round(f)) < 1e-6 or abs(f) >= 100 else f"{f:,.1f}"


RISKS = pd.DataFrame({
    "risk_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
    "kind": ["sku", "campaign", "campaign", "network", "network", None],
    "draft": [False, True, False, False, False, False],
    "sku": ["000311", "A", "B", "C", "D", "E"],
    "location": ["S01", "S02, S03", "S04", "S05", "S06", "S07"],
    "campaign_id": [None, "C9", "C10", None, None, None],
    "status": ["STOCKOUT", "AT RISK", None, "STOCKOUT", "", "STOCKOUT"],
    "first_risk_week": pd.to_datetime(["2026-11-23", "2026-12-07", None, "2026-11-30",
                                       "2026-11-30", "2026-11-30"]),
    "shortfall_units": [84.0, 12.5, 150.25, -0.0, 3.0, float("nan")],
    "lost_units": [84.0, 0.0, 1e-7, 2.4, float("nan"), 1234.0],
    "margin_at_risk": [3519.96, 10.0, 5.0, 0.0, 1.0, 1234567.891],
    "act_by": pd.to_datetime(["2026-11-02", None, "2026-11-09", "2026-11-16", None,
                              "2026-11-16"]),
    "too_late": [True, False, False, True, False, False],
    "alternatives": [3, 1, 0, 0, 2, 2],
    "recommended": [2, 1, 0, 0, 2, 1],
    "best_action_id": ["ORD-1", "PUL-2", None, "", "TRF-9", "ORD-7"],
    "note": ["", "x", "nothing can fix it: no supplier lead time fits",
             "no stock anywhere", None, "lead time is long"],
    "dc": [None, "DC1", None, "DC2", "", None],
})


def test_hand_worked_headline_and_remedy():
    # risk R1: 84 short, 84 lost (> 0), margin 3519.96 with thousands separator; act by
    # 2026-11-02 flagged too late; 3 alternatives, 2 recommended -> 1 loses money
    heads = risk_headlines(RISKS)
    assert heads[0] == ("000311 at S01: STOCKOUT from 2026-11-23 · short 84 units · 84 lost"
                        " · margin at risk 3,519.96 · act by 2026-11-02 (too late to order)")
    remedies = risk_remedies_all(RISKS)
    assert remedies[0] == ("3 alternatives below, best ORD-1; 1 not recommended (it loses "
                           "money). Approve the one you choose: the others it makes "
                           "unnecessary become Superseded.")
    # R2: a draft campaign through DC1; 12.5 is not whole and < 100 -> one decimal; no loss
    assert heads[1] == ("Draft campaign C9, A at S02, S03 if confirmed (through DC1): AT RISK"
                        " from 2026-12-07 · short 12.5 units · no sale lost")
    # R3: nothing can fix it -> the note's reason after ": "
    assert remedies[2] == "Nothing can fix this: no supplier lead time fits."
    # R4: no alternative, a note -> the note capitalised
    assert remedies[3] == "No stock anywhere."
    # R4's shortfall -0.0 shows as 0, as the one-risk function's `or 0.0` does
    assert " · short 0 units · " in heads[3]


def test_all_at_once_equals_one_by_one():
    heads, remedies = risk_headlines(RISKS), risk_remedies_all(RISKS)
    for i, rec in enumerate(RISKS.to_dict("records")):
        assert heads[i] == risk_headline(rec), rec["risk_id"]
        assert remedies[i] == risk_remedies(rec), rec["risk_id"]


def test_risk_lines_carry_state_and_ids():
    lines = risk_lines(RISKS, {"R2": "covered"})
    assert lines["line"].tolist() == [RISK] * 6
    assert lines["covers"].tolist() == [OPEN, "covered", OPEN, OPEN, OPEN, OPEN]
    assert lines["option"].tolist() == lines["risk_id"].tolist() == RISKS["risk_id"].tolist()
    assert lines["status"].isna().all()


def test_object_columns_read_back_give_the_same_lines():
    # risks whose columns are plain Python objects (numbers as text, flags as "yes") take
    # the column-of-objects path; the lines must not change
    loose = RISKS.astype(object)
    loose["too_late"] = ["yes", "no", "0", "TRUE", None, ""]
    loose["alternatives"] = ["3", 1, 0.0, None, "2", 2]
    heads, remedies = risk_headlines(loose), risk_remedies_all(loose)
    for i, rec in enumerate(loose.to_dict("records")):
        assert heads[i] == risk_headline(rec), rec["risk_id"]
        assert remedies[i] == risk_remedies(rec), rec["risk_id"]
