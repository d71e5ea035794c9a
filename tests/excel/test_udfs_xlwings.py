"""The worksheet functions called the way Excel calls them through xlwings (see
xlwings_udf.py: xlwings' own decorators and conversion pipelines, COM stood in for)."""

from __future__ import annotations

import datetime as dt

import pytest
import udf_plan as P
from xlwings_udf import MISSING, call_as_excel, udf_module_as_on_windows


@pytest.fixture(scope="module")
def udf():
    """pysnop.excel.udf as decorated on Windows, and an "excel" engine for the conversions."""
    with udf_module_as_on_windows() as module:
        yield module


def tables():
    return [P.as_excel(n) for n in ("Campaigns", "Inventory", "Receipts", "Forecast")]


def test_metadata_from_xlwings_decorators(udf):
    names = ["STOCKOUT_RISK", "PROJECTED_ON_HAND", "PROMO_DEMAND", "MAX_SUPPORTABLE_LIFT",
             "CONSENSUS_FORECAST", "WEEKS_OF_SUPPLY"]
    for name in names:
        info = getattr(udf, name).__xlfunc__
        assert info["name"] == name and info["category"] == "pysnop"
        assert 10 < len(info["ret"]["doc"]) <= 255  # Excel's function description
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) <= 255
    risk = udf.STOCKOUT_RISK.__xlfunc__
    assert [a["name"] for a in risk["args"]] == ["campaigns", "inventory", "receipts",
                                                 "forecast", "as_of", "horizon_weeks",
                                                 "locations"]
    assert risk["args"][1]["options"] == {"ndim": 2}
    assert risk["args"][4]["optional"] is None


def test_stockout_risk_spills_the_summary(udf):
    out = call_as_excel(udf.STOCKOUT_RISK, *tables(), P.serial(P.AS_OF), 4.0)
    expected = [[("" if v is None else dt.datetime(v.year, v.month, v.day)
                  if isinstance(v, dt.date) else v) for v in row] for row in P.EXPECTED_RISK]
    assert out == expected


def test_stockout_risk_equals_the_core_and_defaults(udf, make_book):
    from pysnop.core.bridge import run_bridge
    from pysnop.workbook.read.reader import read_plan

    book = make_book(P.sheets())
    core = run_bridge(read_plan(book, as_of=P.AS_OF).inputs).summary
    # as_of passed as a datetime (a date cell read from a Range), horizon omitted: 8 weeks
    out = call_as_excel(udf.STOCKOUT_RISK, *tables(), dt.datetime(2026, 3, 2), MISSING)
    assert [r[0] for r in out[1:]] == core["sku"].tolist()
    assert [r[4] for r in out[1:]] == pytest.approx(core["min_projected"].tolist())
    assert [r[7] for r in out[1:]] == pytest.approx(core["margin_at_risk"].tolist())


def test_single_row_ranges_stay_tables(udf):
    # a one-row range (header only) arrives as a flat tuple; ndim=2 keeps it a table
    out = call_as_excel(udf.STOCKOUT_RISK, P.as_excel("Campaigns")[0], P.as_excel("Inventory"),
                        ("",), P.as_excel("Forecast"), P.serial(P.AS_OF), 4.0)
    assert out[0][:2] == ["sku", "location"] and len(out) == 3


def test_projected_on_hand(udf):
    out = call_as_excel(udf.PROJECTED_ON_HAND, 100.0, ((0.0, 30.0, 0.0, 0.0),),
                        ((20.0, 30.0, 20.0, 20.0),))
    assert out == [[80.0, 80.0, 60.0, 40.0]]
    out = call_as_excel(udf.PROJECTED_ON_HAND, 100.0, None, ((27.142857143, 22.857142857,
                                                              20.0, 20.0),))
    assert out[0] == pytest.approx([72.857142857, 50.0, 30.0, 10.0])


def test_promo_demand_matches_the_core(udf):
    out = call_as_excel(udf.PROMO_DEMAND, ((20.0, 20.0, 20.0, 20.0),), P.serial(P.AS_OF),
                        P.serial(dt.date(2026, 3, 4)), P.serial(dt.date(2026, 3, 10)), 0.5)
    assert out[0] == pytest.approx(P.DEMAND_A)
    # several campaigns as columns; lift typed as text
    out = call_as_excel(udf.PROMO_DEMAND, ((10.0, 10.0),), P.serial(P.AS_OF),
                        ((P.serial(dt.date(2026, 3, 2)),), (P.serial(dt.date(2026, 3, 9)),)),
                        ((P.serial(dt.date(2026, 3, 8)),), (P.serial(dt.date(2026, 3, 15)),)),
                        ((0.2,), ("50%",)))
    assert out == [[12.0, 15.0]]


