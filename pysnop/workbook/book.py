"""The small workbook interface the pipeline and the operations work on, and its file backend.

A :class:`Book` is a :class:`~pysnop.workbook.read.grid.GridSource` (``sheet_names``, ``grid``,
``tables``: what the reader needs) plus what the operations need to write and to decide:

* ``apply(renderers, post_save=None)``: draw pysnop's sheets with the usual renderers
  (see :mod:`pysnop.workbook.render.canvas`) and put them into the book: whole sheets replace
  pysnop's sheets, column patches go into the user's sheets;
* ``selected_rows(sheet)``: the 1-based rows a person selected on ``sheet``;
* ``user_name``: who is deciding; ``path``: the workbook file (``None`` if never saved);
* ``source_file()``: a context manager yielding a file that holds the book's current
  contents, for the stages that read a file themselves (proposals, decisions);
* ``save()``; ``headless``: True when nothing recalculates the book's own formulas
  (the file backend: pysnop's formula stage does it), False in live Excel.

:class:`FileBook` is a file (python-calamine to read, the part-by-part writer to write);
:class:`pysnop.excel.book.ExcelBook` is a workbook open in Excel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pysnop.errors import FileAccessError, LayoutError, PysnopError
from pysnop.workbook.ooxml.atomic import Fingerprint, changed_message, changed_since, fingerprint
from pysnop.workbook.ooxml.custom_props import read_properties
from pysnop.workbook.read import preload
from pysnop.workbook.read.grid import CalamineSource, Grid

if TYPE_CHECKING:  # the renderers and the writer (openpyxl) load when a run first writes:
    # a run's plan is forked before, and its wait is when they load (pipeline/overlap)
    from pysnop.workbook.render.canvas import Renderer
    from pysnop.workbook.writer import Draft

PostSave = Callable[[bytes], bytes]


def _os_login() -> str:
    """The account this process runs under, from the operating system itself (not from
    environment variables, which anyone can set): on Windows the token's user
    (``os.getlogin`` is GetUserNameW), elsewhere the name of the process's user id."""
    if os.name == "nt":
        return os.getlogin()
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def runner_account() -> str:
    """The OS account that runs pysnop (recorded beside every decision)."""
    try:
        return _os_login()
    except Exception:  # no account name (some containers)
        return "unknown"


