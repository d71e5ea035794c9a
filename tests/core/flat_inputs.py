"""Generated flat plans (no network data) and the bridge's numbers as plain arrays.

``tests/core/data/flat_golden.npz`` holds ``bridge_numbers`` of ``generated_plan(seed)`` for
the seeds below, computed by the bridge *before* the network existed: main at aab820f (with
the promotion economics). To recreate it from a tree without the network::

    git archive aab820f pysnop | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before:tests/core python tests/core/flat_inputs.py tests/core/data/flat_golden.npz

test_network_flat.py checks today's bridge gives exactly those numbers. A deliberate change
to the flat numbers (not the network's) regenerates the file from the tree before it.

Since then, one deliberate change: the campaign supply check's ``check_coverage`` and
``check_note`` follow the issue-12 rule (coverage at the tightest scoped location, the note
names the location that limits the lift; docs/semantics.md, campaign supply check). Those two
keys alone were rewritten from the bridge with that rule, after checking that every other key
was still identical bit for bit.
"""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pandas as pd

from pysnop.core.model import (
    CAMPAIGN_COLUMNS,
    FORECAST_COLUMNS,
    INVENTORY_COLUMNS,
    RECEIPT_COLUMNS,
    PlanInputs,
    Settings,
)

SEEDS = (1, 2, 3)


def generated_plan(seed: int) -> PlanInputs:
    rng = np.random.default_rng(seed)
    n_sku, locs = 30, ["S1", "S2", "S3", "S4", "DC1"]
    week0 = pd.Timestamp("2026-11-16")
    inv = []
    for k in range(n_sku):
        for loc in locs:
            if rng.random() < 0.2:
                continue
            inv.append({"sku": f"{k:05d}", "location": loc,
                        "on_hand": float(rng.integers(0, 120)) + (0.5 if rng.random() < .1 else 0),
                        "safety_stock": float(rng.integers(0, 15)),
                        "lead_time_weeks": [np.nan, 0, 1, 2, 1.5][rng.integers(0, 5)],
                        "unit_cost": float(rng.integers(1, 9)),
                        "unit_price": float(rng.integers(9, 20)),
                        "unit_margin": np.nan if rng.random() < .7 else 2.5,
                        "category": ["TOYS", "FOOD", None][rng.integers(0, 3)]})
    inv = pd.DataFrame(inv, columns=INVENTORY_COLUMNS[:-1])
    inv["row"] = range(2, len(inv) + 2)
    fc = []
    for s, loc in zip(inv["sku"], inv["location"]):
        for w in range(9):
            if rng.random() < 0.1:
                continue
            units = float(rng.integers(0, 30)) + (rng.integers(0, 7) / 7 if rng.random() < .2
                                                  else 0.0)
            fc.append({"sku": s, "location": loc, "week": week0 + pd.Timedelta(weeks=w)
                       + pd.Timedelta(days=int(rng.integers(0, 7))), "units": units,
                       "source": None, "category": None})
    fc = pd.DataFrame(fc, columns=FORECAST_COLUMNS[:-1])
    fc["row"] = range(2, len(fc) + 2)
    camps = []
    for c in range(25):
        start = week0 + pd.Timedelta(days=int(rng.integers(-10, 60)))
        scope = () if rng.random() < 0.5 else tuple(
            rng.choice(locs, size=int(rng.integers(1, 4)), replace=False).tolist())
        camps.append({"campaign_id": f"C{c}", "sku": f"{rng.integers(0, n_sku + 2):05d}",
                      "start": start, "end": start + pd.Timedelta(days=int(rng.integers(0, 20))),
                      "lift": float(rng.choice([0.0, 0.1, 0.35, 0.5, 1.0, 2.5])),
                      "status": ["Planned", "Confirmed", "Draft", "Cancelled", None][
                          rng.integers(0, 5)] or "Planned",
                      "locations": scope, "name": None, "channel": None, "owner": None})
    camps = pd.DataFrame(camps, columns=CAMPAIGN_COLUMNS[:-1])
    camps["row"] = range(2, len(camps) + 2)
    rc = []
    for _ in range(60):
        j = int(rng.integers(0, len(inv)))
        rc.append({"sku": inv["sku"].iat[j], "location": inv["location"].iat[j],
                   "due": week0 + pd.Timedelta(days=int(rng.integers(-14, 70))),
                   "qty": float(rng.integers(1, 80)), "po_id": None,
                   "status": ["Open", None, "Received"][rng.integers(0, 3)]})
    rc = pd.DataFrame(rc, columns=RECEIPT_COLUMNS[:-1])
    rc["row"] = range(2, len(rc) + 2)
    products = pd.DataFrame({"sku": [f"{k:05d}" for k in range(n_sku)],
                             "unit_margin": [3.0 if k % 4 == 0 else np.nan for k in range(n_sku)],
                             "row": range(2, n_sku + 2)})
    settings = Settings(as_of=dt.date(2026, 11, 18), horizon_weeks=8,
                        risk_buffer=[0.0, 0.25, 0.5][seed % 3])
    return PlanInputs(settings=settings, inventory=inv, forecast=fc, campaigns=camps,
                      receipts=rc, products=products)


def bridge_numbers(result) -> dict[str, np.ndarray]:
    """Every number and label the bridge computes, as plain numpy arrays."""
    out = {"sku": result.keys["sku"].to_numpy(dtype=str),
           "location": result.keys["location"].to_numpy(dtype=str)}
    for name in ("baseline", "lift_units", "demand", "receipts", "poh", "threshold", "status",
                 "promo", "lost_weekly", "margin_weekly"):
        out[name] = np.asarray(getattr(result, name))
    s = result.summary
    for name in ("min_projected", "shortfall_units", "lost_units", "margin_at_risk",
                 "wasted_spend"):
        out[f"summary_{name}"] = s[name].to_numpy(dtype=float)
    for name in ("status", "campaigns"):
        out[f"summary_{name}"] = s[name].to_numpy(dtype=str)
    for name in ("first_risk_week", "act_by"):
        out[f"summary_{name}"] = pd.to_datetime(s[name]).to_numpy(dtype="datetime64[D]") \
            .astype(np.int64)
    out["summary_too_late"] = s["too_late"].to_numpy(dtype=bool)
    c = result.campaign_check
    for name in ("coverage", "max_supportable_lift", "margin_at_risk"):
        out[f"check_{name}"] = c[name].to_numpy(dtype=float)
    for name in ("supply_status", "note"):
        out[f"check_{name}"] = c[name].astype(str).to_numpy(dtype=str)
    out["check_earliest_safe_start"] = pd.to_datetime(c["earliest_safe_start"]) \
        .to_numpy(dtype="datetime64[D]").astype(np.int64)
    return out


if __name__ == "__main__":
    from pysnop.core.bridge import run_bridge
    np.savez_compressed(sys.argv[1], **{f"{seed}:{k}": v for seed in SEEDS
                                        for k, v in bridge_numbers(
                                            run_bridge(generated_plan(seed))).items()})
