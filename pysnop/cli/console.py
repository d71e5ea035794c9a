"""What every ``pysnop`` command prints through: the consoles, and the guard that turns any
failure into printed lines (never a traceback) and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from pysnop.errors import Problem, PysnopError

T = TypeVar("T")

# piped output (CI logs, schedulers) gets a table width that fits dates, not rich's 80 columns
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 110)
err = Console(stderr=True, highlight=False, soft_wrap=True)
MAX_SHOWN = 15
STATUS_STYLE = {"STOCKOUT": "bold red", "AT RISK": "bold yellow", "OK": "green"}


class Failed(Exception):
    """A book failed; the reason is already printed. ``code`` is the exit code it deserves."""

    def __init__(self, code: int = 1):
        super().__init__(code)
        self.code = code


def run_guarded(ctx: click.Context, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one operation; turn every failure into printed lines, never a traceback."""
    try:
        return action(*args, **kwargs)
    except PysnopError as exc:
        print_problems(exc.problems, "error")
        raise Failed() from exc
    except Exception as exc:  # pragma: no cover - the message is tested, not the branch
        if ctx.obj.get("debug"):
            raise
        err.print(f"[red]internal error:[/] {type(exc).__name__}: {exc}. "
                  "Please report it; run with --debug for details.")
        raise Failed(3) from exc


def print_problems(problems: list[Problem], severity: str) -> None:
    style = "red" if severity == "error" else "yellow"
    for problem in problems[:MAX_SHOWN * 4 if severity == "error" else MAX_SHOWN]:
        err.print(f"[{style}]{severity}:[/] {problem}", markup=True)
    shown = MAX_SHOWN * 4 if severity == "error" else MAX_SHOWN
    if len(problems) > shown:
        where = "" if severity == "error" else " (all are on the Issues sheet)"
        err.print(f"[{style}]... and {len(problems) - shown} more {severity}s{where}[/]")


__all__ = ["MAX_SHOWN", "STATUS_STYLE", "Failed", "err", "out", "print_problems", "run_guarded"]