def declared_user(user: str | None = None) -> str | None:
    """The deciding user a command-line run declares: ``user`` (``--user``), else
    $PYSNOP_USER; None when it declares nobody (a scheduler)."""
    for value in (user, os.environ.get("PYSNOP_USER")):
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def resolve_user(user: str | None = None) -> str:
    """Who is deciding: ``user`` (``--user``, Excel's user name), else $PYSNOP_USER, else
    the OS user."""
    if user and str(user).strip():
        return str(user).strip()
    env = os.environ.get("PYSNOP_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return "unknown"


@runtime_checkable
class Book(Protocol):
    """What the workbook operations need from a workbook (see the module doc)."""

    path: Path | None
    headless: bool

    def sheet_names(self) -> list[str]: ...

    def grid(self, sheet: str) -> Grid: ...

    def tables(self) -> list[tuple[str, str, str]]: ...

    @property
    def user_name(self) -> str: ...

    def apply(self, renderers: Sequence[Renderer], *, post_save: PostSave | None = None
              ) -> None: ...

    def selected_rows(self, sheet: str) -> list[int]: ...

    def source_file(self) -> contextlib.AbstractContextManager[Path]: ...

    def save(self) -> None: ...


# ----------------------------------------------------------------------------- file backend

class FileBook:
    """A workbook file, as the CLI uses it: read with calamine, written part by part.

    ``output``: write there instead of in place (later reads and writes then use the output).
    ``selection``: the rows the caller "selected" (``approve --rows 4,5`` on the command line).
    The file is fingerprinted when it is first read; a write refuses to replace it if it was
    changed by someone else in between.
    """

    headless = True
    backup: bool

    def __init__(self, path: str | os.PathLike[str], *,
                 output: str | os.PathLike[str] | None = None, backup: bool = True,
                 selection: Sequence[int] = (), user: str | None = None):
        self.path: Path | None = Path(path)
        self.output = Path(output) if output is not None else None
        self.backup = backup
        self.selection = [int(r) for r in selection]
        self._user = user
        self._source: CalamineSource | None = None
        self._read_as: Fingerprint | None = None

    @property
    def file(self) -> Path:
        assert self.path is not None  # a FileBook always has its file
        return self.path

    def _src(self) -> CalamineSource:
        if self._source is None:
            parsed = preload.take(self.file)  # read while pysnop was importing (CLI)
            if parsed is not None:
                self._read_as = parsed.fingerprint
                self._source = CalamineSource(self.file, parsed=parsed)
                return self._source
            try:  # what the reads see; apply() refuses to write if the file changes
                self._read_as = fingerprint(self.file)
            except OSError:
                self._read_as = None  # the reader reports a missing or locked file itself
            self._source = CalamineSource(self.file)
        return self._source

    def sheet_names(self) -> list[str]:
        return self._src().sheet_names()

    def grid(self, sheet: str) -> Grid:
        src = self._src()
        try:
            return src.grid(sheet)
        except PysnopError:
            raise
        except Exception as exc:  # calamine's XmlError, ZipError, ...
            # Sheets load lazily from the open file: a save in place since the first read
            # shows up here as a corrupt stream, and is said as what it is.
            if self._read_as is not None and changed_since(self.file, self._read_as):
                raise FileAccessError(changed_message(self.file)) from exc
            raise LayoutError(f"cannot read sheet {sheet} of {self.file.name}: {exc}",
                              sheet=sheet) from exc

    def tables(self) -> list[tuple[str, str, str]]:
        return self._src().tables()

    def error_cells(self, sheet: str):
        return self._src().error_cells(sheet)

    def unsaved_formulas(self, sheet: str) -> set[tuple[int, int]]:
        return self._src().unsaved_formulas(sheet)

    @property
    def user_name(self) -> str:
        return resolve_user(self._user)

    @property
    def declared_user(self) -> str | None:
        """The deciding user declared for this book (``user=``, $PYSNOP_USER), else None."""
        return declared_user(self._user)

    def custom_properties(self) -> dict[str, str]:
        """The workbook's custom document properties (its decision-log stamp among them)."""
        return read_properties(self.file)

    def apply(self, renderers: Sequence[Renderer], *, post_save: PostSave | None = None,
              draft: Draft | None = None, late: Renderer | None = None) -> None:
        """Write ``renderers``' sheets; on ``draft`` (:meth:`begin_write`), after the sheets
        drawn on it already; ``late``: document properties known last (Draft.finish)."""
        if draft is None:
            draft = self.begin_write()
        draft.draw(list(renderers))
        draft.finish(post_save, late)
        self.mark_written()

    def begin_write(self) -> Draft:
        """A write of this book in steps (:class:`pysnop.workbook.writer.Draft`)."""
        from pysnop.workbook.writer import Draft

        dest = self.output or self.file
        in_place = dest.resolve() == self.file.resolve()
        return Draft(self.file, dest, backup=self.backup and in_place, expect=self._read_as)

    def mark_written(self) -> None:
        """The book once written: later reads and writes use the file written (read anew)."""
        self.path, self.output, self._source, self._read_as = (self.output or self.file, None,
                                                               None, None)

    def selected_rows(self, sheet: str) -> list[int]:
        return list(self.selection)

    @contextlib.contextmanager
    def source_file(self) -> Iterator[Path]:
        yield self.file

    def save(self) -> None:  # every apply() is already an atomic save
        return None

    def __repr__(self) -> str:
        return f"FileBook({str(self.path)!r})"


def write_snapshot(book, target: Path) -> Path:
    """Save the values of every sheet of ``book`` (a GridSource) as an .xlsx at ``target``."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in book.sheet_names():
        ws = wb.create_sheet(name[:31])
        grid = book.grid(name)
        for i, row in enumerate(grid.rows):
            for j, value in enumerate(row):
                if value is None or value == "":
                    continue
                cell = ws.cell(row=grid.first_row + i, column=grid.first_col + j, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text, never a formula
                elif isinstance(value, (dt.date, dt.datetime)):
                    cell.number_format = "yyyy-mm-dd"
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    wb.save(target)
    return target


__all__ = ["Book", "FileBook", "PostSave", "declared_user", "resolve_user", "runner_account",
           "write_snapshot"]
