"""The column-wise encoders of the decision log write exactly what the per-row ones wrote:
the fingerprint and values of each proposal (pysnop.core.binding.values_records)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from batch_rows import adversarial

from pysnop.core.binding import _VALUES_JSON, _json_numbers, normal, values_record, values_records
from pysnop.core.values import plain_records

# computed by values_record, one row at a time, before values_records existed
PINNED_FINGERPRINTS = [
    "b06f4f91f84ee8909f505236b2bf375322a9ceeb241556f927af273d82dea317",
    "78aef1d36fcc81bf7f067277a1e6a58030a440d559bc62e01727ea06dbb06e6a",
    "ca0a5bf4695d0e05a627f94783657dd37694493cffa0b9e96a2c0f79184d613a",
    "ed7d23d58cd81f82fa837ec119a306885b7a5189cfa8a762139599fea2be13b5",
    "8fcb963849817c5aea11c18c8adbfeae67b406ad8bc5df5a61d9d21d0f66a7ea",
    "a549cfb183fd3d1549b4335ca718abcb2c4196e49e055c5e19ef559ce8b33d86",
    "690a164854ecf24c2c8e2c860b6e7a63947d720a59211196a70cc253cdbd0ba6",
    "2388a09d17eee8fddbf4c92f86e5fbff47e37f308d34fe4811dbd5b3ff9aa85c",
]
PINNED_VALUES_SHA = "608a2a995a159041bc1bf9041dc74eda8276e6610735957bf663f602336974cb"


def realistic(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """A proposals frame in the dtypes pysnop.core.actions gives it."""
    rng = np.random.default_rng(seed)
    week = pd.Timestamp("2026-11-23") + pd.to_timedelta(rng.integers(0, 8, n) * 7, unit="D")
    lift = np.where(rng.random(n) < 0.8, np.nan, rng.random(n))
    return pd.DataFrame({
        "action_id": pd.array([f"ORD-{i:08x}" for i in range(n)], dtype="str"),
        "type": pd.array(rng.choice(["NEW_ORDER", "TRANSFER", "EXPEDITE"], n), dtype="str"),
        "owner": pd.array(rng.choice(["Supply", "Marketing"], n), dtype="str"),
        "sku": rng.choice(["0100145", "0100146", "0100147"], n).astype(object),
        "location": rng.choice(["S001", "S004"], n).astype(object),
        "from_location": np.where(rng.random(n) < 0.5, None, "DC1"),
        "campaign_id": np.where(rng.random(n) < 0.3, None, "C00130"),
        "qty": rng.integers(1, 500, n).astype(float),
        "week": week,
        "cost": np.round(rng.random(n) * 100, 2),
        "units_protected": rng.random(n) * 100,
        "margin_protected": rng.random(n) * 1e4,
        "net_value": rng.normal(0, 1e4, n),
        "reason": [f"Order {q} units by week {w:%Y-%m-%d}" for q, w in
                   zip(rng.integers(1, 500, n), week)],
        "new_lift": lift,
        "new_start": pd.to_datetime(np.where(np.isnan(lift), None, "2026-12-01")),
        "rank": rng.integers(1, 9, n),
        "risk_id": pd.array([f"RSK-{i % 50}" for i in range(n)], dtype="str"),
        "recommended": rng.random(n) < 0.5,
        "alt_rank": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(1, 5, n)),
                             dtype="Int64"),
        "act_by": week - pd.Timedelta(days=5),
        "covers_units": rng.random(n) * 120,
        "covers_risk": rng.random(n) < 0.5,
    })


def stamps(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Times from 1779 to 2255, before 1970 too, some at midnight, some blank."""
    rng = np.random.default_rng(seed)
    ns = rng.integers(-6 * 10 ** 18, 9 * 10 ** 18, n)
    ns[: n // 3] = ns[: n // 3] // 86_400_000_000_000 * 86_400_000_000_000
    at = pd.to_datetime(ns)
    return pd.DataFrame({"week": at, "new_start": at.where(rng.random(n) < 0.8)})


@pytest.mark.parametrize("frame", [adversarial(), realistic(), realistic().iloc[:0],
                                   realistic()[["qty"]], stamps()],
                         ids=["adversarial", "realistic", "empty", "one column", "times"])
def test_by_column_equals_by_row(frame):
    assert values_records(frame) == [values_record(r) for r in plain_records(frame)]


def test_adversarial_rows_are_recorded_as_before():
    out = values_records(adversarial())
    assert [fp for fp, _ in out] == PINNED_FINGERPRINTS
    assert hashlib.sha256("\n".join(v for _, v in out).encode()).hexdigest() == \
        PINNED_VALUES_SHA


def test_a_row_worked_by_hand():
    frame = pd.DataFrame({"qty": [2.0000004], "sku": [" A1 "], "week": [pd.NaT],
                          "comment": ["not a value"]})
    # qty rounds to 6 decimals (2.0), text is stripped, a blank is null, the comment is
    # a decision cell; the fingerprint is over all twelve bound fields, sorted, blanks null
    bound = ('{"alt_sku": null, "campaign_id": null, "from_location": null, '
             '"location": null, "new_lift": null, "new_start": null, "owner": null, '
             '"po_id": null, "qty": 2.0, "sku": "A1", "type": null, "week": null}')
    assert values_records(frame) == [
        (hashlib.sha256(bound.encode()).hexdigest(),
         '{"qty": 2.0, "sku": "A1", "week": null}')]


def test_numbers_round_as_python_rounds_them():
    """round(x, 6) is correctly rounded; the column-wise rounding must agree with it on
    values at every scale and on decimal halves (where a product's rounding could tip it)."""
    rng = np.random.default_rng(1)
    a = np.concatenate([
        rng.normal(0, 1, 20000) * 10.0 ** rng.integers(-9, 12, 20000),
        (rng.integers(-10 ** 9, 10 ** 9, 20000) + 0.5) / 1e6,
        (rng.integers(-10 ** 12, 10 ** 12, 20000) * 10 + 5) / 1e7,
        rng.integers(-10 ** 6, 10 ** 6, 5000) / 1e6 + np.spacing(1.0),
        [0.0, -0.0, 1e-7, -1e-7, 5e-7, -5e-7, 2.0 ** 53, 2.0 ** 53 + 2, 1e300, -1e-300,
         np.inf, -np.inf, np.nan, 0.1 + 0.2, 2.675, 1.0000005],
    ])
    assert _json_numbers(a) == [_VALUES_JSON.encode(normal(v)) for v in a.tolist()]


def test_text_and_times_are_stored_as_value_by_value():
    """The column-wise stored forms (log_values._stored) of text and date columns are what
    stored_text makes of each value: times to the second (before 1970 too), days alone
    when a time is midnight to the second, blanks None, other objects as before."""
    import warnings

    from pysnop.core.values import records_column
    from pysnop.store.log_values import _stored, stored_text

    rng = np.random.default_rng(3)
    ns = rng.integers(-6 * 10 ** 18, 9 * 10 ** 18, 5000)
    ns[:1500] = ns[:1500] // 86_400_000_000_000 * 86_400_000_000_000  # midnights
    ns[1500:2000] = ns[1500:2000] // 1_000_000_000 * 1_000_000_000 + 500  # +500 ns
    stamps = pd.to_datetime(ns)
    frame = pd.concat([pd.DataFrame({
        "t": stamps, "u": stamps.where(rng.random(5000) < 0.9)}),
        adversarial().iloc[[i % 8 for i in range(5000)]].reset_index(drop=True)], axis=1)
    with warnings.catch_warnings():  # to_pydatetime drops the nanoseconds, as it did
        warnings.simplefilter("ignore")
        for name in frame.columns:
            got = _stored(frame, name, stored_text)
            want = [stored_text(v) for v in records_column(frame[name])]
            assert [(type(v), v) for v in got] == [(type(v), v) for v in want], name
