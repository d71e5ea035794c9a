"""Copy pysnop's rendered sheets into a workbook open in Excel (through xlwings).

The writing half of :class:`pysnop.excel.book.ExcelBook`: values go in bulk, then number
formats, fills and fonts by groups of cells sharing a look, then the COM-only touches
(autofilter, dropdowns, charts, table resize), each guarded so that one refused call never
stops the rest.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import openpyxl

from pysnop.workbook.ooxml.transplant import PATCH_PREFIX, scratch_bytes
from pysnop.workbook.read.grid import make_ref, parse_ref
from pysnop.workbook.render.canvas import Canvas

if TYPE_CHECKING:
    from pysnop.excel.book import ExcelBook

MAX_ADDRESS = 250  # Excel refuses range addresses longer than 255 characters


def _rgb(color) -> tuple[int, int, int] | None:
    """An openpyxl Color (ARGB hex) as an (r, g, b) tuple; None for theme/indexed/auto."""
    if color is None or getattr(color, "type", "rgb") != "rgb":
        return None
    value = color.rgb if isinstance(color.rgb, str) else None
    if not value or len(value) not in (6, 8):
        return None
    value = value[-6:]
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _style_key(cell) -> tuple:
    fill = cell.fill
    fill_rgb = _rgb(fill.fgColor) if fill is not None and fill.fill_type == "solid" else None
    font = cell.font
    font_rgb = _rgb(font.color) if font is not None else None
    border = cell.border
    bottom = border.bottom if border is not None else None
    under = (bottom.style, _rgb(bottom.color)) if bottom is not None and bottom.style else None
    wrap = bool(cell.alignment is not None and cell.alignment.wrap_text)
    fmt = cell.number_format if cell.number_format not in (None, "General") else None
    return (fmt, fill_rgb, font_rgb, bool(font and font.b), bool(font and font.i),
            float(font.sz) if font is not None and font.sz and float(font.sz) != 11 else None,
            under, wrap)


def _cell_value(cell):
    value = cell.value
    if isinstance(value, str):
        if cell.data_type == "f":
            return value  # a formula pysnop wrote
        return "'" + value  # text stays text in Excel: no formula, no 00123 -> 123
    return value


def _runs(cells: list[tuple[int, int]]) -> list[str]:
    """Cell coordinates -> compact range addresses (column runs, then merged across columns)."""
    by_col: dict[int, list[int]] = {}
    for r, c in cells:
        by_col.setdefault(c, []).append(r)
    spans: dict[tuple[int, int], list[int]] = {}  # (row1, row2) -> columns
    for c, rows in by_col.items():
        rows.sort()
        start = prev = rows[0]
        next_rows: list[int | None] = [*rows[1:], None]
        for row in next_rows:
            if row is not None and row == prev + 1:
                prev = row
                continue
            spans.setdefault((start, prev), []).append(c)
            if row is not None:
                start = prev = row
    out = []
    for (r1, r2), cols in spans.items():
        cols.sort()
        start = prev = cols[0]
        next_cols: list[int | None] = [*cols[1:], None]
        for col in next_cols:
            if col is not None and col == prev + 1:
                prev = col
                continue
            out.append(make_ref(r1, start, r2, prev) if (r1, start) != (r2, prev)
                       else make_ref(r1, start, r1, start).split(":")[0])
            if col is not None:
                start = prev = col
    return out


def _chunks(addresses: list[str]) -> Iterator[str]:
    chunk: list[str] = []
    size = 0
    for a in addresses:
        if chunk and size + len(a) + 1 > MAX_ADDRESS:
            yield ",".join(chunk)
            chunk, size = [], 0
        chunk.append(a)
        size += len(a) + 1
    if chunk:
        yield ",".join(chunk)


def _guard(action: Callable[[], Any]) -> bool:
    """Run one formatting call; Excel may refuse it (protected sheet, old version)."""
    try:
        action()
        return True
    except Exception:
        return False


def _apply_styles(sheet, cells: dict[tuple, list[tuple[int, int]]]) -> None:
    for key, coords in cells.items():
        fmt, fill, font_rgb, bold, italic, size, under, wrap = key
        for address in _chunks(_runs(coords)):
            rng = sheet.range(address)
            if fmt:
                _guard(lambda: setattr(rng, "number_format", fmt))
            if fill:
                _guard(lambda: setattr(rng, "color", fill))
            if font_rgb:
                _guard(lambda: setattr(rng.font, "color", font_rgb))
            if bold:
                _guard(lambda: setattr(rng.font, "bold", True))
            if italic:
                _guard(lambda: setattr(rng.font, "italic", True))
            if size:
                _guard(lambda: setattr(rng.font, "size", size))
            if wrap:
                _guard(lambda: setattr(rng.api, "WrapText", True))
            if under:
                def border(rng=rng, under=under):
                    edge = rng.api.Borders(9)  # xlEdgeBottom
                    edge.LineStyle = 1
                    edge.Weight = -4138 if under[0] == "medium" else 2
                    if under[1]:
                        r, g, b = under[1]
                        edge.Color = r + g * 256 + b * 65536
                _guard(border)


def _collect(ws, *, columns: set[int] | None = None, min_row: int = 1):
    """Values block and style groups of an openpyxl sheet (optionally some columns only)."""
    values: dict[tuple[int, int], Any] = {}
    styles: dict[tuple, list[tuple[int, int]]] = {}
    plain = None
    for row in ws.iter_rows(min_row=min_row):
        for cell in row:
            c = cell.column
            if columns is not None and c not in columns:
                continue
            if cell.value is not None:
                values[(cell.row, c)] = _cell_value(cell)
            if cell.has_style:
                key = _style_key(cell)
                if plain is None:
                    plain = (None, None, None, False, False, None, None, False)
                if key != plain:
                    styles.setdefault(key, []).append((cell.row, c))
    return values, styles


def _write_values(sheet, values: dict[tuple[int, int], Any], *, row1: int | None = None,
                  col_blocks: list[tuple[int, int]] | None = None) -> None:
    """Write ``values`` in bulk: one 2-D block per run of columns."""
    if not values:
        return
    r_min = row1 if row1 is not None else min(r for r, _ in values)
    r_max = max(r for r, _ in values)
    if col_blocks is None:
        cols = [c for _, c in values]
        col_blocks = [(min(cols), max(cols))]
    for c1, c2 in col_blocks:
        block = [[values.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r_min, r_max + 1)]
        if any(v is not None for row in block for v in row):
            sheet.range((r_min, c1)).value = block


def _blocks(columns: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for c in sorted(set(columns)):
        if out and c == out[-1][1] + 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def copy_into_excel(canvas: Canvas, book: ExcelBook) -> None:
    """Put the canvas's sheets and column patches into the live Excel book."""
    scratch = canvas.wb
    names = [ws.title for ws in scratch.worksheets if not ws.title.startswith(PATCH_PREFIX)]
    charts = {ws.title: list(getattr(ws, "_charts", [])) for ws in scratch.worksheets}
    validations = {ws.title: list(ws.data_validations.dataValidation)
                   for ws in scratch.worksheets}
    if canvas.properties:
        book.set_custom_properties(canvas.properties)
    if not scratch.worksheets:
        return
    # a save + load turns pysnop's fast pre-rendered rows into ordinary cells
    loaded = openpyxl.load_workbook(io.BytesIO(scratch_bytes(scratch)))
    for name in names:
        _put_sheet(book, loaded[name], charts.get(name, []), validations.get(name, []))
    by_sheet: dict[str, list] = {}
    for patch in canvas.patches:
        if patch.scratch in loaded.sheetnames:
            by_sheet.setdefault(patch.sheet.casefold(), []).append(patch)
    for patches in by_sheet.values():
        _put_patches(book, patches, loaded)


