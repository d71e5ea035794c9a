"""The "S&OP Bridge" ribbon's macros: one entry point per button, each on ``xw.Book.caller()``.

The add-in's VBA (``pysnop/addin/pysnop.bas``) calls them through xlwings' ``RunPython``::

    RunPython "import pysnop.excel.ribbon; pysnop.excel.ribbon.run_bridge()"

Each runs the same operation as the command line (:mod:`pysnop.operations.book_ops`) on the open workbook
(:class:`pysnop.workbook.book.ExcelBook`) and shows the outcome in a short message box. Every
exception is caught here: a person sees a message box, never a traceback. Each returns the
message it showed.

From Python, with Excel, on a file::

    import xlwings as xw, pysnop.excel.ribbon
    xw.Book("plan.xlsx").set_mock_caller()
    pysnop.excel.ribbon.run_bridge()
"""

from __future__ import annotations

import sys

from pysnop.operations import book_ops as ops
from pysnop.errors import PysnopError

TITLE = "pysnop"
MAX_MESSAGE = 900  # Excel's MsgBox shows at most 1024 characters

# entry point -> (operation, message box title)
BUTTONS = {
    "run_bridge": ("run_bridge", "Run bridge"),
    "refresh_campaigns": ("refresh_campaigns", "Refresh campaigns"),
    "reconcile_forecast": ("reconcile_forecast", "Reconcile forecast"),
    "propose_actions": ("propose_actions", "Propose actions"),
    "approve_selected": ("approve_selected", "Approve selected"),
    "reject_selected": ("reject_selected", "Reject selected"),
    "export_approved": ("export_approved", "Export approved"),
    "scorecard": ("scorecard", "Scorecard"),
    "check_inputs": ("check_inputs", "Check inputs"),
}


def caller():
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

        xw.apps.active.alert(message, title=f"{TITLE}: {title}", buttons="ok", mode=mode)
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


def run_operation(name: str, **options) -> str:
    """Run operation ``name`` on the calling workbook; show and return the message."""
    from pysnop.workbook.book import ExcelBook

    operation, title = BUTTONS[name]
    xl_book = None
    ok = False
    try:
        xl_book = caller()
        book = ExcelBook(xl_book)
        with _Quiet(xl_book):
            summary = ops.OPERATIONS[operation](book, **options)
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


def run_bridge() -> str:
    """Button "Run bridge": the whole recalculation (as ``pysnop recalc``)."""
    return run_operation("run_bridge")


def refresh_campaigns() -> str:
    """Button "Refresh campaigns": the supply check columns on the Campaigns sheet."""
    return run_operation("refresh_campaigns")


def reconcile_forecast() -> str:
    """Button "Reconcile forecast": the Consensus sheet."""
    return run_operation("reconcile_forecast")


def propose_actions() -> str:
    """Button "Propose actions": the Actions and Review sheets."""
    return run_operation("propose_actions")


def approve_selected() -> str:
    """Button "Approve": the selected Actions rows, by the Excel user."""
    return run_operation("approve_selected")


def reject_selected() -> str:
    """Button "Reject": the selected Actions rows, by the Excel user."""
    return run_operation("reject_selected")


def export_approved() -> str:
    """Button "Export approved": a CSV beside the workbook; rows marked Exported."""
    return run_operation("export_approved")


def scorecard() -> str:
    """Button "Scorecard": the Scorecard sheet."""
    return run_operation("scorecard")


def check_inputs() -> str:
    """Button "Check inputs": validation only, every problem listed."""
    return run_operation("check_inputs")


__all__ = ["BUTTONS", "caller", "run_operation", *BUTTONS]
