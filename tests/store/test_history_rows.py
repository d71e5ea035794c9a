"""history_rows without a consensus records the rows the grouping it replaced did (kept here
as the oracle, as of commit 46d4f11): same nodes, weeks, sources and sums, in the same order,
as record_cycle writes them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from pysnop.core.consensus import monday
from pysnop.store.history import _column_values, history_rows

AS_OF = pd.Timestamp("2026-11-18")
COLUMNS = ["node", "level", "category", "sku", "location", "week", "source", "units"]


def oracle_history_rows(forecast: pd.DataFrame, as_of) -> pd.DataFrame:
    """history_rows(None, forecast, as_of) before the weeks were cut first (commit 46d4f11)."""
    cut = pd.Timestamp(as_of)
    fc = forecast[forecast["sku"].notna() & forecast["location"].notna()]
    src = fc["source"].astype(object).where(fc["source"].notna(), "(no source)") \
        if "source" in fc.columns else "(no source)"
    rows = pd.DataFrame({"sku": fc["sku"].astype(str).to_numpy(),
                         "location": fc["location"].astype(str).to_numpy(),
                         "category": None, "week": monday(fc["week"].to_numpy()).to_numpy(),
                         "units": pd.to_numeric(fc["units"], errors="coerce").to_numpy(),
                         "source": np.asarray(src, dtype=object)})
    rows = rows.groupby(["sku", "location", "week", "source"], sort=True, dropna=False) \
        .agg(units=("units", "sum")).reset_index()
    rows["node"] = "sku=" + rows["sku"] + "|location=" + rows["location"]
    rows["level"], rows["category"] = "sku_location", None
    rows = rows[pd.to_datetime(rows["week"]) > cut]
    return rows[COLUMNS].reset_index(drop=True)


def recorded(rows: pd.DataFrame) -> list[list[object]]:
    """The columns as record_cycle writes them (and hashes them)."""
    return [_column_values(rows, c) for c in COLUMNS] if len(rows) else []


def same(a: list[list[object]], b: list[list[object]]) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all(type(u) is type(v) and (u == v or (
            isinstance(u, float) and math.isnan(u) and math.isnan(v))) for u, v in zip(x, y))
        for x, y in zip(a, b))


TEXT = st.sampled_from(["0100145", "S001", "S|1", "sku=1", "ünï 🍰", "", " padded ", "9"])
WEEKS = st.one_of(st.none(), st.sampled_from(
    [pd.Timestamp("2026-11-16"), pd.Timestamp("2026-11-18 13:45"), pd.Timestamp("2026-11-23"),
     pd.Timestamp("2026-11-26"), pd.Timestamp("2026-12-07"), pd.Timestamp("2025-01-01")]))
UNITS = st.one_of(st.none(), st.just(float("nan")), st.just(-0.0), st.just(1e308),
                  st.floats(-1e6, 1e6), st.integers(-10, 10), st.just("12"), st.just("x"))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # 1e308 summed
@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), TEXT, st.integers(0, 3)), st.one_of(st.none(),
                                                                                     TEXT),
                          WEEKS, UNITS, st.one_of(st.none(), st.sampled_from(["A", "B"]))),
                max_size=25),
       st.booleans())
def test_rows_recorded_without_a_consensus_equal_the_earlier_grouping(data, with_source):
    forecast = pd.DataFrame(data, columns=["sku", "location", "week", "units", "source"])
    forecast["week"] = pd.to_datetime(forecast["week"])
    if not with_source:
        forecast = forecast.drop(columns="source")
    assert same(recorded(history_rows(None, forecast, AS_OF)),
                recorded(oracle_history_rows(forecast, AS_OF)))


def test_a_worked_cycle():
    """Two rows of S1/L1 in the week of Monday 23 Nov (Tuesday and Thursday: one row, 3 + 4),
    one before the cut (16 Nov, not recorded), one of S1/L2 without a source."""
    forecast = pd.DataFrame({
        "sku": ["S1", "S1", "S1", "S1"], "location": ["L1", "L1", "L1", "L2"],
        "week": pd.to_datetime(["2026-11-24", "2026-11-26", "2026-11-16", "2026-11-30"]),
        "units": [3.0, 4.0, 9.0, 5.0], "source": ["Sales", "Sales", "Sales", None]})
    rows = history_rows(None, forecast, AS_OF)
    assert rows["node"].tolist() == ["sku=S1|location=L1", "sku=S1|location=L2"]
    assert rows["week"].tolist() == [pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-30")]
    assert rows["source"].tolist() == ["Sales", "(no source)"]
    assert rows["units"].tolist() == [7.0, 5.0]
