"""=STOCKOUT_RISK(..., locations) returns the network's result: through xlwings' conversion
layer as Excel calls it, and through the headless recalculation; both give the numbers worked
by hand in udf_network.py."""

from __future__ import annotations

import datetime as dt

import udf_network as N
from test_udfs_xlwings import udf  # noqa: F401  (a fixture)
from udf_plan import serial
from xlwings_udf import MISSING, call_as_excel

TABLES = ("Campaigns", "Inventory", "Receipts", "Forecast")


def excel_view(rows):
    """What xlwings writes to the sheet: dates as datetimes, None as ""."""
    return [["" if v is None else dt.datetime(v.year, v.month, v.day)
             if isinstance(v, dt.date) else v for v in row] for row in rows]


def approx_equal(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert len(g) == len(w), (g, w)
        for a, b in zip(g, w):
            assert (abs(a - b) < 1e-9) if isinstance(b, float) else a == b, (g, w)


def test_the_function_in_excel_returns_the_network(udf):  # noqa: F811
    out = call_as_excel(udf.STOCKOUT_RISK, *(N.as_excel(t) for t in TABLES),
                        serial(N.AS_OF), 3.0, N.as_excel("Locations"))
    approx_equal(out, excel_view(N.EXPECTED))


def test_without_locations_each_row_stands_alone(udf):  # noqa: F811
    # no locations range: nothing feeds anything, and the spill keeps its flat columns
    # (Inventory's pack_size column alone is network data, so drop it too)
    inv = tuple(row[:6] for row in N.as_excel("Inventory"))
    out = call_as_excel(udf.STOCKOUT_RISK, N.as_excel("Campaigns"), inv,
                        N.as_excel("Receipts"), N.as_excel("Forecast"), serial(N.AS_OF), 3.0,
                        MISSING)
    assert out[0] == N.EXPECTED[0][:9]
    # DC1 on its own: 30 on hand, no demand, the PO of 12: 30, 42, 42: OK
    dc = next(r for r in out if r[1] == "DC1")
    assert dc[2] == "OK" and dc[4] == 30.0


def test_a_broken_network_is_one_cell_of_text(udf):  # noqa: F811
    locs = list(N.as_excel("Locations"))
    locs[3] = ("S02", None, "S01", None)  # S01 is a store
    out = call_as_excel(udf.STOCKOUT_RISK, *(N.as_excel(t) for t in TABLES),
                        serial(N.AS_OF), 3.0, tuple(locs))
    assert out == [["#PYSNOP: locations row 4 (supplied_by): supplied_by S01 is not a DC "
                    "(its role is store)"]]


def test_headless_recalculation_agrees_with_the_function(make_book):
    from pysnop.testing import recalculate

    sheets = {name: [list(r) for r in rows] for name, rows in N.SHEETS.items()}
    args = ",".join(N.ref(t) for t in TABLES)
    sheets["Planner"] = [[f"=STOCKOUT_RISK({args},DATE(2026,11,18),3,{N.ref('Locations')})"]]
    values = recalculate(make_book(sheets, name="network-planner.xlsx"))
    got = values.range("Planner", "A1:L5")
    approx_equal(got, N.EXPECTED)
