"""A fake of the xlwings Book / Sheet / Range / App API, for the calls ExcelBook and the
ribbon make — so the live-Excel backend is tested without Excel.

It behaves like Excel where that matters to pysnop:

* values come back as Excel gives them: numbers as float, dates as datetime, blank as None;
* assigning a string converts it as Excel does when you type it: ``"00123"`` becomes the
  number 123, ``"=A1"`` a formula, ``"TRUE"`` a bool — unless it starts with an apostrophe
  (text prefix), which is dropped and keeps the text as typed;
* ``range.options(ndim=2).value`` is always a list of rows; ``used_range`` is the bounding
  box of the non-empty cells (A1 when the sheet is empty);
* formatting (``number_format``, ``color``, ``font.color/bold/italic/size``,
  ``column_width``) is stored per cell; ``.api`` records every COM call made through it
  (``Borders``, ``AutoFilter``, ``Validation``...) in ``book.api_calls``;
* ``app.alert`` records the message boxes in ``app.alerts``.

Only the calls pysnop makes are implemented; anything else raises AttributeError, like a
method xlwings does not have.
"""

from __future__ import annotations

import datetime as dt
import re

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")
_COLS = re.compile(r"^\$?([A-Za-z]{1,3}):\$?([A-Za-z]{1,3})$")
_ROWS = re.compile(r"^\$?(\d+):\$?(\d+)$")
MAX_ROW = 1048576


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letter(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def parse_area(text: str) -> tuple[int, int, int, int]:
    text = text.strip()
    m = _REF.match(text)
    if m:
        c1, r1 = col_index(m.group(1)), int(m.group(2))
        c2, r2 = (col_index(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
        return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
    m = _COLS.match(text)
    if m:
        a, b = col_index(m.group(1)), col_index(m.group(2))
        return 1, min(a, b), MAX_ROW, max(a, b)
    m = _ROWS.match(text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        return min(a, b), 1, max(a, b), 16384
    raise ValueError(f"fake xlwings: not an address: {text!r}")


def excel_input(value):
    """What Excel stores when ``value`` is assigned to Range.value."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        if value.startswith("="):
            return Formula(value)
        text = value.strip()
        if text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        try:
            return float(text.replace(",", "")) if text else value
        except ValueError:
            return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


class Formula(str):
    """A formula typed into a cell (the fake does not calculate)."""


class Recorder:
    """Stands for ``.api`` (the COM object): records every attribute set and call."""

    def __init__(self, log: list, path: str):
        object.__setattr__(self, "_log", log)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        return Recorder(self._log, f"{self._path}.{name}")

    def __setattr__(self, name, value):
        self._values[name] = value
        self._log.append(("set", f"{self._path}.{name}", value))

    def __call__(self, *args, **kwargs):
        self._log.append(("call", self._path, args))
        return Recorder(self._log, f"{self._path}({', '.join(map(repr, args))})")


class Font:
    def __init__(self, rng: Range):
        object.__setattr__(self, "_rng", rng)

    def __getattr__(self, name):
        if name not in ("color", "bold", "italic", "size"):
            raise AttributeError(name)
        return self._rng._first_fmt().get("font_" + name)

    def __setattr__(self, name, value):
        if name not in ("color", "bold", "italic", "size"):
            raise AttributeError(f"fake xlwings Font has no {name}")
        self._rng._set_fmt("font_" + name, value)


class Range:
    def __init__(self, sheet: Sheet, areas: list[tuple[int, int, int, int]], ndim=None):
        self.sheet = sheet
        self.areas = areas
        self._ndim = ndim

    # -- geometry
    @property
    def row(self) -> int:
        return self.areas[0][0]

    @property
    def column(self) -> int:
        return self.areas[0][1]

    @property
    def shape(self) -> tuple[int, int]:
        r1, c1, r2, c2 = self.areas[0]
        return r2 - r1 + 1, c2 - c1 + 1

    @property
    def address(self) -> str:
        parts = []
        for r1, c1, r2, c2 in self.areas:
            a = f"${col_letter(c1)}${r1}"
            parts.append(a if (r1, c1) == (r2, c2) else f"{a}:${col_letter(c2)}${r2}")
        return ",".join(parts)

    @property
    def last_cell(self) -> Range:
        r1, c1, r2, c2 = self.areas[0]
        return Range(self.sheet, [(r2, c2, r2, c2)])

    def cells_iter(self):
        for r1, c1, r2, c2 in self.areas:
            r2 = min(r2, max(self.sheet.max_row(), r1))
            c2 = min(c2, max(self.sheet.max_col(), c1))
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    yield r, c

    def options(self, convert=None, **options) -> Range:
        return Range(self.sheet, self.areas, ndim=options.get("ndim"))

    # -- values
    @property
    def value(self):
        r1, c1, r2, c2 = self.areas[0]
        rows = [[self.sheet.cells.get((r, c)) for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)]
        if self._ndim == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        if len(rows) == 1:
            return rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data):
        r0, c0 = self.areas[0][0], self.areas[0][1]
        self.sheet.book.writes += 1
        if not isinstance(data, (list, tuple)):
            data = [[data]]
        elif data and not isinstance(data[0], (list, tuple)):
            data = [list(data)]
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                stored = excel_input(v)
                key = (r0 + i, c0 + j)
                if stored is None or stored == "":
                    self.sheet.cells.pop(key, None)
                else:
                    self.sheet.cells[key] = stored

    def clear_contents(self):
        for key in list(self.cells_iter()):
            self.sheet.cells.pop(key, None)

    def clear(self):
        self.clear_contents()
        for key in list(self.cells_iter()):
            self.sheet.formats.pop(key, None)

    # -- formats
    def _first_fmt(self) -> dict:
        r1, c1, _, _ = self.areas[0]
        return self.sheet.formats.get((r1, c1), {})

    def _set_fmt(self, name, value):
        for r1, c1, r2, c2 in self.areas:
            if r2 - r1 > 100000 or c2 - c1 > 1000:  # whole columns: keep as column format
                for c in range(c1, c2 + 1):
                    self.sheet.column_formats.setdefault(c, {})[name] = value
                continue
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    self.sheet.formats.setdefault((r, c), {})[name] = value

    number_format = property(lambda self: self._first_fmt().get("number_format", "General"),
                             lambda self, v: self._set_fmt("number_format", v))
    color = property(lambda self: self._first_fmt().get("color"),
                     lambda self, v: self._set_fmt("color", tuple(v) if v else None))
    column_width = property(lambda self: self.sheet.column_formats.get(
        self.areas[0][1], {}).get("column_width"),
        lambda self, v: self._set_fmt("column_width", v))

    @property
    def font(self) -> Font:
        return Font(self)

    @property
    def api(self) -> Recorder:
        return Recorder(self.sheet.book.api_calls, f"{self.sheet.name}!{self.address}")


class FreezePanes:
    def __init__(self, sheet):
        self.sheet = sheet

    def freeze_at(self, ref):
        self.sheet.frozen_at = ref if isinstance(ref, str) else ref.address

    def unfreeze(self):
        self.sheet.frozen_at = None


class Table:
    def __init__(self, sheet, name, ref):
        self.sheet, self.name = sheet, name
        self.range = sheet.range(ref)

    def resize(self, rng: Range):
        self.range = rng


class Chart:
    def __init__(self, charts, left, top, width, height):
        self._charts = charts
        self.left, self.top, self.width, self.height = left, top, width, height
        self.chart_type = "xlColumnClustered"
        self.source = None

    def set_source_data(self, rng: Range):
        self.source = rng.address

    def delete(self):
        self._charts.items.remove(self)


class Charts:
    def __init__(self):
        self.items: list[Chart] = []

    def add(self, left=0, top=0, width=355, height=211):
        chart = Chart(self, left, top, width, height)
        self.items.append(chart)
        return chart

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self):
        return len(self.items)


class Sheet:
    def __init__(self, book: Book, name: str):
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], object] = {}
        self.formats: dict[tuple[int, int], dict] = {}
        self.column_formats: dict[int, dict] = {}
        self.tables: list[Table] = []
        self.charts = Charts()
        self.frozen_at = None
        self.freeze_panes = FreezePanes(self)

    def max_row(self) -> int:
        return max((r for r, _ in self.cells), default=1)

    def max_col(self) -> int:
        return max((c for _, c in self.cells), default=1)

    def range(self, first, last=None) -> Range:
        if isinstance(first, Range):
            first = (first.row, first.column)
        if isinstance(first, tuple):
            r1, c1 = first
            if last is None:
                return Range(self, [(r1, c1, r1, c1)])
            if isinstance(last, Range):
                last = (last.row, last.column)
            r2, c2 = last
            return Range(self, [(min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))])
        if last is not None:
            a, b = parse_area(first), parse_area(last)
            return Range(self, [(min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]),
                                 max(a[3], b[3]))])
        return Range(self, [parse_area(part) for part in str(first).split(",")])

    def __getitem__(self, ref) -> Range:
        return self.range(ref)

    @property
    def used_range(self) -> Range:
        if not self.cells:
            return Range(self, [(1, 1, 1, 1)])
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        return Range(self, [(min(rows), min(cols), max(rows), max(cols))])

    def clear(self):
        self.cells.clear()
        self.formats.clear()
        self.column_formats.clear()
        self.frozen_at = None

    def clear_contents(self):
        self.cells.clear()

    def activate(self):
        self.book.active_sheet = self

    @property
    def api(self) -> Recorder:
        return Recorder(self.book.api_calls, self.name)

    # test helpers ---------------------------------------------------------------------
    def values(self) -> dict[tuple[int, int], object]:
        return dict(self.cells)

    def add_table(self, name: str, ref: str) -> Table:
        table = Table(self, name, ref)
        self.tables.append(table)
        return table


class Sheets:
    def __init__(self, book):
        self.book = book
        self.items: list[Sheet] = []

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, key) -> Sheet:
        if isinstance(key, int):
            return self.items[key]
        for s in self.items:
            if s.name.casefold() == str(key).casefold():
                return s
        raise KeyError(key)

    def add(self, name=None, before=None, after=None) -> Sheet:
        name = name or f"Sheet{len(self.items) + 1}"
        if any(s.name.casefold() == name.casefold() for s in self.items):
            raise ValueError(f"a sheet named {name} already exists")
        sheet = Sheet(self.book, name)
        if after is not None:
            self.items.insert(self.items.index(after) + 1, sheet)
        elif before is not None:
            self.items.insert(self.items.index(before), sheet)
        else:
            self.items.insert(0, sheet)  # Excel adds before the active sheet
        return sheet

    @property
    def active(self) -> Sheet:
        return self.book.active_sheet or self.items[0]


class App:
    def __init__(self, user_name: str = "ann"):
        self.alerts: list[dict] = []
        self.screen_updating = True
        self.api_calls: list = []
        self.api = Recorder(self.api_calls, "Application")
        self.api.UserName = user_name

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"


class DocumentProperty:
    def __init__(self, name, value):
        self.Name, self.Value = name, value


class DocumentProperties:
    """``Workbook.CustomDocumentProperties``: Count, Item(index or name), Add (as in COM,
    Item of an unknown name raises)."""

    def __init__(self):
        self.items: list[DocumentProperty] = []

    @property
    def Count(self):
        return len(self.items)

    def Item(self, key):
        if isinstance(key, int):
            return self.items[key - 1]
        for prop in self.items:
            if prop.Name == key:
                return prop
        raise KeyError(key)

    def Add(self, name, link_to_content, kind, value):
        prop = DocumentProperty(name, value)
        self.items.append(prop)
        return prop


class Book:
    """An open workbook: ``Book(fullname, app)``; fill it with :func:`load_file`."""

    def __init__(self, fullname: str, app: App | None = None):
        self.fullname = str(fullname)
        self.name = re.split(r"[\\/]", self.fullname)[-1]
        self.app = app or App()
        self.sheets = Sheets(self)
        self.api_calls: list = []
        self.active_sheet: Sheet | None = None
        self._selection: Range | None = None
        self.saves = 0
        self.writes = 0
        self.properties = DocumentProperties()

    @property
    def selection(self) -> Range | None:
        return self._selection

    def select(self, sheet: str, address: str) -> Range:
        """Test helper: what a person selects (``"A5:C6,A9"``)."""
        self._selection = self.sheets[sheet].range(address)
        return self._selection

    def save(self, path=None):
        self.saves += 1

    @property
    def api(self) -> Recorder:
        api = Recorder(self.api_calls, "Workbook")
        object.__getattribute__(api, "_values")["CustomDocumentProperties"] = self.properties
        return api


def load_file(path, fullname=None, app: App | None = None) -> Book:
    """A fake open workbook holding the values of the workbook file ``path`` (calamine),
    with its Excel tables."""
    import python_calamine as pc

    book = Book(fullname or str(path), app)
    from pysnop.workbook.ooxml.custom_props import read_properties

    for name, value in read_properties(path).items():  # as Excel opens them
        book.properties.Add(name, False, 4, value)
    wb = pc.CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        sheet = book.sheets.add(name, after=book.sheets.items[-1] if book.sheets.items else None)
        ws = wb.get_sheet_by_name(name)
        if ws.start is None:
            continue
        r0, c0 = ws.start
        for i, row in enumerate(ws.to_python(skip_empty_area=True)):
            for j, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, str):
                    v = "'" + v  # as the person typed it: text stays text
                sheet.range((r0 + i + 1, c0 + j + 1)).value = v
    try:
        tb = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
        names = tb.table_names
        for tname in (names() if callable(names) else names):
            t = tb.get_table_by_name(tname)
            (r0, c0), (r1, c1) = t.start, t.end
            book.sheets[t.sheet].add_table(
                t.name, f"{col_letter(c0 + 1)}{r0}:{col_letter(c1 + 1)}{r1 + 1}")
    except Exception:
        pass
    book.writes = 0
    return book
