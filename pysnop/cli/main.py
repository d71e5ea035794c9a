"""`pysnop` on the command line: a thin client of :mod:`pysnop.pipeline.run` and
:mod:`pysnop.operations`.

Exit codes: 0 done (warnings allowed), 1 a workbook had errors or could not be written,
2 wrong usage, 3 an internal error (reported in one line; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# numpy's OpenBLAS starts a thread per core when it loads, and they spin on the core the
# run's second process (the log check, the plan, the write) works on: a fresh `pysnop recalc`
# spent about 0.1 s of CPU on them, and pysnop's arrays never need a threaded BLAS. Before
# numpy loads; a value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click

from pysnop import __version__
from pysnop.cli import actions as cli_actions
from pysnop.cli import addin as cli_addin
from pysnop.cli import batch as cli_batch
from pysnop.cli.console import STATUS_STYLE, Failed, err, out, print_problems, run_guarded

if TYPE_CHECKING:  # the pipeline (pandas, openpyxl) loads when a command runs, not for --help
    from pysnop.pipeline.run import RunReport


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pysnop")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """pysnop, the Marketing-to-Inventory Bridge: promo-aware stockout risk in your workbook.

    \b
    Examples:
      pysnop demo                          build the demo workbook here and run it
      pysnop check plan.xlsx               validate only; list every problem at once
      pysnop recalc plan.xlsx              write Bridge, Issues and Campaigns supply check
      pysnop recalc plan.xlsx -o out.xlsx  leave plan.xlsx untouched
      pysnop recalc *.xlsx --export csv/   several books, bridge.csv for each
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("books", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here instead of in place (a directory when several books are given).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Planning date (YYYY-MM-DD); overrides Settings as_of. Default: Settings, "
                   "else today.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write bridge.csv (long form) into this directory.")
@click.option("--no-backup", is_flag=True, help="Do not keep BOOK.bak when writing in place.")
@click.option("--user", help="Who is deciding (approvals typed in the Actions sheet are checked "
                             "against Approvers for this person). Default: $PYSNOP_USER, else the "
                             "OS user.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Decision log (SQLite). Default: BOOK.pysnop.sqlite beside the workbook.")
@click.option("--no-actions", is_flag=True,
              help="Refresh the bridge only: leave the Actions sheet and the decision log as "
                   "they are.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes for several books (default: one per CPU core, at most "
                   "one per book).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run the books on this Dask distributed scheduler (tcp://host:8786); its "
                   "workers must see the same paths and have pysnop installed.")
@click.pass_context
def recalc(ctx, books, output, as_of, export_dir, no_backup, user, log_path, no_actions,
           workers, scheduler):
    """Recalculate BOOKS: read, validate, project, write results back.

    In place by default: the file is replaced atomically and the previous version is kept
    as BOOK.bak. A workbook with errors is not written at all; every error is listed with
    its sheet!cell. Warnings are printed and written to the Issues sheet.

    \b
    Examples:
      pysnop recalc plan.xlsx
      pysnop recalc plan.xlsx --as-of 2026-11-23 -o plan-next-week.xlsx
      pysnop recalc east.xlsx west.xlsx -o results/ --export results/csv
    """
    as_of_date = as_of.date() if as_of else None
    if len(books) == 1 and scheduler is None:
        from pysnop.forking import pause_for_fork
        from pysnop.store import preverify
        from pysnop.workbook.read import preload

        # while pandas & co. import: a child process checks the decision log's chain (a
        # fork, so before any thread starts) and calamine parses the book on a thread
        preverify.start(preverify.expected_path(books[0], output=output, log=log_path))
        preload.start(books[0])
        try:
            with err.status(f"{books[0].name}: starting") as status, \
                    pause_for_fork(status.stop, status.start):  # its thread, for a fork
                step = lambda name: status.update(f"{books[0].name}: {name}")
                report = run_guarded(ctx, _api().recalc, books[0], output=output,
                                      as_of=as_of_date, export_dir=export_dir,
                                      backup=not no_backup, user=user, log=log_path,
                                      actions=not no_actions, progress=step)
        except Failed as failure:
            err.print(f"[red]{books[0]}: not written.[/]")
            ctx.exit(failure.code)
        _print_report(report)
        return
    if log_path is not None:
        raise click.UsageError("--log names one workbook's decision log; give it one book at "
                               "a time (or set decision_log in each workbook's Settings)")
    if user:
        os.environ["PYSNOP_USER"] = user  # worker processes inherit the deciding user
    ctx.exit(cli_batch.run_books(books, output, as_of_date, export_dir, not no_backup, workers,
                       scheduler, out, err, actions=not no_actions))


