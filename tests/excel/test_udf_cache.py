"""The worksheet functions' result cache (pysnop/workbook/formulas/cache.py): a call with the
same argument cells is answered from the cache; any changed cell — value, type or place —
computes afresh. No timings here (benchmarks/bench_udf.py times it)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import udf_plan as P
from test_udfs_xlwings import udf  # noqa: F401  (a fixture)
from xlwings_udf import call_as_excel, udf_module_as_on_windows

from pysnop.workbook.formulas import cache as cache_module
from pysnop.workbook.formulas import functions
from pysnop.workbook.formulas.cache import ResultCache


@pytest.fixture
def results():
    """The functions' shared cache, emptied before and after the test."""
    functions.RESULTS.clear()
    yield functions.RESULTS
    functions.RESULTS.clear()


def tables():
    return [P.as_excel(n) for n in ("Campaigns", "Inventory", "Receipts", "Forecast")]


def excel_rows(rows):
    return [["" if v is None else dt.datetime(v.year, v.month, v.day)
             if isinstance(v, dt.date) else v for v in row] for row in rows]


def test_unchanged_ranges_hit_through_xlwings(udf, results):  # noqa: F811
    first = call_as_excel(udf.STOCKOUT_RISK, *tables(), P.serial(P.AS_OF), 4.0)
    assert (results.hits, results.misses) == (0, 1)
    # the same cells in new objects, as Excel hands them over on every recalculation
    again = call_as_excel(udf.STOCKOUT_RISK, *copy.deepcopy(tables()), P.serial(P.AS_OF), 4.0)
    assert (results.hits, results.misses) == (1, 1)
    assert again == first == excel_rows(P.EXPECTED_RISK)


def test_a_changed_cell_misses_and_gives_its_own_answer(udf, results):  # noqa: F811
    call_as_excel(udf.STOCKOUT_RISK, *tables(), P.serial(P.AS_OF), 4.0)
    inv = list(P.as_excel("Inventory"))
    inv[2] = ("B", "S1", 55.0, None, 1.0, 1.0, 3.0)  # on_hand 50 -> 55
    out = call_as_excel(udf.STOCKOUT_RISK, P.as_excel("Campaigns"), tuple(inv),
                        P.as_excel("Receipts"), P.as_excel("Forecast"), P.serial(P.AS_OF), 4.0)
    assert (results.hits, results.misses) == (0, 2)
    # B@S1 by hand: 55 - 20 a week -> 35, 15, -5, -25: short from the week of 16 Mar, 25 units
    # short at the worst, 25 lost x margin (3 - 1) = 50; lead time 1 week -> act by 9 Mar
    assert out[1] == ["B", "S1", "STOCKOUT", dt.datetime(2026, 3, 16), -25.0, 25.0, 25.0, 50.0,
                      dt.datetime(2026, 3, 9)]
    assert out[2] == excel_rows(P.EXPECTED_RISK)[2]  # A@S1 as before


def test_every_single_changed_cell_misses():
    """Each cell of each argument changed in turn, to another value of its type and to a value
    of another type that Python calls equal (1.0 -> True, 1.0 -> 1, a date -> its datetime):
    every one computes afresh."""
    cache = ResultCache()
    calls = []

    def compute():
        calls.append(1)
        return [["result"]]

    base = [[list(r) for r in P.as_excel(n)] for n in ("Campaigns", "Inventory", "Receipts",
                                                       "Forecast")]
    base[0][1][2] = dt.date(2026, 3, 4)  # a date cell (xlwings may hand dates over)
    base[1][1][4] = 1.0  # a cell equal to True and to 1
    cache.call("F", tuple(base), compute)
    assert len(calls) == 1
    cache.call("F", copy.deepcopy(tuple(base)), compute)
    assert len(calls) == 1  # unchanged: a hit

    def others(v):
        if isinstance(v, bool):
            return [not v, float(v)]
        if isinstance(v, float):
            return [v + 1.0, -v - 1.0, str(v)] + ([True, int(v)] if v == 1.0 else [int(v)])
        if isinstance(v, dt.date):
            return [v + dt.timedelta(days=1), dt.datetime(v.year, v.month, v.day)]
        if isinstance(v, str):
            return [v + "x", None]
        return [0.0, ""]  # None

    changed = 0
    for a, i, j, value, other in each_edit(base, others):
        args = copy.deepcopy(base)
        args[a][i][j] = other
        before = len(calls)
        cache.call("F", tuple(args), compute)
        assert len(calls) == before + 1, (a, i, j, value, other)
        changed += 1
    assert changed > 200


def test_a_single_changed_cell_anywhere_changes_the_key():
    """The key itself (not only the call): the four tables as Excel hands them over, each cell
    of each range in turn changed to another value of its type, to a blank, and to a value
    of another type; every key differs from the unchanged one, which the same cells in new
    objects do give."""
    cache = ResultCache()
    base = [[list(r) for r in P.as_excel(n)] for n in ("Campaigns", "Inventory", "Receipts",
                                                       "Forecast")]
    args = (*base, P.serial(P.AS_OF), 4.0)
    key = cache.key("STOCKOUT_RISK", args)[0]
    assert cache.key("STOCKOUT_RISK", copy.deepcopy(args))[0] == key

    def others(v):
        if isinstance(v, float):
            return [v + 0.5, None, str(v), int(v), v == 1.0]
        if isinstance(v, dt.datetime):
            return [v + dt.timedelta(days=7), v.date(), None]
        if isinstance(v, str):
            return [v + " ", None, 1.0]
        return ["", 0.0]  # a blank (None)

    changed = 0
    for a, i, j, _value, other in each_edit(base, others):
        edited = copy.deepcopy(args)
        edited[a][i][j] = other
        assert cache.key("STOCKOUT_RISK", edited)[0] != key, (a, i, j, other)
        changed += 1
    assert changed > 250  # every cell of the four tables, 2 to 5 edits each


