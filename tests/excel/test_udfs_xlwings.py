"""The worksheet functions called the way Excel calls them through xlwings.

On Windows, Excel calls ``xlwings.udfs.call_udf``, which reads the function's ``__xlfunc__``
metadata (made by ``xlwings.udfs.xlfunc`` / ``xlarg`` — what ``@xw.func`` / ``@xw.arg`` are
there), converts each argument with ``xlwings.conversion.read(None, value, arg["options"])``
(or from the Range), substitutes the default for a missing optional argument, calls the
function and converts the result with ``xlwings.conversion.write(ret, None, ret["options"])``.
Here the module ``xlwings.udfs`` is imported with the Windows-only modules stubbed, so the
metadata comes from xlwings' own decorators, and the conversion runs through xlwings' own
pipelines; only the COM value cleaning of the "excel" engine is stood in for (it mirrors
``xlwings._xlwindows.Engine``: blanks -> None on read, dates kept, None/NaN -> "" on write).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import types

import numpy as np
import pytest
import udf_plan as P

MISSING = -2147352572  # what COM passes for an omitted optional argument


class _ExcelEngineStandIn:
    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(v):
            if v in ("", None):
                return empty_as
            if number_builder is not None and isinstance(v, float):
                return number_builder(v)
            return v
        return [[clean(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, date_format):
        if isinstance(x, (dt.date, dt.datetime)):
            return x
        if x is None or (isinstance(x, float) and np.isnan(x)):
            return ""
        if isinstance(x, np.number):
            return float(x)
        return x


@pytest.fixture(scope="module")
def udf():
    """pysnop.excel.udf as decorated on Windows, and an "excel" engine for the conversions."""
    import xlwings
    from xlwings.main import Engine

    stubs = {}
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        if name not in sys.modules:
            stubs[name] = sys.modules[name] = types.ModuleType(name)
    sys.modules["pythoncom"].CoInitialize = lambda: None
    sys.modules["pywintypes"].IID = lambda s: s
    sys.modules["win32com.client"].Dispatch = lambda *a: None
    sys.modules["win32com"].client = sys.modules["win32com.client"]
    try:
        import xlwings.udfs
        spec = importlib.util.spec_from_file_location(
            "pysnop_udf_as_on_windows", importlib.util.find_spec("pysnop.excel.udf").origin)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name in stubs:
            sys.modules.pop(name, None)
        sys.modules.pop("xlwings.udfs", None)
    engine = Engine(impl=_ExcelEngineStandIn())
    added = "excel" not in xlwings.engines.engines_by_name
    if added:
        xlwings.engines.add(engine)
    yield module
    if added:
        xlwings.engines.engines.remove(engine)
        xlwings.engines.engines_by_name.pop("excel", None)


def call_as_excel(func, *args):
    """xlwings.udfs.call_udf's argument and result handling (without COM)."""
    from xlwings import conversion

    info = func.__xlfunc__
    args = list(args)
    for i, arg in enumerate(args):
        arg_info = info["args"][min(i, len(info["args"]) - 1)]
        if isinstance(arg, int) and arg == MISSING:
            args[i] = arg_info.get("optional", None)
        else:
            args[i] = conversion.read(None, arg, arg_info["options"])
    ret = func(*args)
    return conversion.write(ret, None, info["ret"]["options"])


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