@cli.command()
@click.argument("books", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Planning date (YYYY-MM-DD); overrides Settings as_of.")
@click.pass_context
def check(ctx, books, as_of):
    """Validate BOOKS without writing anything; list every problem with its cell.

    \b
    Example:
      pysnop check plan.xlsx
    """
    failed = 0
    for book in books:
        try:
            report = run_guarded(ctx, _api().check, book, as_of=as_of.date() if as_of else None)
        except Failed as failure:
            err.print(f"[red]{book}: has errors.[/]")
            failed = max(failed, failure.code)
            continue
        print_problems(report.warnings, "warning")
        counts = report.counts
        out.print(f"{book}: valid; {len(report.result.summary)} sku-locations, "
                  f"{counts['STOCKOUT']} stockout, {counts['AT RISK']} at risk, "
                  f"{len(report.warnings)} warnings")
    if failed:
        ctx.exit(failed)


@cli.command()
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write bridge.csv into this directory.")
@click.pass_context
def demo(ctx, directory, export_dir):
    """Build the demo workbook (pysnop-demo.xlsx) in DIRECTORY and recalculate it.

    The demo is a holiday season for a few dozen SKUs at five stores and a DC, planned
    as of 2026-11-18. Open it afterwards and look at the Bridge sheet.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        from pysnop.demo import build_demo  # only this command builds one

        path = build_demo(directory / "pysnop-demo.xlsx")
    except OSError as exc:
        err.print(f"[red]error:[/] cannot write the demo into {directory}: {exc.strerror or exc}")
        ctx.exit(1)
    try:
        report = run_guarded(ctx, _api().recalc, path, export_dir=export_dir, backup=False)
    except Failed as failure:
        ctx.exit(failure.code)
    _print_report(report)
    out.print(f"Open [bold]{path}[/] and look at the Bridge sheet.")


def _api():
    """pysnop.pipeline.run, imported when a command runs (``pysnop --help`` stays instant)."""
    import gc

    from pysnop.pipeline import run

    # a run makes millions of small objects and few reference cycles: the collector's
    # passes over them (and over every object the imports made, frozen here) cost 2-4 % of
    # a run's CPU at the default thresholds, for nothing freed
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    return run


GC_THRESHOLD = 50_000  # allocations between young-generation collections (Python: 700)


def _print_report(report: RunReport) -> None:
    from pysnop.workbook.render.bridge import shows_network

    print_problems(report.warnings, "warning")
    summary = report.result.summary
    at_risk = summary[summary["status"] != "OK"].head(10)
    if len(at_risk):
        from rich.table import Table

        table = Table(title=f"Most at risk (as of {report.result.as_of:%Y-%m-%d})")
        chain = shows_network(report.result)  # a DC's rows and who feeds whom
        # two more columns: shorter headers keep the table within a log's width
        names = ["sku", "location", "fed by", "status", "cause", "first risk", "lost",
                 "margin", "act by"] if chain else \
            ["sku", "location", "status", "first risk", "lost units", "margin at risk", "act by"]
        for col in names:
            table.add_column(col, no_wrap=col != "cause",
                             justify="right" if col.startswith(("lost", "margin")) else "left")
        for row in at_risk.itertuples(index=False):
            act_by = _date(row.act_by) + (" (too late)" if row.too_late else "")
            where = [str(row.sku), str(row.location)]
            if chain:  # a DC row says so; a fed row names its DC; "direct" for DSD
                where.append("(DC)" if row.role == "dc" else _text(row.supplied_by))
            status = [f"[{STATUS_STYLE[row.status]}]{row.status}[/]"]
            if chain:
                status.append(_text(row.risk_cause))
            table.add_row(*where, *status,
                          _date(row.first_risk_week), f"{row.lost_units:,.0f}",
                          "" if row.margin_at_risk != row.margin_at_risk
                          else f"{row.margin_at_risk:,.2f}", act_by)
        out.print(table)
    counts = report.counts
    out.print(f"{report.output}: {len(summary)} sku-locations - "
              f"[bold red]{counts['STOCKOUT']} STOCKOUT[/], "
              f"[bold yellow]{counts['AT RISK']} AT RISK[/], {counts['OK']} OK; "
              f"{len(report.warnings)} warnings ({report.timings.get('total', 0):.2f} s)")
    actions = report.actions.rows if report.actions is not None else None
    if actions is not None and len(actions) and "status" in actions:
        by_status = actions["status"].value_counts()
        parts = [f"{int(by_status[k])} {k.lower()}" for k in
                 ("Proposed", "Approved", "Rejected", "Exported", "Obsolete") if k in by_status]
        owners = actions.loc[actions["status"] == "Proposed", "owner"].value_counts() \
            if "owner" in actions else {}
        routed = ", ".join(f"{n} to {o}" for o, n in owners.items())
        out.print(f"Actions sheet: {', '.join(parts)}" + (f" ({routed})" if routed else ""))
    for path in report.exported:
        out.print(f"exported {path}")


def _text(value) -> str:
    return "" if value is None or value != value else str(value)


def _date(value) -> str:
    return "" if value is None or value != value else f"{value:%Y-%m-%d}"


cli_batch.register(cli)  # pysnop watch
cli_actions.register(cli)  # pysnop log, export, simulate, review, decide
cli_addin.register(cli)  # pysnop addin build | install | uninstall


def main() -> None:
    try:
        cli(obj={})
    except KeyboardInterrupt:  # pragma: no cover
        err.print("interrupted")
        sys.exit(130)
    finally:
        _freeze_for_exit()


def _freeze_for_exit() -> None:
    """Everything the command made, frozen for the interpreter's exit: its teardown runs
    the cyclic collector over every object still alive (pandas, numpy and openpyxl's
    modules, a run's frames), about a tenth of a second for nothing a process that ends
    needs freed. Exit handlers, flushes and the objects' own finalizers still run."""
    import gc

    gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
