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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pysnop.errors import FileAccessError, Problem
from pysnop.workbook.ooxml.atomic import atomic_write, describe_os_error
from pysnop.workbook.render.bridge import BRIDGE_SHEET, CHART_SHEET, write_bridge_sheet, write_chart_sheet
from pysnop.workbook.render.campaign_columns import write_campaign_columns
from pysnop.workbook.render.issues import ISSUES_SHEET, merge_problems, write_issues_sheet
from pysnop.workbook.ooxml.package import Package
from pysnop.workbook.ooxml.styles import seed_scratch_workbook, style_counts
from pysnop.workbook.ooxml.transplant import (PATCH_PREFIX, STYLES, WORKBOOK, Transplant,
                                              scratch_bytes, user_headers, workbook_sheets)
from pysnop.workbook.ooxml.workbook_xml import WorkbookXml
from pysnop.workbook.ooxml.xlcells import StyleBook

if TYPE_CHECKING:
    from pysnop.workbook.ooxml.atomic import Fingerprint
    from pysnop.core.model import BridgeResult
    from pysnop.workbook.read.layout import SheetLayout

OWNED_SHEETS = (BRIDGE_SHEET, CHART_SHEET, ISSUES_SHEET)
# every sheet some run of pysnop writes: a user's own sheet of one of these names is refused
RESERVED_SHEETS = (*OWNED_SHEETS, "Consensus", "Scorecard", "Actions", "Review")


def check_writable(src: Path) -> None:
    """Before a run computes or logs anything: the parts pysnop will edit are what it
    expects (else a PackageError: nothing written, the file untouched), and no sheet of
    the user's has the name of one of pysnop's (see ``check_claimable``). A file that is not
    a zip package at all is left to the reader, which says what is wrong with it."""
    from pysnop.workbook.ooxml.safety import check_package
    from pysnop.workbook.ooxml.sheetxml import SheetXml
    from pysnop.workbook.ooxml.transplant import check_claimable
    from pysnop.workbook.ooxml.xmlparts import PackageError
    from pysnop.workbook.read.layout import match_sheets

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


def read_package(src: Path, info: dict) -> Package:
    """Read ``src`` once, check it is a safe workbook package, and fingerprint it."""
    from pysnop.workbook.ooxml.atomic import Fingerprint
    from pysnop.workbook.ooxml.safety import check_package

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


Renderer = Callable[[Any, StyleBook], None]  # writes some sheets into an openpyxl workbook


def write_workbook(src: Path, dest: Path, renderers: Sequence[Renderer], *, backup: bool = True,
                   expect: "Fingerprint | None" = None,
                   post_save: Callable[[bytes], bytes] | None = None) -> list[Problem]:
    """Render pysnop's sheets and merge them into a copy of ``src`` saved atomically at ``dest``.

    Renderers draw into a scratch openpyxl workbook (see :mod:`pysnop.workbook.ooxml.transplant`):
    whole sheets they create replace pysnop's sheets of the same name (or are added after
    the user's), and column patches they register are merged into the user's sheets. No
    other part of ``src`` is parsed or rewritten.

    ``expect``: the :class:`~pysnop.workbook.ooxml.atomic.Fingerprint` of ``src`` when the caller read
    it. If ``src`` changed since, or changes while this function runs (someone saved it),
    nothing is written and a FileAccessError says so. ``post_save`` may rewrite the finished
    package bytes before they replace anything (formula values cached by the headless
    recalculation, :mod:`pysnop.workbook.formulas.headless`). Raises FileAccessError when ``src``
    cannot be read or ``dest`` written; the original is then untouched and no temporary
    file is left behind. Returns warnings about the write (none at present).
    """
    from pysnop.workbook.ooxml.atomic import changed_message, same_file

    src, dest = Path(src), Path(dest)
    in_place = same_file(src, dest) or src.resolve() == dest.resolve()
    info: dict = {}
    package = read_package(src, info)
    loaded = info["fingerprint"]
    if expect is not None and expect.sha256 != loaded.sha256:
        raise FileAccessError(changed_message(src))

    counts = style_counts(package.read(STYLES) if package.has(STYLES) else None)
    scratch = new_scratch_workbook(package)
    styles = StyleBook(scratch)
    for render in renderers:
        render(scratch, styles)
    sheets = [ws.title for ws in scratch.worksheets if not ws.title.startswith(PATCH_PREFIX)]
    if not scratch.worksheets:
        scratch.create_sheet(PATCH_PREFIX + "empty")
    transplant = Transplant(package, scratch_bytes(scratch), counts)
    for name in sheets:
        transplant.put_sheet(name)
    transplant.apply_patches(scratch._pysnop_patches)
    save = package.save
    if post_save is not None:
        buffer = io.BytesIO()
        package.save(buffer)
        data = post_save(buffer.getvalue())
        save = lambda handle: handle.write(data)  # noqa: E731
    atomic_write(dest, save, src=src, backup=backup, expect=loaded if in_place else None)
    return []


def new_scratch_workbook(package: Package):
    """An empty openpyxl workbook holding the user's style tables (see styles_merge).

    Renderers find two extra attributes on it: ``_pysnop_patches`` (append
    :class:`~pysnop.workbook.ooxml.transplant.ColumnPatch` objects) and ``_pysnop_user_headers(sheet,
    row)`` (the text of a user sheet's header cells, by column).
    """
    import openpyxl

    scratch = openpyxl.Workbook()
    scratch.remove(scratch.active)
    if WorkbookXml(package).date1904:  # a Mac workbook: dates written in its own system
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        scratch.epoch = CALENDAR_MAC_1904
    seed_scratch_workbook(scratch, package.zip)
    scratch._pysnop_patches = []
    scratch._pysnop_user_headers = lambda sheet, row: user_headers(package, sheet, row)
    scratch._pysnop_user_sheets = [s["name"] for s in workbook_sheets(package)]
    return scratch


def bridge_renderer(result: "BridgeResult", *,
                    campaigns_layout: "SheetLayout | None") -> Renderer:
    def render(wb, styles: StyleBook) -> None:
        write_bridge_sheet(wb, result, styles)
        write_chart_sheet(wb, result, styles)
        check = getattr(result, "campaign_check", None)
        if campaigns_layout is not None and check is not None and len(check) > 0:
            write_campaign_columns(wb, campaigns_layout, check, styles)
    return render


def issues_renderer(warnings: list[Problem]) -> Renderer:
    def render(wb, styles: StyleBook) -> None:
        write_issues_sheet(wb, merge_problems(warnings, []), styles)
    return render


def write_results(src: Path, dest: Path, result: "BridgeResult", *,
                  campaigns_layout: "SheetLayout | None", warnings: list[Problem],
                  backup: bool = True) -> None:
    """Write the bridge ``result`` into a copy of ``src`` saved at ``dest`` (may be ``src``)."""
    write_workbook(src, dest, [
        bridge_renderer(result, campaigns_layout=campaigns_layout),
        issues_renderer(merge_problems(warnings, getattr(result, "warnings", None) or []))],
        backup=backup)
