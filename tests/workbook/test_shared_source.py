"""The stages of a run read their sheets from the one workbook the reader opened."""

from pysnop.workbook.read.grid import Grid, RememberingSource


class CountingSource:
    def __init__(self):
        self.reads: list[str] = []

    def sheet_names(self):
        return ["Actions", "Approvers"]

    def grid(self, sheet):
        self.reads.append(sheet)
        return Grid(sheet, [["action_id", "status"]], 3, 1)

    def tables(self):
        return []


def test_each_sheet_is_read_once_and_the_same_grid_is_returned():
    inner = CountingSource()
    shared = RememberingSource(inner)
    first = shared.grid("Actions")
    assert shared.grid("Actions") is first
    shared.grid("Approvers")
    assert inner.reads == ["Actions", "Approvers"]
    assert shared.sheet_names() == ["Actions", "Approvers"]
