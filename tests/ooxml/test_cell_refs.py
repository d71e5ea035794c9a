"""Cell references read and written without openpyxl (a run checks and scans sheets before it
loads openpyxl), exactly as openpyxl reads and writes them: every column Excel has."""

import pytest
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.exceptions import CellCoordinatesException

from pysnop.workbook.ooxml.sheetxml import _column_index, cell_ref, split_ref

LAST_COLUMN = 16_384  # XFD; three letters reach ZZZ = 18,278


def test_every_column_as_openpyxl_spells_and_reads_it():
    for col in range(1, 18_278 + 1):
        letters = get_column_letter(col)
        assert cell_ref(7, col) == f"{letters}7"
        assert _column_index(letters) == column_index_from_string(letters) == col


@pytest.mark.parametrize(("ref", "expected"), [
    ("A1", (1, 1)), ("C7", (7, 3)), ("XFD1048576", (1_048_576, LAST_COLUMN)),
    ("AA10", (10, 27)), ("$B$3", (3, 2)), ("b3", (3, 2)), ("$c12", (12, 3))])
def test_references_plain_or_not(ref, expected):
    assert split_ref(ref) == expected


@pytest.mark.parametrize("ref", ["A0", "1A", "", "AAAA1", "A-1"])
def test_what_openpyxl_refuses_is_refused(ref):
    with pytest.raises((CellCoordinatesException, ValueError)):
        split_ref(ref)
