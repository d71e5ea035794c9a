"""One error tree for everything pysnop reports to a person.

Every problem names where it is (sheet, cell or row, column header), what was found
and what was expected, in a sentence short enough to live in a cell. Validation
collects all problems of a workbook before raising, so a planner fixes them in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
Kind = Literal["layout", "data", "file"]


def column_letter(index: int) -> str:
    """1-based column index to Excel letters (1 -> A, 27 -> AA)."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Excel column letters to a 1-based index (A -> 1, aa -> 27): column_letter's inverse."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index


def show_value(value: Any) -> str:
    """A cell value as a person would recognise it in a message."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return "blank"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f'"{text}"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One located finding about an input workbook.

    ``row`` and ``col`` are 1-based Excel coordinates; either may be None when the
    problem concerns a whole sheet, row or column.
    """

    reason: str
    sheet: str | None = None
    row: int | None = None
    col: int | None = None
    column: str | None = None  # the header as the user typed it (or the canonical name)
    value: Any = None
    severity: Severity = "error"
    kind: Kind = "data"
    # the reason goes on from the cell as one sentence ("Inventory!C7 holds a formula ..."):
    # no colon after the location, and the column is named in the reason itself
    joined: bool = False

    @property
    def where(self) -> str:
        if self.sheet is None:
            return ""
        if self.row is not None and self.col is not None:
            return f"{self.sheet}!{column_letter(self.col)}{self.row}"
        if self.row is not None:
            return f"{self.sheet} row {self.row}"
        if self.col is not None:
            return f"{self.sheet}!{column_letter(self.col)}"
        return self.sheet

    @property
    def cell(self) -> str | None:
        if self.sheet is not None and self.row is not None and self.col is not None:
            return f"{column_letter(self.col)}{self.row}"
        return None

    def __str__(self) -> str:
        where = self.where
        if self.joined and where:
            return f"{where} {self.reason}"
        if self.column:
            where = f"{where} ({self.column})" if where else f"({self.column})"
        return f"{where}: {self.reason}" if where else self.reason

    def as_warning(self) -> Problem:
        return Problem(self.reason, self.sheet, self.row, self.col, self.column, self.value,
                       "warning", self.kind, self.joined)


class PysnopError(Exception):
    """Base of every error pysnop raises on purpose. ``str()`` is the user message."""

    kind: Kind = "data"

    def __init__(self, reason: str, *, sheet: str | None = None, row: int | None = None,
                 col: int | None = None, column: str | None = None, value: Any = None):
        self.problem = Problem(reason, sheet, row, col, column, value, "error", self.kind)
        super().__init__(str(self.problem))

    @property
    def sheet(self) -> str | None:
        return self.problem.sheet

    @property
    def row(self) -> int | None:
        return self.problem.row

    @property
    def column(self) -> str | None:
        return self.problem.column

    @property
    def value(self) -> Any:
        return self.problem.value

    @property
    def reason(self) -> str:
        return self.problem.reason

    @property
    def problems(self) -> list[Problem]:
        return [self.problem]


class LayoutError(PysnopError):
    """The workbook's shape is wrong: a sheet or required column is missing, not a workbook."""

    kind: Kind = "layout"


class DataError(PysnopError):
    """A value is wrong: not a number, a bad date, a duplicate key, ..."""

    kind: Kind = "data"


class FileAccessError(PysnopError):
    """The file cannot be read or written: missing, locked, read-only, disk full."""

    kind: Kind = "file"


class ValidationError(PysnopError):
    """A workbook with one or more problems; carries all of them (like pandera's SchemaErrors)."""

    def __init__(self, problems: Iterable[Problem]):
        self.all_problems = [p for p in problems if p.severity == "error"]
        first = self.all_problems[0] if self.all_problems else Problem("invalid workbook")
        self.kind = first.kind
        count = len(self.all_problems)
        head = str(first) if count == 1 else f"{count} problems; first: {first}"
        Exception.__init__(self, head)
        self.problem = first

    @property
    def problems(self) -> list[Problem]:
        return list(self.all_problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.all_problems)


def raise_if_errors(problems: Iterable[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValidationError(errors)
