"""Can pysnop write this workbook? Checked before a run computes or logs anything.

Apart from the writer (:mod:`pysnop.workbook.writer`), which loads openpyxl: a run checks
first and loads openpyxl later, after its plan is forked (pysnop.workbook.sheet_names).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pysnop.workbook.ooxml.package import Package
from pysnop.workbook.ooxml.safety import check_package
from pysnop.workbook.ooxml.sheetxml import SheetXml
from pysnop.workbook.ooxml.styles import style_counts
from pysnop.workbook.ooxml.transplant import STYLES, check_claimable
from pysnop.workbook.ooxml.workbook_xml import WorkbookXml
from pysnop.workbook.ooxml.xmlparts import PackageError
from pysnop.workbook.read.layout import match_sheets
from pysnop.workbook.sheet_names import RESERVED_SHEETS


def check_writable(src: Path) -> None:
    """Before a run computes or logs anything: the parts pysnop will edit are what it
    expects (else a PackageError: nothing written, the file untouched), and no sheet of
    the user's has the name of one of pysnop's (see ``check_claimable``). A file that is not
    a zip package at all is left to the reader, which says what is wrong with it."""
    src = Path(src)
    if src.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    try:
        data = src.read_bytes()
    except OSError:
        return  # the reader reports a missing or locked file in its own words
    check_package(data, name=src.name)  # bombs are refused before any parser reads a part
    try:
        package = Package(data)
        book = WorkbookXml(package)
        style_counts(package.read(STYLES) if package.has(STYLES) else None)
        sheets = {s["name"]: s["part"] for s in book.sheets()}
        campaigns = match_sheets(list(sheets))[0].get("Campaigns")
        if campaigns and sheets[campaigns] and package.has(sheets[campaigns]):
            SheetXml(package.read(sheets[campaigns]), sheets[campaigns])
    except (zipfile.BadZipFile, UnicodeDecodeError):
        return
    except PackageError as exc:
        raise type(exc)(f"cannot update {src.name}: {exc}") from None
    check_claimable(package, RESERVED_SHEETS)


__all__ = ["check_writable"]
