"""Realistic and adversarial proposal frames for the column-wise log encoders
(tests/store/test_batch_values.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd


def adversarial() -> pd.DataFrame:
    """Every kind of value a proposal column can hold, in the dtypes pandas gives them."""
    n = 8
    ids = [f"ORD-{i:08x}" for i in range(n)]
    return pd.DataFrame({
        "action_id": pd.array(ids, dtype="str"),
        "type": pd.array(["NEW_ORDER", "TRANSFER", " EXPEDITE ", "", None, "ORDER",
                          "TRANSFER", "SHIFT"], dtype="str"),
        "owner": ["Supply", "Marketing", "  ", "Śupply ✓", "渠道", "a\"b\\c/d", "\t\n", None],
        "sku": ["0100145", "0100146", np.str_(" 0100147"), None, float("nan"), pd.NA,
                "x" * 300, "😀"],
        "location": ["S004", "S001", "S002", "S003", "S005", "S006", "S007", "S008"],
        "from_location": [None] * n,
        "campaign_id": ["C1", 12, 3.0, np.int64(7), True, dt.date(2026, 1, 2), Decimal("1.5"),
                        Decimal("NaN")],
        "qty": [115.0, -0.0, 0.1 + 0.2, 1e300, float("inf"), float("nan"), 2.0 ** 53 + 2,
                96.9671425],
        "week": pd.to_datetime(["2026-11-23", None, "2026-11-30 13:45:00", "1999-01-01",
                                "2026-12-07", "2026-12-14", "2027-01-04", "2026-11-23"],
                               format="ISO8601"),
        "cost": np.array([0.0, 1.5, -2.25, 1e-7, 5e-7, 123456789.1234565, -1e-300,
                          0.0000005], dtype=np.float64),
        "margin_protected": np.array([1, -2, 3, 2 ** 62, -(2 ** 63), 0, 7, 9], dtype=np.int64),
        "net_value": np.array([1.5, 2.25, 0.5, 0.125, 3.0, -1.0, 7.0, 1e6],
                              dtype=np.float32),
        "reason": ["Order 115 units", "Move \u2028 line", "\x00\x1f\x7f", "", None, "é",
                   "tab\there", "q\"uote"],
        "new_lift": [np.nan, 0.25, np.float64(1.2345675), np.float32(0.1), None, -0.0, 3,
                     np.nan],
        "new_start": pd.to_datetime([None, "2026-12-01", None, None, "2026-12-01", None,
                                     None, "2026-11-01 00:00:01"], format="ISO8601"),
        "rank": np.arange(1, n + 1, dtype=np.int64),
        "risk_id": pd.array([f"RSK-{i}" for i in range(n)], dtype="str"),
        "recommended": [True, False, True, False, True, False, True, False],
        "alt_rank": pd.array([1, None, 3, None, 5, 6, 7, 2 ** 60], dtype="Int64"),
        "flag": pd.array([True, None, False, True, None, False, True, True],
                         dtype="boolean"),
        "act_by": pd.to_datetime(["2026-11-18"] * n).tz_localize("Europe/Paris"),
        "covers_units": [114.967143, 1.0000005, 2.5000005, 0.0000015, 1e-6, -1e-6, 0.1, 0.7],
        "mixed": [1, "a", None, 2.5, np.nan, pd.Timestamp("2026-01-01"), np.bool_(False),
                  dt.datetime(2026, 1, 1, 12)],
        "gap": pd.to_timedelta([1, 2, 3, 4, 5, 6, 7, None], unit="D"),
        "status": ["Approved"] * n,  # a decision cell: not a value
        "cat": pd.Categorical(["a", "b", None, "a", "b", "a", "b", "c"]),
        7: [1.0] * n,  # a column named by a number
    })
