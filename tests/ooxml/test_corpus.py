"""Real files from real producers: pysnop runs twice on each and loses nothing of the user's.

For every workbook of ``tests/corpus/excel`` (saved by Microsoft Excel, see its README),
``tests/corpus/libreoffice`` (saved by LibreOffice) and ``tests/corpus/mac`` (the Mac 1904
date system), and of every folder named in ``$PYSNOP_CORPUS`` (``:``-separated; the held-out
half of the corpus is checked this way):

1. a book without an Inventory sheet gets Inventory and Forecast sheets added at the zip
   level (``ooxml_corpus.add_plan_sheets``: its own parts are left exactly as they are);
2. ``pysnop.recalc`` runs on it, then again on its output (the re-run path: pysnop's sheets
   and formats already there);
3. in both outputs every part pysnop does not own is byte-identical to the input, the
   listing parts (content types, workbook, its relationships, styles) keep every entry of
   the user's, every cell of every original sheet reads back the same through
   python-calamine (cached formula values included), and the package validator finds
   nothing the input did not already have;
4. the bridge itself is right: A1@S1 (30 on hand, 10 a week) runs out, B2@S1 does not.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ooxml_corpus import AS_OF, add_plan_sheets, calamine_values, compare_runs
from ooxml_validator import validate

import pysnop

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FOLDERS = [CORPUS / "excel", CORPUS / "libreoffice", CORPUS / "mac"] + [
    Path(p) for p in os.environ.get("PYSNOP_CORPUS", "").split(os.pathsep) if p]
BOOKS = sorted(p for folder in FOLDERS for p in folder.glob("*.xls[xm]")
               if not p.name.startswith("~$"))


def book_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_the_corpus_is_in_the_repository():
    # 497 Excel-saved books travel with their licence and README (a clean clone has them)
    excel = list((CORPUS / "excel").glob("*.xls[xm]"))
    assert len(excel) == 497
    assert (CORPUS / "excel" / "LICENSE.txt").is_file()
    assert (CORPUS / "excel" / "README.md").is_file()
    assert len(list((CORPUS / "libreoffice").glob("*.xlsx"))) >= 3
    assert (CORPUS / "mac" / "mac1904.xlsx").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("path", BOOKS, ids=book_id)
def test_two_runs_keep_everything_of_the_users(path: Path, tmp_path: Path):
    original = path.read_bytes()
    sheets = calamine_values(original)
    has_plan = any(name.casefold() == "inventory" for name in sheets)
    source = tmp_path / ("book" + path.suffix)
    source.write_bytes(original if has_plan else add_plan_sheets(original))
    before = source.read_bytes()
    patched = {name for name in sheets if name.casefold() == "campaigns"}

    first = tmp_path / ("first" + path.suffix)
    report = pysnop.recalc(source, output=first, as_of=None if has_plan else AS_OF)
    second = tmp_path / ("second" + path.suffix)
    pysnop.recalc(first, output=second, as_of=None if has_plan else AS_OF)

    user_sheets = set(calamine_values(before))
    owned = set(calamine_values(first.read_bytes())) - user_sheets
    assert owned >= {"Bridge", "Issues"}
    known = set(validate(before))
    for out in (first, second):
        data = out.read_bytes()
        assert compare_runs(before, data, owned, patched) == [], out.name
        assert [p for p in validate(data) if p not in known] == [], out.name
    # re-run: pysnop's own formats and sheets are reused, the user's parts still untouched
    assert compare_runs(first.read_bytes(), second.read_bytes(), owned, patched) == []

    summary = report.result.summary.set_index("sku")["status"].to_dict()
    # A1: 30 on hand, 10 a week (15 in a +50% promo week in the plan books): below 0 by
    # week 3 at the latest; B2: 100 on hand, 5 a week (+20 received): never below 60
    assert summary == {"A1": "STOCKOUT", "B2": "OK"}
