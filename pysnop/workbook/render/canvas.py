"""What pysnop's sheet renderers draw on: a scratch workbook and what they may know of the
user's.

A renderer is a function ``render(canvas) -> None``. It creates pysnop's sheets in
``canvas.wb`` (an empty openpyxl workbook holding the user's style tables) with the styles of
``canvas.styles``; to add columns to one of the user's sheets (the "Supply: ..." columns of
Campaigns) it draws them on a scratch sheet named ``PATCH_PREFIX + sheet``, one column per
header at their final rows, and appends a
:class:`~pysnop.workbook.ooxml.column_patch.ColumnPatch` to ``canvas.patches``: where the
columns land is decided when the patch is merged. ``canvas.user_headers(sheet, row)`` gives
the text of a user sheet's header cells by column. The file writer
(:mod:`pysnop.workbook.writer`) and the live-Excel writer (:mod:`pysnop.excel.excel_copy`)
then put the canvas into the book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl import Workbook

from pysnop.workbook.ooxml.column_patch import ColumnPatch
from pysnop.workbook.ooxml.xlcells import StyleBook

UserHeaders = Callable[[str, int], dict[int, str]]


@dataclass
class Canvas:
    """A scratch workbook to render into (see the module doc)."""

    wb: Workbook
    styles: StyleBook
    user_headers: UserHeaders
    patches: list[ColumnPatch] = field(default_factory=list)
    # custom document properties to set (the decision-log stamp; ooxml.custom_props)
    properties: dict[str, str] = field(default_factory=dict)


Renderer = Callable[[Canvas], None]


def blank_canvas(user_headers: UserHeaders | None = None) -> Canvas:
    """A canvas on an empty workbook (no user styles): for the live-Excel writer and tests."""
    wb = Workbook()
    wb.remove(wb.active)
    return Canvas(wb, StyleBook(wb), user_headers or (lambda sheet, row: {}))


__all__ = ["Canvas", "Renderer", "UserHeaders", "blank_canvas"]
