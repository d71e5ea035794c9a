"""Re-make the LibreOffice-saved workbooks of this folder (and the Mac 1904-date ones).

    python tests/corpus/libreoffice/make_books.py      # needs soffice (LibreOffice) on PATH

Each book is built with openpyxl in a temporary folder, then opened and saved by LibreOffice
(``soffice --headless --convert-to xlsx``): the file committed here is LibreOffice's, with
its own way of writing every part (``date1904="true"``, ``tabSelected="false"``, a
relationship Override for ``/_rels/.rels``, its own styles and extensions). The ``1904``
book sets the Mac date system (``workbookPr date1904``) before LibreOffice saves it;
``../mac/mac1904.xlsx`` is the same plan as openpyxl writes it (``date1904="1"``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.datavalidation import DataValidation

HERE = Path(__file__).resolve().parent
MAC = HERE.parent / "mac"
D = dt.date
WEEKS = [D(2026, 11, 16) + dt.timedelta(weeks=w) for w in range(8)]


def plan(wb: openpyxl.Workbook) -> None:
    """Settings, Campaigns, Inventory, Forecast, Receipts: a small plan with one risk.

    A1@S1: on hand 30, baseline 10/week, campaign +50% in week 1 (2026-11-23..29):
    demand 10, 15, 10, ...; POH 20, 5, -5 -> STOCKOUT from week 2 (2026-11-30).
    B2@S1: on hand 100, 5/week, a receipt of 20 in week 2: POH 95, 90, 105, ... -> OK.
    """
    ws = wb.active
    ws.title = "Settings"
    ws.append(["key", "value"])
    ws.append(["as_of", D(2026, 11, 18)])
    ws["B2"].number_format = "yyyy-mm-dd"
    ws.append(["horizon_weeks", 8])
    camp = wb.create_sheet("Campaigns")
    camp.append(["campaign_id", "sku", "start", "end", "lift", "status"])
    camp.append(["BF", "A1", D(2026, 11, 23), D(2026, 11, 29), 0.5, "Planned"])
    for c in ("C2", "D2"):
        camp[c].number_format = "yyyy-mm-dd"
    inv = wb.create_sheet("Inventory")
    inv.append(["sku", "location", "on_hand", "safety_stock"])
    inv.append(["A1", "S1", 30, 0])
    inv.append(["B2", "S1", 100, 0])
    fc = wb.create_sheet("Forecast")
    fc.append(["sku", "location", "week", "units"])
    for sku, units in (("A1", 10), ("B2", 5)):
        for w in WEEKS:
            fc.append([sku, "S1", w, units])
            fc.cell(fc.max_row, 3).number_format = "yyyy-mm-dd"
    rc = wb.create_sheet("Receipts")
    rc.append(["sku", "location", "due", "qty", "po_id"])
    rc.append(["B2", "S1", D(2026, 12, 2), 20, "PO-1"])
    rc["C2"].number_format = "yyyy-mm-dd"


def notes(wb: openpyxl.Workbook) -> None:
    """A user's own sheet with formulas, formats, validation, a comment and a merge."""
    ws = wb.create_sheet("Notes")
    ws["A1"] = "Planner notes"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:C1")
    ws["A2"] = "total on hand"
    ws["B2"] = "=SUM(Inventory!C2:C3)"
    ws["A3"] = "reviewed"
    ws["B3"] = "yes"
    ws["B3"].comment = Comment("checked with supply", "ann")
    dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("B3")
    ws.conditional_formatting.add("B2", CellIsRule(operator="lessThan", formula=["50"],
                                                   fill=PatternFill("solid", "FFC7CE")))
    ws.freeze_panes = "A2"


def chart_and_filter(wb: openpyxl.Workbook) -> None:
    """A bar chart of on-hand, an autofilter on Inventory and a defined name."""
    inv = wb["Inventory"]
    inv.auto_filter.ref = "A1:D3"
    dash = wb.create_sheet("Dashboard")
    chart = BarChart()
    chart.title = "On hand"
    chart.add_data(Reference(inv, min_col=3, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(inv, min_col=1, min_row=2, max_row=3))
    dash.add_chart(chart, "B2")
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names["OnHand"] = DefinedName("OnHand", attr_text="Inventory!$C$2:$C$3")


BOOKS = {
    "lo_plan_notes.xlsx": (plan, notes),
    "lo_plan_chart_filter.xlsx": (plan, chart_and_filter),
    "lo_plan_1904.xlsx": (plan, notes),
}


def build(name: str, steps, *, mac: bool = False) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    if mac or "1904" in name:
        wb.epoch = CALENDAR_MAC_1904
    for step in steps:
        step(wb)
    return wb


def convert(src: Path, dest_dir: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        sys.exit("soffice (LibreOffice) is not on PATH")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([soffice, "--headless", "--convert-to", "xlsx", "--outdir", out,
                        str(src)], check=True, capture_output=True, timeout=120)
        made = Path(out) / src.name
        target = dest_dir / src.name
        shutil.copyfile(made, target)
    return target


def main() -> None:
    MAC.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, steps in BOOKS.items():
            path = Path(tmp) / name
            build(name, steps).save(path)
            print("wrote", convert(path, HERE).relative_to(HERE.parent))
    mac = build("mac1904.xlsx", (plan, notes), mac=True)
    mac.save(MAC / "mac1904.xlsx")
    print("wrote mac/mac1904.xlsx")


if __name__ == "__main__":
    main()
