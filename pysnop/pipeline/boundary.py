"""The quarterly scorecard's boundary figures from the run and the decision log
(docs/semantics.md, quarterly boundary scorecard): margin leaked at the marketing–supply
boundary, wasted spend and lead time won, by quarter.

Past promo losses and wasted spend come from Actuals and the forecasts recorded in earlier
cycles; expedite and transfer costs from the actions the decision log knows as Approved or
Exported (each action's latest proposal: cost = margin protected − net value, its week);
lead time won from the risks each earlier recalc recorded (its as-of, the risk's sku,
location and first risk week) with the lead_time_weeks of Inventory, once their first risk
week is past (so a re-run in the same week gives the same figures). The log is only read,
and only when it exists.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from pysnop.core import calendar
from pysnop.core.boundary_scorecard import boundary_quarterly, past_promo_losses
from pysnop.core.model import PlanInputs
from pysnop.errors import FileAccessError, Problem
from pysnop.pipeline.state import Run
from pysnop.store.decision_log import DecisionLog

RISK_HISTORY_COLUMNS = ["as_of", "sku", "location", "first_risk_week", "lead_time_weeks"]
ACTION_COLUMNS = ["action_id", "type", "status", "cost", "week"]


def logged_actions(log: DecisionLog) -> pd.DataFrame:
    """Each action the log proposed, as last proposed, with its current status."""
    props = log.frame("proposals")
    if len(props) == 0:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    last = props.groupby("action_id", sort=False).tail(1)
    known = log.known_states()
    status = last["action_id"].map(lambda a: known[a].status if a in known else "Proposed")
    margin = pd.to_numeric(last["margin_protected"], errors="coerce")
    net = pd.to_numeric(last["net_value"], errors="coerce")
    return pd.DataFrame({"action_id": last["action_id"].to_numpy(),
                         "type": last["type"].to_numpy(), "status": status.to_numpy(),
                         "cost": (margin - net).to_numpy(dtype=float),
                         "week": last["week"].to_numpy()})


def risk_history(log: DecisionLog, inventory: pd.DataFrame, due_before: pd.Timestamp) \
        -> pd.DataFrame:
    """One row per recalc run and risk it recorded, with the Inventory lead time: the risks
    that came due, i.e. whose first risk week began before ``due_before`` (the as-of week)
    — a quarter's lead time won is counted once its risk weeks are past."""
    runs = pd.DataFrame(log.runs("recalc"), columns=["id", "as_of"])
    risks = log.frame("risks")
    if len(runs) == 0 or len(risks) == 0:
        return pd.DataFrame(columns=RISK_HISTORY_COLUMNS)
    risks = risks[(pd.to_datetime(risks["first_risk_week"], errors="coerce")
                   < due_before).to_numpy()]
    h = risks.merge(runs, left_on="run_id", right_on="id")
    lead = pd.DataFrame({"sku": inventory["sku"].astype(str).to_numpy(),
                         "location": inventory["location"].astype(str).to_numpy(),
                         "lead_time_weeks": pd.to_numeric(inventory["lead_time_weeks"],
                                                          errors="coerce").to_numpy()})
    h = h.assign(sku=h["sku"].astype(str), location=h["location"].astype(str)).merge(
        lead.drop_duplicates(["sku", "location"]), on=["sku", "location"], how="left")
    return h[RISK_HISTORY_COLUMNS].reset_index(drop=True)


def boundary_figures(run: Run, inputs: PlanInputs, history: pd.DataFrame | None) \
        -> pd.DataFrame:
    """The boundary figures by quarter (``boundary_scorecard.QUARTER_COLUMNS``).

    ``inputs`` with the Forecast sheet as read (the forecast that stood for past weeks where
    none was recorded); Campaigns are judged at marketing's planned lift.
    """
    weekly, campaigns = past_promo_losses(inputs, history)
    actions = risks = None
    path = run.store_path(required=False)
    if path is not None and path.exists():
        try:
            with DecisionLog(path) as log:
                actions = logged_actions(log)
                week0 = calendar.monday_of(inputs.settings.resolved_as_of())
                risks = risk_history(log, inputs.inventory, week0)
        except FileAccessError as exc:
            run.warnings.append(Problem(f"{exc}; the scorecard's action costs and lead time "
                                        "won are left out", severity="warning"))
    return boundary_quarterly(weekly, campaigns, actions, risks)


def sheet_inputs(inputs: PlanInputs, forecast: pd.DataFrame) -> PlanInputs:
    """``inputs`` with ``forecast`` (the Forecast sheet as read, before the consensus)."""
    return dataclasses.replace(inputs, forecast=forecast)


__all__ = ["boundary_figures", "logged_actions", "risk_history", "sheet_inputs"]
