"""The formula scan inflates a stored sheet a chunk at a time (formulas.engine): a formula
is found wherever its <f> falls against the chunks' edges, and a sheet of values is ruled
out, whatever the chunk size."""

from __future__ import annotations

from pysnop.workbook.formulas.engine import _may_hold_formulas, has_pysnop_formulas
from pysnop.workbook.ooxml.package import Package
from pysnop.workbook.ooxml.workbook_xml import WorkbookXml


def parts(path):
    package = Package(path.read_bytes())
    return package, {s["name"]: s["part"] for s in WorkbookXml(package).sheets()}


def test_a_formula_is_found_across_every_chunk_edge(make_book):
    book = make_book({"Values": [["a", "b"], [1, 2]],
                      "View": [["x"], ["=STOCKOUT_RISK(Values!A1:B2)"]]})
    package, part = parts(book)
    xml = package.read(part["View"])
    for chunk in range(1, len(xml) + 2):  # the marker split at every offset
        assert _may_hold_formulas(package, part["View"], chunk), chunk
        assert not _may_hold_formulas(package, part["Values"], chunk), chunk
    assert has_pysnop_formulas(book)
    assert not has_pysnop_formulas(make_book({"Values": [["a"], [1]]}))


def test_pysnops_own_sheets_are_not_scanned(make_book):
    """A re-run's workbook is mostly pysnop's own sheets (redrawn whole, no formulas of the
    user's): the run's scan skips them; the user's sheets are still scanned."""
    from pysnop.workbook.writer import RESERVED_SHEETS

    only_in_bridge = make_book({"Values": [["a"], [1]],
                                "Bridge": [["x"], ["=STOCKOUT_RISK(Values!A1:A2)"]]})
    assert has_pysnop_formulas(only_in_bridge)  # unskipped, the formula is seen
    assert not has_pysnop_formulas(only_in_bridge, skip=RESERVED_SHEETS)
    in_users = make_book({"Values": [["a"], [1]], "Bridge": [["x"], [1]],
                          "Mine": [["=STOCKOUT_RISK(Values!A1:A2)"]]})
    assert has_pysnop_formulas(in_users, skip=RESERVED_SHEETS)


def test_a_run_scans_only_the_users_sheets(make_book, monkeypatch):
    import udf_plan

    import pysnop
    import pysnop.pipeline.stages as stages

    seen: list[tuple[str, ...]] = []
    real = stages.has_pysnop_formulas

    def spy(path, skip=()):
        seen.append(tuple(skip))
        return real(path, skip)

    monkeypatch.setattr(stages, "has_pysnop_formulas", spy)
    book = make_book(udf_plan.sheets())
    pysnop.recalc(book)
    assert seen and all({"Bridge", "Actions", "Review"} <= set(s) for s in seen)
