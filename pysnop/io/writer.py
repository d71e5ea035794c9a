"""Writing a run's results back into the planner's workbook.

pysnop owns the sheets in :data:`OWNED_SHEETS` (rewritten every run) and the "Supply: ..."
columns of the Campaigns sheet. Everything else is the user's and is carried over untouched
by openpyxl (other sheets, formulas, styles, defined names, data validation, comments,
charts, conditional formats, hidden sheets, macros of an .xlsm). The file is saved
atomically; when writing in place one ``<name>.bak`` backup of the original is kept.
"""

from __future__ import annotations

import io
import warnings as _warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pysnop.errors import FileAccessError, Problem
from pysnop.io.atomic import atomic_write, describe_os_error
from pysnop.io.bridge_sheet import BRIDGE_SHEET, CHART_SHEET, write_bridge_sheet, write_chart_sheet
from pysnop.io.campaign_columns import write_campaign_columns
from pysnop.io.fastsheet import save_workbook, without_sheet_data
from pysnop.io.issues_sheet import ISSUES_SHEET, merge_problems, write_issues_sheet
from pysnop.io.xlcells import StyleBook

if TYPE_CHECKING:
    from pysnop.core.model import BridgeResult
    from pysnop.io.layout import SheetLayout

OWNED_SHEETS = (BRIDGE_SHEET, CHART_SHEET, ISSUES_SHEET)
MACRO_SUFFIXES = (".xlsm", ".xltm")


def _has_pillow() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def load_for_update(src: Path, rewrites=OWNED_SHEETS):
    """Open ``src`` with everything openpyxl can carry over.

    The cell data of the sheets in ``rewrites`` is dropped before parsing: they are
    rewritten from scratch, and parsing last run's 100,000-row Bridge would be wasted time.
    """
    import openpyxl

    src = Path(src)
    keep_vba = src.suffix.lower() in MACRO_SUFFIXES
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise FileAccessError(describe_os_error(exc, src, "read")) from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        raise FileAccessError(f"cannot update {src.name}: it is not an .xlsx/.xlsm workbook "
                              f"(only Office Open XML workbooks can be written)") from exc
    if any(n.startswith("xl/media/") for n in names) and not _has_pillow():
        # openpyxl silently drops pictures without Pillow; refuse rather than lose them
        raise FileAccessError(f"cannot update {src.name}: it contains pictures, which would "
                              f"be lost; install Pillow (pip install pillow) and try again")
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", UserWarning)  # "extension not supported" etc.
            data = without_sheet_data(data, rewrites)
            return openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba,
                                          keep_links=True, rich_text=True)
    except (KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise FileAccessError(f"cannot update {src.name}: the workbook could not be opened "
                              f"({exc})") from exc


Renderer = Callable[[Any, StyleBook], None]  # writes some sheets into an openpyxl workbook


def write_workbook(src: Path, dest: Path, renderers: Sequence[Renderer], *,
                   rewrites: Sequence[str] = OWNED_SHEETS, backup: bool = True) -> None:
    """Load ``src``, let each renderer write its sheets, save atomically at ``dest``.

    ``rewrites`` names the sheets the renderers rebuild from scratch (their old cells are not
    parsed). Raises :class:`FileAccessError` when ``src`` cannot be read or ``dest`` written;
    the original file is then untouched and no temporary file is left behind.
    """
    src, dest = Path(src), Path(dest)
    wb = load_for_update(src, tuple(rewrites))
    styles = StyleBook(wb)
    for render in renderers:
        render(wb, styles)
    atomic_write(dest, lambda handle: save_workbook(wb, handle), src=src, backup=backup)


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