def test_max_supportable_lift(udf, make_book):
    from pysnop.core.bridge import run_bridge
    from pysnop.workbook.read.reader import read_plan

    core = run_bridge(read_plan(make_book(P.sheets()), as_of=P.AS_OF).inputs).campaign_check
    one = call_as_excel(udf.MAX_SUPPORTABLE_LIFT, *tables(), "C1", P.serial(P.AS_OF), 4.0)
    assert one == [[pytest.approx(core["max_supportable_lift"].iloc[0])]] == [[0.5]]
    table = call_as_excel(udf.MAX_SUPPORTABLE_LIFT, *tables(), MISSING, P.serial(P.AS_OF), 4.0)
    assert table[0][:5] == ["campaign_id", "sku", "supply_status", "coverage",
                            "max_supportable_lift"]
    assert table[1][:3] == ["C1", "A", "OK"]


def test_max_supportable_lift_caps_a_lift_supply_cannot_carry(udf):
    inv = list(P.as_excel("Inventory"))
    inv[1] = ("A", "S1", 65.0, 10.0, 2.0, 4.0, 10.0)
    # without C1 poh = 45, 55, 35, 15 -> slack over safety 10: 35, 45, 25, 5; one unit of lift
    # adds 20 x 5/7, then 20 x 2/7 units: cumulatively 14.29, 20, 20, 20 -> lift <= 5/20
    lift = call_as_excel(udf.MAX_SUPPORTABLE_LIFT, P.as_excel("Campaigns"), tuple(inv),
                         P.as_excel("Receipts"), P.as_excel("Forecast"), "C1",
                         P.serial(P.AS_OF), 4.0)
    assert lift == [[pytest.approx(0.25)]]


def test_consensus_forecast_equal_weights(udf):
    fc = (("sku", "location", "week", "units", "source"),
          ("A", "S1", P.serial(P.AS_OF), 10.0, "Planning"),
          ("A", "S1", P.serial(P.AS_OF), 30.0, "Marketing"),
          ("A", "S2", P.serial(P.AS_OF), 8.0, "Planning"))
    out = call_as_excel(udf.CONSENSUS_FORECAST, fc, MISSING, "bottom_up", MISSING)
    assert out == [["sku", "location", "week", "units"],
                   ["A", "S1", dt.datetime(2026, 3, 2), 20.0],
                   ["A", "S2", dt.datetime(2026, 3, 2), 8.0]]


def test_consensus_forecast_reconciles_like_the_core(udf):
    from pysnop.core.consensus import consensus_baseline
    from pysnop.workbook.read.reader import read_plan
    rows = P.consensus_forecast_rows()
    fc = tuple(tuple(P.serial(v) if isinstance(v, dt.date) else v for v in r) for r in rows)
    out = call_as_excel(udf.CONSENSUS_FORECAST, fc, MISSING, MISSING, MISSING)
    from pysnop.workbook.formulas.functions import RangeSource
    plan = read_plan(RangeSource({"Forecast": rows, "Inventory": [["sku", "location",
                                                                   "on_hand"]]})).inputs
    core = consensus_baseline(plan.forecast, None, None, plan.settings).bottom
    got = {(r[0], r[1]): r[3] for r in out[1:]}
    want = {(s, loc): u for s, loc, u in core[["sku", "location", "units"]].itertuples(index=False)}
    assert got == pytest.approx(want)


def test_weeks_of_supply(udf):
    # a scalar goes back to Excel as a 1x1 array, as xlwings' COM server returns it
    assert call_as_excel(udf.WEEKS_OF_SUPPLY, 100.0, ((20.0, 30.0, None, 20.0),)) == \
        [[pytest.approx(100 / (70 / 3))]]
    assert call_as_excel(udf.WEEKS_OF_SUPPLY, 100.0, ((0.0, 0.0),)) == [[""]]


def test_errors_are_cell_text(udf):
    inv = list(P.as_excel("Inventory"))
    inv[1] = ("A", "S1", "n/a", 10.0, 2.0, 4.0, 10.0)
    out = call_as_excel(udf.STOCKOUT_RISK, P.as_excel("Campaigns"), tuple(inv),
                        P.as_excel("Receipts"), P.as_excel("Forecast"), P.serial(P.AS_OF), 4.0)
    assert out == [['#PYSNOP: inventory row 2 (on_hand): expected a number, got "n/a"']]
