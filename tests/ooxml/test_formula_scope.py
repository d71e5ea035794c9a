"""A headless recalculation evaluates pysnop's formulas and what hangs on them, nothing else.

The plan (``red_team_books``): A1@S1 has 30 on hand and sells 10 a week, so
WEEKS_OF_SUPPLY(Inventory!C2, Forecast!D2:D5) = 30 / 10 = 3.
"""

from __future__ import annotations

from lxml import etree
from ooxml_corpus import MAIN_NS, calamine_values
from ooxml_edit import edit_sheet
from red_team_books import plan_sheets

import pysnop

WOS = "WEEKS_OF_SUPPLY(Inventory!C2,Forecast!D2:D5)"


def saved(values: dict[str, float]):
    """An editor giving formula cells the value a calculating program saved for them."""
    def edit(root: etree._Element) -> None:
        for c in root.iter(f"{{{MAIN_NS}}}c"):
            if c.get("r") in values and c.find(f"{{{MAIN_NS}}}f") is not None:
                for v in c.findall(f"{{{MAIN_NS}}}v"):
                    c.remove(v)
                etree.SubElement(c, f"{{{MAIN_NS}}}v").text = repr(values[c.get("r")])
    return edit


def test_formulas_reading_pysnops_results_are_recalculated(make_book, tmp_path):
    planner = [[f"={WOS}", "=A1*2", "=B1+1"]]
    book = make_book(plan_sheets(Planner=planner), name="plan.xlsx")
    edit_sheet(book, "Planner", saved({"A1": 99.0, "B1": 198.0, "C1": 199.0}))  # stale
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    # 3 weeks; B1 = 3 x 2 = 6 reads it; C1 = 6 + 1 reads B1
    assert calamine_values(out.read_bytes())["Planner"][0] == [3.0, 6.0, 7.0]


def test_other_formulas_keep_their_saved_values(make_book, tmp_path):
    # B1 does not read pysnop's cell: what the workbook saved for it stays, even where the
    # engine would compute something else (here 1 + 1 = 2, saved as 5: a volatile function,
    # an external link, anything the engine cannot know)
    planner = [[f"={WOS}", "=1+1"]]
    book = make_book(plan_sheets(Planner=planner), name="plan.xlsx")
    edit_sheet(book, "Planner", saved({"B1": 5.0}))
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    assert calamine_values(out.read_bytes())["Planner"][0] == [3.0, 5.0]


def test_a_formula_pysnop_reads_is_evaluated_when_it_has_no_saved_value(make_book, tmp_path):
    # Inventory!D2 = C2 (30) has no saved value (openpyxl writes none): WEEKS_OF_SUPPLY
    # reads it, so it is evaluated (30 / 10 = 3) and its value cached; E2 = 1 + 1 is read
    # by nothing of pysnop's and stays without a value
    sheets = plan_sheets()
    sheets["Inventory"][0] += ["copy", "other"]
    sheets["Inventory"][1] += ["=C2", "=1+1"]
    sheets["Planner"] = [["=WEEKS_OF_SUPPLY(Inventory!D2,Forecast!D2:D5)"]]
    book = make_book(sheets, name="plan.xlsx")
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    values = calamine_values(out.read_bytes())
    assert values["Planner"][0][0] == 3.0
    assert values["Inventory"][1][3:5] == [30.0, ""]
