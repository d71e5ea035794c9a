"""Command-line pieces for many workbooks: parallel ``recalc`` and ``pysnop watch``.

``run_books`` is what ``pysnop recalc A.xlsx B.xlsx ...`` calls for several books (worker
processes by default, a Dask cluster with ``--scheduler``), with a progress bar and a summary
table. ``register(cli)`` adds the ``watch`` command to the click group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from pysnop.errors import PysnopError

if TYPE_CHECKING:  # the batch machinery (multiprocessing, rich.progress) loads when used
    from pysnop.operations.batch import BookSummary

MAX_ERRORS_SHOWN = 20

# exit codes, as in pysnop.cli.main
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def run_books(books: Sequence[Path], output: Path | None, as_of: dt.date | None,
              export_dir: Path | None, backup: bool, workers: int | None,
              scheduler: str | None, console: Console, err: Console | None = None,
              actions: bool = True) -> int:
    """Recalculate ``books`` in parallel; print progress, errors and a summary table.

    ``output`` is a directory (created if needed) or None for in place. Returns the exit
    code: 0 all written, 1 some workbook had errors or could not be written, 2 wrong usage
    (e.g. ``-o`` a file, or two books that would write the same output), 3 an internal error.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from pysnop.operations.batch import default_workers, plan_jobs, run_batch

    err = err or console
    books = [Path(b) for b in books]
    if output is not None and output.suffix.lower() in (".xlsx", ".xlsm"):
        err.print("[red]error:[/] with several books, -o must be a directory")
        return EXIT_USAGE
    if workers is not None and workers < 1:
        err.print("[red]error:[/] --workers must be 1 or more")
        return EXIT_USAGE
    try:
        jobs = plan_jobs(books, output=output, as_of=as_of, export_dir=export_dir,
                         backup=backup, actions=actions)
    except PysnopError as exc:
        err.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    if output is not None:
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            err.print(f"[red]error:[/] cannot create the output directory {output}: "
                      f"{exc.strerror or exc}")
            return EXIT_FAILED
    where = (f"on the Dask cluster at {scheduler}" if scheduler
             else f"in {workers or default_workers(len(jobs))} worker processes")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task(f"recalculating {len(jobs)} workbooks {where}",
                                 total=len(jobs))

        def done(summary: BookSummary) -> None:
            progress.advance(task)
            if not summary.ok:
                for line in summary.errors[:MAX_ERRORS_SHOWN]:
                    progress.console.print(f"[red]error:[/] {Path(summary.book).name}: {line}",
                                           markup=True, highlight=False)
                more = summary.error_count - min(len(summary.errors), MAX_ERRORS_SHOWN)
                if more > 0:
                    progress.console.print(f"[red]... and {more} more errors in "
                                           f"{Path(summary.book).name}[/]")

        try:
            summaries = run_batch(jobs, workers=workers, scheduler=scheduler, on_done=done)
        except PysnopError as exc:
            err.print(f"[red]error:[/] {exc}")
            return EXIT_FAILED
        except OSError as exc:  # e.g. the scheduler cannot be reached
            err.print(f"[red]error:[/] cannot reach the scheduler {scheduler}: {exc}")
            return EXIT_FAILED
    print_summaries(summaries, console)
    if any(s.internal for s in summaries):
        return EXIT_INTERNAL
    return EXIT_OK if all(s.ok for s in summaries) else EXIT_FAILED


def print_summaries(summaries: Sequence[BookSummary], console: Console) -> None:
    from rich.table import Table

    table = Table(title="pysnop recalc")
    for col in ("workbook", "result", "STOCKOUT", "AT RISK", "OK", "warnings", "seconds"):
        table.add_column(col, justify="right" if col not in ("workbook", "result") else "left")
    for s in summaries:
        seconds = f"{s.timings.get('total', 0):.2f}"
        if not s.ok:
            what = "internal error" if s.internal else f"{s.error_count} errors, not written"
            table.add_row(s.book, f"[red]{what}[/]", "", "", "", "", seconds)
            continue
        c = s.counts
        table.add_row(s.output or s.book, "[green]written[/]", str(c.get("STOCKOUT", 0)),
                      str(c.get("AT RISK", 0)), str(c.get("OK", 0)), str(s.warnings), seconds)
    console.print(table)
    ok = sum(1 for s in summaries if s.ok)
    console.print(f"{ok} of {len(summaries)} workbooks written")


@click.command("watch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Planning date (YYYY-MM-DD); overrides Settings as_of.")
@click.option("--debounce", type=float, default=2.0, show_default=True,
              help="Seconds a saved file must stay unchanged before it is recalculated.")
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="Seconds between looks at the files.")
@click.option("--now", "run_at_start", is_flag=True, help="Also recalculate once at start.")
@click.option("--no-backup", is_flag=True, help="Do not keep BOOK.bak when writing.")
def watch_command(paths, as_of, debounce, interval, run_at_start, no_backup):
    """Recalculate workbooks each time they are saved (Ctrl-C to stop).

    PATHS are workbooks or folders (every .xlsx/.xlsm in them). A save is recalculated
    once it has settled for --debounce seconds; while Excel has the file open (its ~$ lock
    file is beside it) the run waits until the file is closed. pysnop's own writes do not
    trigger a run.

    \b
    Example:
      pysnop watch plan.xlsx
      pysnop watch shared/plans/ --debounce 5
    """
    from pysnop.operations.watch import watch

    out = Console(highlight=False, soft_wrap=True)
    for path in paths:
        if not path.exists():
            raise click.UsageError(f"{path} does not exist")

    def show(event) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        if event.kind == "done":
            report = event.report
            counts = getattr(report, "counts", {}) or {}
            out.print(f"{stamp} [green]{event.path.name}[/]: "
                      f"{counts.get('STOCKOUT', 0)} STOCKOUT, {counts.get('AT RISK', 0)} AT RISK, "
                      f"{len(getattr(report, 'warnings', []))} warnings")
        elif event.kind == "failed":
            out.print(f"{stamp} [red]{event.path.name}: not written[/]")
            for line in str(event.message).splitlines()[:MAX_ERRORS_SHOWN]:
                out.print(f"  [red]error:[/] {line}")
        elif event.kind == "waiting":
            out.print(f"{stamp} [yellow]{event.message}[/]")
        elif event.kind == "run":
            out.print(f"{stamp} {event.message}")

    names = ", ".join(str(p) for p in paths)
    out.print(f"watching {names} (Ctrl-C to stop)")
    try:
        watch(paths, interval=interval, debounce=debounce, on_event=show,
              run_at_start=run_at_start, as_of=as_of.date() if as_of else None,
              backup=not no_backup)
    except KeyboardInterrupt:
        out.print("stopped")


def register(cli_group: click.Group) -> None:
    """Add ``pysnop watch`` to the CLI group."""
    cli_group.add_command(watch_command)


