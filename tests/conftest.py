"""Shared fixtures: build small workbooks on the fly.

``make_book(sheets, name="book.xlsx", tables=None, start=None)``
    sheets: {sheet name: list of rows (lists of cell values)}; ``None`` values stay empty.
      A value may be a datetime.date/datetime (written as a date cell), a number, a string,
      a bool, or a formula string starting with "=". Rows may be of different lengths.
    start: {sheet name: "C4"} to place that sheet's rows with their top-left at C4 (title
      rows are simply leading rows of the list).
    tables: {sheet name: table name} (or {sheet: (table name, header_row_index)}) to wrap
      the sheet's rows (from its header row, 0-based in the list, default 0) in an Excel table.
    number_formats: {sheet name: {"B2": "0.00%"}} extra cell formats.
    Returns the path of the saved .xlsx in tmp_path.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis profiles. "dev" (the default run, the README's test command) and "ci" (.ci/run:
# ``--hypothesis-profile=ci``, or HYPOTHESIS_PROFILE=ci). Tests that set their own
# max_examples scale them with ``examples(n)`` (tests/hypothesis_budget.py): n under "ci",
# n/10 under "dev", so the default run stays short while CI fuzzes at full size.
settings.register_profile("dev", max_examples=100)
settings.register_profile("ci", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def build_book(path: Path, sheets: dict[str, list[list]], *, tables=None, start=None,
               number_formats=None) -> Path:
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
    from openpyxl.worksheet.table import Table, TableStyleInfo

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        r0, c0 = 1, 1
        if start and name in start:
            letters, r0 = coordinate_from_string(start[name])
            c0 = column_index_from_string(letters)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if v is None:
                    continue
                cell = ws.cell(row=r0 + i, column=c0 + j, value=v)
                if isinstance(v, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(v, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        if tables and name in tables:
            spec = tables[name]
            tname, hdr = (spec, 0) if isinstance(spec, str) else spec
            width = max(len(r) for r in rows[hdr:])
            last = r0 + len(rows) - 1
            if last == r0 + hdr:  # header only: Excel tables need a data row
                last += 1
            ref = f"{get_column_letter(c0)}{r0 + hdr}:{get_column_letter(c0 + width - 1)}{last}"
            t = Table(displayName=tname, ref=ref)
            t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
            ws.add_table(t)
        for ref, fmt in (number_formats or {}).get(name, {}).items():
            ws[ref].number_format = fmt
    if not sheets:
        wb.create_sheet("Sheet1")
    wb.save(path)
    return path


@pytest.fixture
def make_book(tmp_path):
    """Factory: ``make_book({"Inventory": [[...], ...]}, tables=..., start=...)`` -> path."""
    counter = {"n": 0}

    def factory(sheets: dict[str, list[list]], name: str | None = None, **options) -> Path:
        counter["n"] += 1
        path = tmp_path / (name or f"book{counter['n']}.xlsx")
        return build_book(path, sheets, **options)

    return factory
