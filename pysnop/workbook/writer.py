"""Writing a run's results back into the planner's workbook.

pysnop owns the sheets in :data:`OWNED_SHEETS` (rewritten every run, plus those later stages
add) and the "Supply: ..." columns of the Campaigns sheet. Everything else is the user's and
is carried over byte for byte: the user's parts are copied, not re-serialised, so nothing a
spreadsheet library would not understand (shapes, slicers, form controls, threaded comments,
Power Query, macros) can be lost. The file is saved atomically; when writing in place one
``<name>.bak`` backup of the original is kept.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import openpyxl

from pysnop.errors import FileAccessError, Problem
from pysnop.workbook.ooxml.atomic import (
    Fingerprint,
    atomic_write,
    changed_message,
    describe_os_error,
    same_file,
)
from pysnop.workbook.ooxml.custom_props import set_properties
from pysnop.workbook.ooxml.package import Package
from pysnop.workbook.ooxml.safety import check_package
from pysnop.workbook.ooxml.styles import seed_scratch_workbook, style_counts
from pysnop.workbook.ooxml.transplant import (
    PATCH_PREFIX,
    STYLES,
    Transplant,
    scratch_package,
    user_headers,
)
from pysnop.workbook.ooxml.workbook_xml import WorkbookXml
from pysnop.workbook.ooxml.xlcells import StyleBook
from pysnop.workbook.render.canvas import Canvas, Renderer
from pysnop.workbook.sheet_names import (
    OWNED_SHEETS,
    RESERVED_SHEETS,
)


def read_package(src: Path, info: dict[str, Fingerprint]) -> Package:
    """Read ``src`` once, check it is a safe workbook package, and fingerprint it."""
    try:
        stat = os.stat(src)
        data = src.read_bytes()
    except OSError as exc:
        raise FileAccessError(describe_os_error(exc, src, "read")) from exc
    info["fingerprint"] = Fingerprint.of_bytes(data, stat)
    check_package(data, name=src.name)
    from pysnop.workbook.ooxml.workbook_xml import WorkbookXml
    from pysnop.workbook.ooxml.xmlparts import PackageError

    try:
        package = Package(data)
        WorkbookXml(package)  # the parts pysnop edits are what it expects, or nothing is written
    except PackageError as exc:
        raise PackageError(f"cannot update {src.name}: {exc}") from None
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise FileAccessError(f"cannot update {src.name}: it is not an .xlsx/.xlsm workbook "
                              f"(only Office Open XML workbooks can be written)") from exc
    return package


def write_workbook(src: Path, dest: Path, renderers: Sequence[Renderer], *, backup: bool = True,
                   expect: Fingerprint | None = None,
                   post_save: Callable[[bytes], bytes] | None = None) -> list[Problem]:
    """Render pysnop's sheets and merge them into a copy of ``src`` saved atomically at ``dest``.

    Renderers draw on a :class:`~pysnop.workbook.render.canvas.Canvas`: whole sheets they
    create replace pysnop's sheets of the same name (or are added after the user's), and the
    column patches they register are merged into the user's sheets
    (:mod:`pysnop.workbook.ooxml.transplant`). No
    other part of ``src`` is parsed or rewritten.

    ``expect``: the :class:`~pysnop.workbook.ooxml.atomic.Fingerprint` of ``src`` when the
    caller read it. If ``src`` changed since, or changes while this function runs (someone
    saved it), nothing is written and a FileAccessError says so. ``post_save`` may rewrite the
    finished package bytes before they replace anything (formula values cached by the headless
    recalculation, :mod:`pysnop.workbook.formulas.headless`). Raises FileAccessError when
    ``src`` cannot be read or ``dest`` written; the original is then untouched and no temporary
    file is left behind. Returns warnings about the write (none at present).
    """
    draft = Draft(src, dest, backup=backup, expect=expect)
    draft.draw(renderers)
    draft.finish(post_save)
    return []


class Draft:
    """A write in steps (:func:`write_workbook` takes them all at once): the user's package
    read and checked (``expect``, as there) and the canvas made when created, renderers
    drawn by :meth:`draw` as they come (in the order the sheets are to have), the sheets
    merged in and the file saved once, by :meth:`finish`. A run draws the sheets it already
    has while it waits for others (pysnop.pipeline.overlap)."""

    def __init__(self, src: Path, dest: Path, *, backup: bool = True,
                 expect: Fingerprint | None = None):
        self.src, self.dest, self.backup = Path(src), Path(dest), backup
        self.in_place = same_file(self.src, self.dest) or (
            self.src.resolve() == self.dest.resolve())
        info: dict[str, Fingerprint] = {}
        self.package = read_package(self.src, info)
        self.loaded = info["fingerprint"]
        if expect is not None and expect.sha256 != self.loaded.sha256:
            raise FileAccessError(changed_message(self.src))
        self.counts = style_counts(self.package.read(STYLES) if self.package.has(STYLES)
                                   else None)
        self.canvas = new_canvas(self.package)
        self.drawn = 0  # renderers drawn so far
        self.finished = False

    def draw(self, renderers: Sequence[Renderer]) -> None:
        for render in renderers:
            render(self.canvas)
            self.drawn += 1

    def finish(self, post_save: Callable[[bytes], bytes] | None = None,
               late: Renderer | None = None) -> None:
        """Merge the sheets drawn into the package and save it atomically at ``dest``.
        ``late`` draws once the sheets are merged, before the document properties are
        written: document properties only (a run's stamp, known last)."""
        if self.finished:
            raise RuntimeError("a draft is saved once")
        self.finished = True
        package, canvas = self.package, self.canvas
        scratch = canvas.wb
        sheets = [ws.title for ws in scratch.worksheets
                  if not ws.title.startswith(PATCH_PREFIX)]
        if not scratch.worksheets:
            scratch.create_sheet(PATCH_PREFIX + "empty")
        transplant = Transplant(package, scratch_package(scratch), self.counts)
        for name in sheets:
            transplant.put_sheet(name)
        transplant.apply_patches(canvas.patches)
        if late is not None:
            late(canvas)
        if canvas.properties:
            set_properties(package, canvas.properties)
        save = package.save
        if post_save is not None:
            buffer = io.BytesIO()
            package.save(buffer)
            data = post_save(buffer.getvalue())

            def save(handle: BinaryIO) -> None:
                handle.write(data)
        atomic_write(self.dest, save, src=self.src, backup=self.backup,
                     expect=self.loaded if self.in_place else None)


def new_canvas(package: Package) -> Canvas:
    """An empty scratch workbook holding the user's style tables (see styles), as a canvas
    whose ``user_headers`` reads the user's package."""
    scratch = openpyxl.Workbook()
    scratch.remove(scratch.active)
    if WorkbookXml(package).date1904:  # a Mac workbook: dates written in its own system
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        scratch.epoch = CALENDAR_MAC_1904
    seed_scratch_workbook(scratch, package.zip)
    return Canvas(scratch, StyleBook(scratch),
                  lambda sheet, row: user_headers(package, sheet, row))


__all__ = ["OWNED_SHEETS", "RESERVED_SHEETS", "Draft", "new_canvas",
           "read_package", "write_workbook"]
