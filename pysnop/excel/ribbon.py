"""The "S&OP Bridge" ribbon: one entry point, :func:`press`, for every button.

Every button of the add-in (:data:`pysnop.catalog.BUTTONS`) calls the one VBA callback of
``pysnop/addin/pysnop.bas``, which runs, through xlwings' ``RunPython``::

    import pysnop.excel.ribbon; pysnop.excel.ribbon.press("<the button's Tag>")

:func:`press` runs the operation of that name (:data:`pysnop.operations.book_ops.OPERATIONS`)
on the workbook the button was pressed in (:class:`pysnop.excel.book.ExcelBook` over
``xw.Book.caller()``) and shows the outcome in a short message box. Every exception is
caught here: a person sees a message box, never a traceback. It returns the message shown.

From Python, with Excel, on a file::

    import xlwings as xw, pysnop.excel.ribbon
    xw.Book("plan.xlsx").set_mock_caller()
    pysnop.excel.ribbon.press("recalculate")
"""

from __future__ import annotations

import sys
from typing import Any

from pysnop.catalog import BUTTONS, button
from pysnop.errors import PysnopError
from pysnop.excel.book import ExcelBook
from pysnop.operations import book_ops as ops

TITLE = "pysnop"
MAX_MESSAGE = 900  # Excel's MsgBox shows at most 1024 characters
# xlwings (the ``excel`` extra) is imported where it is used: this module loads without it


def caller() -> Any:
    """The workbook the button was pressed in (xlwings' mock caller when run from Python)."""
    import xlwings as xw

    return xw.Book.caller()


def _alert(xl_book, message: str, title: str, ok: bool) -> None:
    """A message box in the book's Excel; else the active Excel; else stderr. Never raises."""
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 4] + " ..."
    mode = "info" if ok else "critical"
    apps = []
    if xl_book is not None:
        try:
            apps.append(xl_book.app)
        except Exception:
            pass
    for app in apps:
        try:
            app.alert(message, title=f"{TITLE}: {title}", buttons="ok", mode=mode)
            return
        except Exception:
            continue
    try:
        import xlwings as xw

        active = xw.apps.active
        if active is not None:
            active.alert(message, title=f"{TITLE}: {title}", buttons="ok", mode=mode)
            return
    except Exception:
        pass
    try:
        print(f"{TITLE}: {title}: {message}", file=sys.stderr)
    except Exception:
        pass


class _Quiet:
    """Screen updating off while pysnop writes (guarded: a mock or old Excel may refuse)."""

    def __init__(self, xl_book):
        self.app = None
        try:
            self.app = xl_book.app
            self.before = self.app.screen_updating
            self.app.screen_updating = False
        except Exception:
            self.app = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.app is not None:
            try:
                self.app.screen_updating = self.before
            except Exception:
                pass
        return False


def press(tag: str, **options: Any) -> str:
    """Run the operation of button ``tag`` on the calling workbook; show and return the
    message."""
    xl_book = None
    ok = False
    title = tag
    try:
        title = button(tag).box_title
        xl_book = caller()
        book = ExcelBook(xl_book)
        with _Quiet(xl_book):
            summary = ops.OPERATIONS[tag](book, **options)
        message, ok = str(summary), bool(getattr(summary, "ok", True))
    except PysnopError as exc:
        problems = getattr(exc, "problems", None) or []
        if len(problems) > 1:
            listed = "\n".join(f"- {p}" for p in problems[:12])
            more = f"\n... and {len(problems) - 12} more" if len(problems) > 12 else ""
            message = (f"{len(problems)} problems; nothing was written.\n{listed}{more}\n\n"
                       "Press Check inputs to see them again after fixing.")
        else:
            message = f"{exc}"
            message = message[:1].upper() + message[1:]
    except Exception as exc:  # never a traceback in front of a planner
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        message = (f"pysnop could not finish ({type(exc).__name__}{': ' + first if first else ''})."
                   " Nothing else was changed. Please report this message.")
    _alert(xl_book, message, title, ok)
    return message


TAGS = tuple(b.tag for b in BUTTONS)

__all__ = ["TAGS", "caller", "press"]
