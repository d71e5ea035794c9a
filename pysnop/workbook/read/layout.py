"""Finding the sheets, the header row and the columns of each input table."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import numpy as np

from pysnop.errors import Problem, column_letter
from pysnop.workbook.read.cells import Col, blank_mask, date_of_value
from pysnop.workbook.read.grid import Grid, GridSource, parse_ref
from pysnop.workbook.read.schema import FORECAST, OUTPUT_PREFIX, SheetSchema, norm, sheet_name_map

HEADER_SEARCH_ROWS = 10


@dataclass
class SheetLayout:
    name: str                 # the actual sheet name in the workbook
    header_row: int           # 1-based Excel row of the header
    columns: dict[str, int]   # canonical column name -> 1-based Excel column index
    headers: dict[str, str]   # canonical name -> header text as the user typed it
    last_col: int             # 1-based index of the last non-empty header cell
    last_row: int             # 1-based last data row (header_row if no data)
    table: str | None = None  # Excel table (ListObject) name if the data is in one


@dataclass
class Block:
    """The located data of one input sheet: the layout plus raw column values."""

    layout: SheetLayout
    rows: np.ndarray                                   # Excel rows of the data (blank rows dropped)
    raw: dict[str, np.ndarray]                         # canonical -> object values
    week_cols: dict[int, dt.date] = field(default_factory=dict)  # wide forecast: col -> week
    week_headers: dict[int, str] = field(default_factory=dict)
    wide: dict[int, np.ndarray] = field(default_factory=dict)   # wide forecast: col -> values

    def col(self, name: str) -> Col | None:
        if name not in self.raw:
            return None
        lay = self.layout
        return Col(lay.name, name, lay.headers[name], self.raw[name], self.rows,
                   lay.columns[name])


def match_sheets(names: list[str]) -> tuple[dict[str, str], list[Problem]]:
    """canonical sheet name -> actual name. An exact name wins over an alias."""
    amap = sheet_name_map()
    found: dict[str, str] = {}
    exact: dict[str, bool] = {}
    for actual in names:
        canon = amap.get(norm(actual))
        if canon is None:
            continue
        is_exact = norm(actual) == norm(canon)
        if canon not in found or (is_exact and not exact[canon]):
            found[canon] = actual
            exact[canon] = is_exact
    return found, []


def _header_text(v) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return "" if v is None else str(v)


@dataclass
class _Header:
    row: int                                   # Excel row
    found: dict[str, list[tuple[int, str, bool]]]  # canon -> [(col, text, exact)]
    texts: list[str]                           # all non-empty header texts
    dates: dict[int, tuple[dt.date, str]]      # col -> (week date, text)
    last_col: int

    def chosen(self) -> dict[str, tuple[int, str]]:
        out = {}
        for canon, cands in self.found.items():
            exact = [c for c in cands if c[2]]
            pick = (exact or cands)[0]
            out[canon] = (pick[0], pick[1])
        return out


def _read_header(values: list, first_col: int, row: int, schema: SheetSchema,
                 amap: dict[str, str]) -> _Header:
    found: dict[str, list] = {}
    texts, dates = [], {}
    last = 0
    for j, v in enumerate(values):
        text = _header_text(v)
        if not text:
            continue
        c = first_col + j
        last = c
        texts.append(text)
        if schema.name == "Campaigns" and text.lower().startswith(OUTPUT_PREFIX):
            continue
        key = norm(text)
        canon = amap.get(key)
        if canon is not None:
            found.setdefault(canon, []).append((c, text, key == norm(canon)))
            continue
        if schema is FORECAST and not isinstance(v, bool):
            d, _ = date_of_value(v)
            if d is not None:
                dates[c] = (d, text)
    for alias, other in schema.second_meaning.items():
        # e.g. Inventory's "DC" beside "Store": the store is the location, "DC" its supplier
        cands = found.get(amap.get(alias, ""), [])
        moved = [c for c in cands if norm(c[1]) == alias]
        if other not in found and moved and len(moved) < len(cands):
            found[amap[alias]] = [c for c in cands if norm(c[1]) != alias]
            found[other] = [(c, t, False) for c, t, _ in moved]
    return _Header(row, found, texts, dates, last)


def missing_columns(schema: SheetSchema, h: _Header) -> list[str]:
    have = set(h.found)
    if schema is FORECAST:
        miss = []
        if "category" not in have:
            miss += [c for c in ("sku", "location") if c not in have]
        if not h.dates:
            miss += [c for c in ("week", "units") if c not in have]
        elif "week" in have and "units" in have:
            pass
        return miss
    return [c for c in schema.required if c not in have]


def locate(grid: Grid, schema: SheetSchema, problems: list[Problem],
           table: tuple[str, str] | None = None) -> Block | None:
    """Find the header row and extract the columns. None (and problems) if it cannot."""
    sheet = grid.sheet
    amap = schema.alias_map()
    rows = grid.rows
    lo_r, hi_r, lo_c, hi_c = 0, len(rows), 0, None
    tname = None
    if table is not None:
        tname, ref = table
        r1, c1, r2, c2 = parse_ref(ref)
        lo_r, hi_r = r1 - grid.first_row, r2 - grid.first_row + 1
        lo_c, hi_c = c1 - grid.first_col, c2 - grid.first_col + 1
        candidates = [lo_r] if 0 <= lo_r < len(rows) else []
    else:
        candidates = []
        for i, r in enumerate(rows):
            if any(_header_text(v) for v in r):
                candidates.append(i)
                if len(candidates) >= HEADER_SEARCH_ROWS:
                    break
    if not candidates:
        if not schema.optional_sheet:
            problems.append(Problem(
                f"the sheet is empty; expected a header row with {_listing(schema.required)}",
                sheet, kind="layout"))
        return None
    best: _Header | None = None
    best_missing: list[str] = []
    for i in candidates:
        vals = rows[i][lo_c:hi_c]
        h = _read_header(vals, grid.first_col + lo_c, grid.first_row + i, schema, amap)
        miss = missing_columns(schema, h)
        if not miss:
            best, best_missing = h, []
            break
        if best is None or len(h.found) > len(best.found):
            best, best_missing = h, miss
    assert best is not None
    if best_missing:
        if not best.found:
            problems.append(Problem(
                f"no header row found in the first {HEADER_SEARCH_ROWS} rows; expected "
                f"columns {_listing(schema.required)}", sheet, kind="layout"))
        else:
            shown = ", ".join(f'"{t}"' for t in best.texts[:30])
            for m in best_missing:
                problems.append(Problem(
                    f'missing required column "{m}" (headers found: {shown})', sheet,
                    best.row, kind="layout"))
        return None
    # duplicates that resolve to the same name
    ok = True
    for canon, cands in best.found.items():
        exact = [c for c in cands if c[2]]
        clash = exact if len(exact) > 1 else (cands if not exact and len(cands) > 1 else [])
        if clash:
            cells = " and ".join(f'{column_letter(c)}{best.row} "{t}"' for c, t, _ in clash)
            p = Problem(f'two columns mean "{canon}": {cells}; rename or delete one', sheet,
                        best.row, kind="layout")
            if canon in schema.required:
                problems.append(p)
                ok = False
            else:
                problems.append(p.as_warning())
    if not ok:
        return None
    chosen = best.chosen()
    hi = best.row - grid.first_row
    grid_cells = _cells_2d(rows[hi + 1:hi_r])
    n = len(grid_cells)
    excel_rows = np.arange(best.row + 1, best.row + 1 + n)
    raw: dict[str, np.ndarray] = {}
    for canon, (c, _text) in chosen.items():
        raw[canon] = _column(grid_cells, c - grid.first_col)
    wide: dict[int, np.ndarray] = {}
    if schema is FORECAST and "units" not in chosen:
        for c in best.dates:
            wide[c] = _column(grid_cells, c - grid.first_col)
    # drop rows blank in every column we read
    keep = _any_filled(list(raw.values()) + list(wide.values()), n)
    if n and not keep.all():
        raw = {k: v[keep] for k, v in raw.items()}
        wide = {k: v[keep] for k, v in wide.items()}
        excel_rows = excel_rows[keep]
    layout = SheetLayout(
        name=sheet, header_row=best.row,
        columns={k: c for k, (c, _) in chosen.items()},
        headers={k: t for k, (_, t) in chosen.items()},
        last_col=best.last_col,
        last_row=int(excel_rows[-1]) if len(excel_rows) else best.row,
        table=tname)
    block = Block(layout, excel_rows, raw)
    if wide:
        block.wide = wide
        block.week_cols = {c: d for c, (d, _) in best.dates.items()}
        block.week_headers = {c: t for c, (_, t) in best.dates.items()}
    return block


def _cells_2d(data: list[list]) -> np.ndarray:
    """The data rows as one 2-D object array, short rows padded with blanks ("").

    Built by one pass over the cells in C (``np.fromiter``), not a list per column; a cell
    is stored as it is, whatever it holds."""
    n = len(data)
    lens = np.fromiter(map(len, data), dtype=np.int64, count=n)
    width = int(lens.max()) if n else 0
    if n and (lens != width).any():
        data = [r if len(r) == width else list(r) + [""] * (width - len(r)) for r in data]
    flat = np.fromiter(itertools.chain.from_iterable(data), dtype=object, count=n * width)
    return flat.reshape(n, width)


def _column(cells: np.ndarray, j: int) -> np.ndarray:
    n, width = cells.shape
    if 0 <= j < width:
        return cells[:, j].copy()
    return np.full(n, "", dtype=object)


def _any_filled(columns: list[np.ndarray], n: int) -> np.ndarray:
    """True for the rows not blank in every one of ``columns``. Each column is checked only
    on the rows all columns before it left blank: a table's first columns are mostly filled,
    so the rest cost next to nothing."""
    keep = np.zeros(n, dtype=bool)
    open_rows = np.arange(n)
    for arr in columns:
        if not len(open_rows):
            break
        blank = blank_mask(arr if len(open_rows) == n else arr[open_rows])
        keep[open_rows[~blank]] = True
        open_rows = open_rows[blank]
    return keep


def _listing(names) -> str:
    return ", ".join(names)


def find_table(source: GridSource, tables: list[tuple[str, str, str]], sheet: str,
               schema: SheetSchema) -> tuple[str, str] | None:
    """The table on ``sheet`` whose header holds the sheet's columns (or the only one)."""
    on_sheet = [(n, ref) for n, s, ref in tables if s == sheet]
    if not on_sheet:
        return None
    if len(on_sheet) == 1:
        return on_sheet[0]
    for n, ref in on_sheet:
        if norm(n) in (norm(schema.name), *map(norm, schema.sheet_aliases)):
            return (n, ref)
    return on_sheet[0]
