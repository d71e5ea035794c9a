"""The pipeline's share of the promotion economics and learned lift (docs/semantics.md):
what the Campaigns supply check shows beside marketing's plan, and the campaigns whose
wasted spend the Bridge's title block names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.pipeline.state import Run

LEVEL_WORDS = {"sku": "the same sku", "category": "the same category",
               "channel": "the same channel"}


def learned_from(learned: pd.DataFrame) -> list[str]:
    """What each learned lift pooled: "3 past campaigns of the same sku", or that there was
    none to learn from (the plan stands); a past campaign says what it realised."""
    out = []
    for n, level, real, cells in zip(learned["learned_n"].tolist(),
                                     learned["learned_level"].tolist(),
                                     learned["realised_lift"].tolist(),
                                     learned["realised_cells"].tolist()):
        n = int(n)
        if not pd.isna(real):
            cells = int(cells)
            out.append(f"past campaign: realised {real:.1%} lift over {cells} location-week"
                       f"{'s' if cells != 1 else ''} of Actuals")
        elif n <= 0 or level not in LEVEL_WORDS:
            out.append("no past campaign to learn from: the plan stands")
        else:
            out.append(f"{n} past campaign{'s' if n != 1 else ''} of {LEVEL_WORDS[level]}")
    return out


def with_learned_lift(check: pd.DataFrame, learned: pd.DataFrame | None) -> pd.DataFrame:
    """The supply check (Campaigns row order) with learned_lift (blank when nothing was
    learned), learned_n, learned_level and learned_from of the same rows."""
    if learned is None or len(learned) != len(check) or len(check) == 0:
        return check
    n = learned["learned_n"].to_numpy(dtype=np.int64)
    lift = learned["learned_lift"].to_numpy(dtype=float)
    return check.assign(learned_lift=np.where(n > 0, lift, np.nan), learned_n=n,
                        learned_level=learned["learned_level"].to_numpy(dtype=object),
                        learned_from=learned_from(learned))


def bridge_campaigns(run: Run) -> pd.DataFrame:
    """The counted campaigns of the Bridge with their spend and wasted spend (campaign_id,
    spend, wasted_spend, unserved_lift_share); a Draft's as-if figures stay on Campaigns."""
    columns = ["campaign_id", "spend", "wasted_spend", "unserved_lift_share"]
    campaigns, result = run.inputs.campaigns, run.result
    if result is None or len(campaigns) == 0 or "spend" not in campaigns.columns \
            or "wasted_spend" not in result.campaign_check.columns:
        return pd.DataFrame(columns=columns)
    check = result.campaign_check
    counted = campaigns["status"].isin(run.inputs.settings.count_statuses).to_numpy()
    return pd.DataFrame({
        "campaign_id": campaigns["campaign_id"].to_numpy(dtype=object),
        "spend": pd.to_numeric(campaigns["spend"], errors="coerce").to_numpy(dtype=float),
        "wasted_spend": check["wasted_spend"].to_numpy(dtype=float),
        "unserved_lift_share": check["unserved_lift_share"].to_numpy(dtype=float)})[counted] \
        .reset_index(drop=True)


__all__ = ["bridge_campaigns", "learned_from", "with_learned_lift"]
