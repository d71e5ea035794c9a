"""The Approvers table: who may decide actions of which owner function (Supply / Marketing).

Found on an "Approvers" sheet, or as a block on the Settings sheet (below the settings, after a
blank row, optionally under a title "Approvers"). Either way it is a header row with
``name`` and ``function`` (aliases: approver / person / user; role / team / owner) and one
person per row. A function cell may list several functions ("Supply, Marketing") or say
``All``. Unknown functions are reported as warnings and ignored.
"""

from __future__ import annotations

from pysnop.core.decisions import FUNCTIONS, Approvers
from pysnop.errors import Problem
from pysnop.workbook.read.grid import Grid, GridSource, open_source
from pysnop.workbook.read.schema import norm

SHEET_NAMES = ("approvers", "approver", "approvals")
NAME_HEADERS = {"name", "approver", "person", "user", "approver_name"}
FUNCTION_HEADERS = {"function", "role", "team", "owner", "owner_function"}
HEADER_SEARCH_ROWS = 60


def read_approvers(source) -> tuple[Approvers, list[Problem]]:
    """Approvers from a workbook path or a GridSource, with warnings for bad rows."""
    src: GridSource = open_source(source)
    names = src.sheet_names()
    sheet = next((n for n in names if norm(n) in SHEET_NAMES), None)
    if sheet is None:
        sheet = next((n for n in names if norm(n) in ("settings", "setting", "parameters")),
                     None)
        if sheet is None:
            return Approvers(), []
    return approvers_from_grid(src.grid(sheet))


def approvers_from_grid(grid: Grid) -> tuple[Approvers, list[Problem]]:
    found = _header(grid)
    out, problems = Approvers(), list[Problem]()
    if found is None:
        return out, problems
    i0, name_j, fn_j = found
    for i in range(i0 + 1, len(grid.rows)):
        row = grid.rows[i]
        name = _cell(row, name_j)
        function = _cell(row, fn_j)
        if not name and not function:
            if any(_cell(row, j) for j in range(len(row))):
                break  # another block starts
            continue
        r = grid.first_row + i
        if not name or not function:
            problems.append(Problem(
                f"approver row needs both a name and a function, got {name or 'blank'} / "
                f"{function or 'blank'}; ignored", grid.sheet, r, severity="warning"))
            continue
        for part in function.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if norm(part) in ("all", "both", "any"):
                for fn in FUNCTIONS:
                    out.add(name, fn)
                continue
            canon = next((f for f in FUNCTIONS if f.casefold() == part.casefold()), None)
            if canon is None:
                problems.append(Problem(
                    f"unknown function {part!r} for approver {name}; expected Supply or "
                    f"Marketing; ignored", grid.sheet, r, grid.first_col + fn_j, "function",
                    part, "warning"))
                continue
            out.add(name, canon)
    return out, problems


def _header(grid: Grid):
    for i, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        keys = [norm(v) if isinstance(v, str) else "" for v in row]
        name_j = next((j for j, k in enumerate(keys) if k in NAME_HEADERS), None)
        fn_j = next((j for j, k in enumerate(keys) if k in FUNCTION_HEADERS), None)
        if name_j is not None and fn_j is not None:
            return i, name_j, fn_j
    return None


def _cell(row, j) -> str:
    if j >= len(row):
        return ""
    value = row[j]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