def _put_sheet(book: ExcelBook, ws, charts, validations) -> None:
    xl = book.xl
    sheet = book._sheet(ws.title)
    if sheet is None:
        sheets = list(xl.sheets)
        sheet = xl.sheets.add(ws.title, after=sheets[-1] if sheets else None)
    else:
        sheet.clear()
        _guard(lambda: [c.delete() for c in list(sheet.charts)])
        _guard(lambda: setattr(sheet.api, "AutoFilterMode", False))
    values, styles = _collect(ws)
    _write_values(sheet, values, row1=1)
    _apply_styles(sheet, styles)
    for letter, dim in ws.column_dimensions.items():
        if dim.width:
            _guard(lambda: setattr(sheet.range(f"{letter}:{letter}"), "column_width",
                                   float(dim.width)))
    if ws.freeze_panes:
        _guard(lambda: sheet.freeze_panes.freeze_at(ws.freeze_panes))
    if ws.auto_filter.ref:
        _guard(lambda: sheet.api.Range(ws.auto_filter.ref).AutoFilter())
    for dv in validations:
        _put_validation(sheet, dv)
    for chart in charts:
        _guard(lambda: _put_chart(sheet, chart))


def _put_validation(sheet, dv) -> None:
    formula = dv.formula1 or ""
    # a typed-in list ("a,b") goes as it is; a range of names as a formula
    items = formula.strip('"') if formula.startswith('"') else "=" + formula
    for ref in str(dv.sqref).split():
        def add(ref=ref):
            validation = sheet.api.Range(ref).Validation
            validation.Delete()
            validation.Add(3, 1 if dv.errorStyle in (None, "stop") else 2, 1, items)
            validation.ShowError = bool(dv.showErrorMessage)
        _guard(add)