def each_edit(tables, others):
    """(table, row, column, value, other) for every cell of ``tables`` and each of
    ``others(value)``."""
    for a, table in enumerate(tables):
        for i, row in enumerate(table):
            for j, value in enumerate(row):
                for other in others(value):
                    yield a, i, j, value, other


@pytest.mark.parametrize("first, second", [
    ([[-1.0]], [[-2.0]]),              # hash(-1.0) == hash(-2.0) in CPython
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0, 3.0, 4.0]]),   # same cells, other rows
    ([[1.0, 2.0]], [[1.0], [2.0]]),    # a row and a column
    ([[1.0, None]], [[1.0, ""]]),      # blank as None and as ""
    (0.0, False),                      # scalars Python calls equal
    ([[1.0, 1]], [[1, 1.0]]),          # the same types in the range, in other cells
    ([[True, 1.0]], [[1.0, True]]),
    ([[dt.date(2026, 3, 2), 1.0]], [[dt.datetime(2026, 3, 2), 1.0]]),
    ("C1", "C01"),
])
def test_other_arguments_miss(first, second):
    cache = ResultCache()
    calls = []
    cache.call("F", (first,), lambda: calls.append(1) or 1.0)
    cache.call("F", (second,), lambda: calls.append(1) or 1.0)
    assert len(calls) == 2


def test_the_function_and_today_are_part_of_the_key(monkeypatch):
    cache = ResultCache()
    calls = []
    args = ([[1.0]],)
    cache.call("F", args, lambda: calls.append(1) or 1.0)
    cache.call("G", args, lambda: calls.append(1) or 1.0)  # another function
    assert len(calls) == 2

    class Tomorrow(dt.date):  # an omitted as_of means today: a new day computes afresh
        @classmethod
        def today(cls):
            return dt.date(2099, 1, 1)

    monkeypatch.setattr(cache_module.dt, "date", Tomorrow)
    cache.call("F", args, lambda: calls.append(1) or 1.0)
    assert len(calls) == 3


def test_bounded_by_entries_least_recently_used_first():
    cache = ResultCache(max_entries=2)
    calls = []

    def f(x):
        return cache.call("F", ([[x]],), lambda: calls.append(x) or [[x]])

    f(1.0), f(2.0), f(1.0)  # 1 used last
    f(3.0)  # evicts 2
    assert len(cache) == 2
    f(1.0), f(3.0)
    assert calls == [1.0, 2.0, 3.0]
    f(2.0)
    assert calls == [1.0, 2.0, 3.0, 2.0]


def test_bounded_by_cells():
    # a key of 4 argument cells + a result of 6 cells = 10 cells per entry
    cache = ResultCache(max_cells=25)
    calls = []

    def f(x):
        return cache.call("F", ([[x, 0.0], [0.0, 0.0]],),
                          lambda: calls.append(x) or [[x, 0.0, 0.0], [0.0, 0.0, 0.0]])

    f(1.0), f(2.0), f(3.0)  # 30 cells: the oldest goes
    assert len(cache) == 2
    f(2.0), f(3.0)
    assert calls == [1.0, 2.0, 3.0]
    big = ResultCache(max_cells=5)
    big.call("F", ([[1.0, 2.0, 3.0]],), lambda: [[1.0, 2.0, 3.0]])  # 6 cells: not kept
    assert len(big) == 0


def test_failures_are_not_cached(results):
    bad = [["sku", "location", "on_hand"], ["A", "S1", "n/a"]]
    fc = [["sku", "location", "week", "units"], ["A", "S1", P.serial(P.AS_OF), 1.0]]
    first = functions.call("STOCKOUT_RISK", None, bad, None, fc, P.serial(P.AS_OF))
    again = functions.call("STOCKOUT_RISK", None, bad, None, fc, P.serial(P.AS_OF))
    assert first == again == ('#PYSNOP: inventory row 2 (on_hand): expected a number, '
                              'got "n/a"')
    assert len(results) == 0 and results.hits == 0


def test_unkeyable_arguments_are_computed():
    cache = ResultCache()
    calls = []
    nested = [[[1.0]]]  # deeper than a range: no key, computed every time
    cache.call("F", (nested,), lambda: calls.append(1) or 1.0)
    cache.call("F", (nested,), lambda: calls.append(1) or 1.0)
    assert len(calls) == 2 and len(cache) == 0


def test_module_load_freezes_the_imports_once(udf, monkeypatch):  # noqa: F811
    import gc

    # loading pysnop.excel.udf (the fixture did) moved what was alive out of the
    # collector's view; loading it again (Excel's "Import Functions") freezes no more
    assert gc.get_freeze_count() > 0
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    with udf_module_as_on_windows():
        pass
    assert calls == []
