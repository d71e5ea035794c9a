"""The Approvers table: who may decide actions of which owner function (Supply / Marketing).

Found on an "Approvers" sheet, or as a block on the Settings sheet (below the settings, after a
blank row, optionally under a title "Approvers"). Either way it is a header row with
``name`` and ``function`` (aliases: approver / person / user; role / team / owner) and one
person per row. A function cell may list several functions ("Supply, Marketing") or say
``All``. Unknown functions are reported as warnings and ignored. An optional ``account``
column (aliases: login, os_account, windows_account) gives the OS login that proves it is
them: their decisions then count only from runs under that account
(:mod:`pysnop.core.authority`).
"""

from __future__ import annotations

from pysnop.core.decisions import FUNCTIONS, Approvers
from pysnop.errors import Problem
from pysnop.workbook.read.grid import Grid, GridSource, open_source
from pysnop.workbook.read.schema import norm

SHEET_NAMES = ("approvers", "approver", "approvals")
NAME_HEADERS = {"name", "approver", "person", "user", "approver_name"}
FUNCTION_HEADERS = {"function", "role", "team", "owner", "owner_function"}
ACCOUNT_HEADERS = {"account", "login", "os_account", "os_login", "windows_account",
                   "windows_login", "user_account"}
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
    i0, name_j, fn_j, account_j = found
    accounts: dict[str, str] = {}
    for i in range(i0 + 1, len(grid.rows)):
        row = grid.rows[i]
        name = _cell(row, name_j)
        function = _cell(row, fn_j)
        account = _cell(row, account_j) if account_j is not None else ""
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
        key = norm(name)
        if account and accounts.setdefault(key, account).casefold() != account.casefold():
            problems.append(Problem(
                f"approver {name} is listed with two accounts ({accounts[key]} and {account}); "
                f"this row is ignored", grid.sheet, r, grid.first_col + account_j, "account",
                account, "warning"))
            continue
        if not account and key in accounts:
            account = accounts[key]  # one account per person, wherever it was given
        for part in function.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if norm(part) in ("all", "both", "any"):
                for fn in FUNCTIONS:
                    out.add(name, fn, account or None)
                continue
            canon = next((f for f in FUNCTIONS if f.casefold() == part.casefold()), None)
            if canon is None:
                problems.append(Problem(
                    f"unknown function {part!r} for approver {name}; expected Supply or "
                    f"Marketing; ignored", grid.sheet, r, grid.first_col + fn_j, "function",
                    part, "warning"))
                continue
            out.add(name, canon, account or None)
    return out, problems


def _header(grid: Grid):
    for i, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        keys = [norm(v) if isinstance(v, str) else "" for v in row]
        name_j = next((j for j, k in enumerate(keys) if k in NAME_HEADERS), None)
        fn_j = next((j for j, k in enumerate(keys) if k in FUNCTION_HEADERS), None)
        if name_j is not None and fn_j is not None:
            account_j = next((j for j, k in enumerate(keys) if k in ACCOUNT_HEADERS), None)
            return i, name_j, fn_j, account_j
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