def _put_chart(sheet, chart) -> None:
    """A line chart over the bounding box of the openpyxl chart's data on this sheet."""
    boxes = []
    for series in chart.series:
        for ref in (series.val, series.cat, series.tx):
            f = None
            for attr in ("numRef", "strRef"):
                f = getattr(getattr(ref, attr, None), "f", None) or f
            if f:
                boxes.append(parse_ref(f.split("!")[-1]))
    if not boxes:
        return
    r1, c1 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    r2, c2 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    anchor = getattr(getattr(chart.anchor, "_from", None), "row", 0) or 0
    col = getattr(getattr(chart.anchor, "_from", None), "col", 0) or 0
    xl_chart = sheet.charts.add(left=col * 48, top=anchor * 15,
                                width=(chart.width or 15) * 28, height=(chart.height or 7.5) * 28)
    xl_chart.chart_type = "line"
    xl_chart.set_source_data(sheet.range(make_ref(r1, c1, r2, c2)))


def _live_placement(book: ExcelBook, patches: list):
    """Where the patches' columns go in the live sheet (the rules of
    :mod:`pysnop.workbook.ooxml.column_patch`; pysnop's old columns are found by their
    "Supply:" headers), and the cells of pysnop's old columns to clear."""
    from pysnop.workbook.ooxml.column_patch import SUPPLY_PREFIX, norm_header, place_columns

    grid = book.grid(patches[0].sheet)
    header_row = patches[0].header_row
    headers = [h for p in patches for h in p.headers]
    wanted = {norm_header(h) for h in headers}
    previous: dict[str, int] = {}
    for j, value in enumerate(grid.rows[header_row - grid.first_row]
                              if grid.first_row <= header_row <= grid.last_row else []):
        key = norm_header(value)
        if key.startswith(SUPPLY_PREFIX) and key in wanted:
            previous.setdefault(key, grid.first_col + j)
    owned = set(previous.values())
    content: dict[int, set[int]] = {}
    for i, row in enumerate(grid.rows):
        r = grid.first_row + i
        for j, value in enumerate(row):
            c = grid.first_col + j
            if value not in (None, "") and not (c in owned and r >= header_row):
                content.setdefault(c, set()).add(r)
    used = max(content, default=0)
    last = max(header_row, grid.last_row)

    def has_content(col: int, first: int, last_row: int) -> bool:
        return any(first <= r <= last_row for r in content.get(col, ()))
    placement = place_columns(headers, header_row, max(last, header_row), previous, used,
                              has_content)
    return placement, owned, last


def _put_patches(book: ExcelBook, patches: list, loaded) -> None:
    sheet = book._sheet(patches[0].sheet)
    if sheet is None:
        return
    placement, owned, last = _live_placement(book, patches)
    header_row = patches[0].header_row
    values: dict[tuple[int, int], Any] = {}
    styles: dict[tuple, list[tuple[int, int]]] = {}
    for patch in patches:
        columns = {j: placement.columns[h] for j, h in enumerate(patch.headers, 1)}
        got, looks = _collect(loaded[patch.scratch], columns=set(columns), min_row=header_row)
        values.update({(r, columns[j]): v for (r, j), v in got.items()})
        for key, coords in looks.items():
            styles.setdefault(key, []).extend((r, columns[j]) for r, j in coords)
    placed = sorted(set(placement.columns.values()))
    for c1, c2 in _blocks(sorted(owned | set(placed))):  # pysnop's columns, old and new
        _guard(lambda: sheet.range((header_row, c1), (last, c2)).clear())
    _write_values(sheet, values, row1=header_row, col_blocks=_blocks(placed))
    _apply_styles(sheet, styles)
    source_at = patches[0].header_style_from
    header_cells = [(header_row, c) for c in placed if (header_row, c) in values]
    if source_at and header_cells:
        source = sheet.range(source_at)
        for address in _chunks(_runs(header_cells)):
            target = sheet.range(address)
            _guard(lambda: setattr(target.font, "bold", source.font.bold))
            _guard(lambda: setattr(target, "color", source.color))
    for patch in patches:
        for h, width in patch.widths.items():
            c = placement.columns[h]
            if c in owned:
                continue  # a column pysnop had already: the planner may have sized it
            letter = make_ref(1, c, 1, c).split(":")[0][:-1]
            _guard(lambda: setattr(sheet.range(f"{letter}:{letter}"), "column_width",
                                   float(width)))
    table = next((p.table for p in patches if p.table), None)
    if table:
        _guard(lambda: _extend_table(sheet, table, header_row, placed))


def _extend_table(sheet, name: str, header_row: int, columns: list[int]) -> None:
    for table in sheet.tables:
        if str(table.name).casefold() != name.casefold():
            continue
        r1, c1, r2, c2 = parse_ref(str(table.range.address).replace("$", ""))
        new_max = max(c2, max(columns))
        if r1 != header_row or any(c not in columns for c in range(c2 + 1, new_max + 1)):
            return  # other user columns in between: the table stays as it is
        if new_max > c2:
            table.resize(sheet.range(make_ref(r1, c1, r2, new_max)))
        return
