"""Command-line commands for proposals and decisions: log, export, simulate, review, decide.

Registered on the main group by ``register(cli)``. Exit codes as for the other commands:
0 done (warnings allowed), 1 the workbook or the log could not be used, 2 wrong usage.
The deciding user is ``--user`` (default: $PYSNOP_USER; a run that declares nobody records the
approvers typed in the rows with its OS account beside them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from pysnop.cli.console import STATUS_STYLE, Failed, err, out, print_problems, run_guarded

BOOK = click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
LOG = click.option("--log", "log", type=click.Path(dir_okay=False, path_type=Path),
                   help="The decision log (default: Settings decision_log, else "
                        "BOOK-stem.pysnop.sqlite beside the workbook).")
USER = click.option("--user", help="Who is deciding (default: $PYSNOP_USER; without either, "
                                   "the approvers typed in the rows, with the OS account "
                                   "recorded beside them).")


def _guard(ctx, action, *args, **kwargs):
    try:
        return run_guarded(ctx, action, *args, **kwargs)
    except Failed as failed:
        err.print(f"[red]{args[0] if args else ''}: nothing done.[/]")
        ctx.exit(failed.code)  # 1: the book's problems; 3: an internal error (README)


def _warn(problems) -> None:
    print_problems(list(problems), "warning")


def _ctx_obj(ctx) -> None:
    ctx.ensure_object(dict)


class LogGroup(click.Group):
    """``pysnop log BOOK`` shows the log; ``pysnop log verify|adopt BOOK`` check or replace it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group("log", cls=LogGroup)
def log_cmd():
    """The decision log of a workbook: show it, verify it, or adopt the workbook into a new one.

    \b
    Examples:
      pysnop log plan.xlsx            (same as: pysnop log show plan.xlsx)
      pysnop log verify plan.xlsx
      pysnop log adopt plan.xlsx --user ann
    """


@log_cmd.command("show")
@BOOK
@LOG
@click.option("--limit", type=int, default=20, show_default=True,
              help="Show the last N runs and the decisions they recorded.")
@click.pass_context
def log_show(ctx, book, log, limit):
    """Print the decision log of BOOK: runs, decisions (who, account, when, old -> new),
    Approvers changes, exports. The log is verified first."""
    from rich.table import Table

    from pysnop.operations.review import log_history
    _ctx_obj(ctx)
    history = _guard(ctx, log_history, book, log=log)
    info = history["info"]
    out.print(f"log {str(info.get('log_id', ''))[:8]} ({info.get('origin', '?')}, "
              f"{str(info.get('created_at') or '').replace('T', ' ')}): "
              f"{history['check'].message}")
    runs = history["runs"][-limit:] if limit > 0 else history["runs"]
    table = Table(title=f"Decision log {history['path']}")
    for col in ("run", "at", "kind", "user", "account", "as of", "counts", "fingerprint"):
        table.add_column(col)
    for run in runs:
        counts = ", ".join(f"{k} {v}" for k, v in run["counts"].items()
                           if v and not isinstance(v, str))  # not the on-hand fingerprint
        table.add_row(str(run["id"]), run["at"].replace("T", " "), run["kind"],
                      run["user"] or "", run["account"] or "", run["as_of"] or "", counts,
                      (run["fingerprint"] or "")[:12])
    out.print(table)
    first = runs[0]["id"] if runs else 0
    decisions = history["decisions"]
    decisions = decisions[decisions["run_id"] >= first]
    people = decisions[decisions["outcome"] != "system"]
    if len(people):
        table = Table(title="Decisions")
        for col in ("run", "at", "action", "field", "old -> new", "who", "account", "outcome",
                    "message"):
            table.add_column(col)
        for rec in people.to_dict("records"):
            table.add_row(str(rec["run_id"]), _s(rec["at"]).replace("T", " "),
                          _s(rec["action_id"]), _s(rec["field"]),
                          f"{_s(rec['old'])} -> {_s(rec['new'])}", _s(rec["who"]),
                          _s(rec.get("account")), _s(rec["outcome"]), _s(rec["message"]))
        out.print(table)
    changes = history["approvers"]
    changes = changes[changes["run_id"] >= first]
    if len(changes):
        table = Table(title="Approvers list changes")
        for col in ("run", "change", "name", "function", "account"):
            table.add_column(col)
        for rec in changes.to_dict("records"):
            table.add_row(str(rec["run_id"]), _s(rec["change"]), _s(rec["name"]),
                          _s(rec["function"]), _s(rec["account"]))
        out.print(table)
    system = decisions[decisions["outcome"] == "system"]
    if len(system):
        out.print(f"{len(system)} status changes made by pysnop (new, obsolete, proposed "
                  f"again, needs re-approval) in these runs")
    out.print(f"{len(history['runs'])} runs, {len(history['decisions'])} decision records, "
              f"{len(history['exports'])} exported actions in total")


@log_cmd.command("verify")
@BOOK
@LOG
@click.pass_context
def log_verify(ctx, book, log):
    """Check the decision log of BOOK: its hash chain, its append-only triggers, and that it
    ends where the workbook says. Exit 0 when it holds, 1 when it does not (the message says
    what happened and how to proceed). Reads only.

    \b
    Example:
      pysnop log verify plan.xlsx
    """
    from pysnop.operations.log_audit import verify_log
    _ctx_obj(ctx)
    path, diagnosis = _guard(ctx, verify_log, book, log=log)
    if diagnosis.refused:
        err.print(f"[red]{path.name}: {diagnosis.code}[/]: {diagnosis.message}")
        ctx.exit(1)
    head = diagnosis.log_head
    where = f" ({head.short()})" if head is not None else ""
    out.print(f"{path.name}: {diagnosis.code}{where}: {diagnosis.message}")


@log_cmd.command("adopt")
@BOOK
@USER
@LOG
@click.pass_context
def log_adopt(ctx, book, user, log):
    """Start a new decision log for BOOK from its Actions sheet as it stands, when the old
    log is missing or cannot be trusted (``pysnop log verify`` says why). The old file is kept
    aside, renamed; the adoption and who ran it are the new log's first record. Refused when
    the log is whole.

    \b
    Example:
      pysnop log adopt plan.xlsx --user ann
    """
    from pysnop.operations.log_audit import adopt_log
    _ctx_obj(ctx)
    report = _guard(ctx, adopt_log, book, user=user, log=log)
    _warn(report.warnings)
    kept = f"; the old log is kept as {report.kept_aside.name}" if report.kept_aside else ""
    counts = ", ".join(f"{v} {k}" for k, v in sorted(report.counts.items())) or "no actions"
    out.print(f"{book.name}: new decision log {report.log.name} ({report.stamp.short()}) "
              f"adopting {counts}{kept}. Decisions before this adoption rest on the "
              f"workbook's word.")


@click.command("export")
@BOOK
@click.option("--format", "fmt", type=click.Choice(["csv", "json"], case_sensitive=False),
              default="csv", show_default=True, help="File format for the ERP / campaign tool.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (default: BOOK-stem-actions-<time>.<format> beside BOOK).")
@USER
@LOG
@click.pass_context
def export_cmd(ctx, book, fmt, output, user, log):
    """Export the Approved actions of BOOK and mark them Exported (workbook and log).

    Approvals typed into the Actions sheet are checked first: one by a person not listed
    in Approvers for the action's owner function is refused and left Proposed. Exporting
    again exports nothing twice; when nothing is new no file is written.

    \b
    Example:
      pysnop export plan.xlsx --format json -o approved.json --user ann
    """
    from pysnop.operations.export import export_actions
    _ctx_obj(ctx)
    report = _guard(ctx, export_actions, book, fmt, output, user=user, log=log)
    _warn(report.warnings)
    n = len(report.exported)
    if n:
        out.print(f"exported {n} approved action{'s' if n != 1 else ''} to "
                  f"{report.export_file}; marked Exported in {book.name}")
    else:
        out.print(f"{book.name}: no approved actions left to export; nothing written")


@click.command("simulate")
@BOOK
@click.option("--actions", "actions", help="Comma-separated action ids to apply.")
@click.option("--approved", is_flag=True, help="Apply every Approved action.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Planning date (YYYY-MM-DD); overrides Settings as_of.")
@click.pass_context
def simulate_cmd(ctx, book, actions, approved, as_of):
    """Show the bridge of BOOK with chosen actions applied: before/after per sku-location.

    Without --actions or --approved, the Actions rows marked Scenario = Y are applied.
    Nothing is written.

    \b
    Examples:
      pysnop simulate plan.xlsx --actions TRF-405d0e8e,EXP-1bf58bbe
      pysnop simulate plan.xlsx --approved
    """
    from rich.table import Table

    from pysnop.operations.simulate import simulate
    _ctx_obj(ctx)
    if actions and approved:
        raise click.UsageError("give --actions or --approved, not both")
    ids = [a.strip() for a in actions.split(",") if a.strip()] if actions else None
    table, notes, used = _guard(ctx, simulate, book, ids, approved=approved,
                                as_of=as_of.date() if as_of else None)
    for note in notes:
        err.print(f"[yellow]note:[/] {note}")
    if not used:
        out.print("no action to simulate")
        ctx.exit(1)
    view = Table(title=f"With {', '.join(used)}")
    for col in ("sku", "location", "status before", "status after", "lost before",
                "lost after", "margin at risk before", "after"):
        view.add_column(col, justify="right" if "lost" in col or "margin" in col
                        or col == "after" else "left")
    for rec in table.to_dict("records"):
        view.add_row(str(rec["sku"]), str(rec["location"]),
                     _status(rec["status_before"], STATUS_STYLE),
                     _status(rec["status_after"], STATUS_STYLE),
                     f"{rec['lost_before']:,.0f}", f"{rec['lost_after']:,.0f}",
                     _money(rec["margin_at_risk_before"]), _money(rec["margin_at_risk_after"]))
    out.print(view)
    out.print(f"{len(table)} sku-location{'s' if len(table) != 1 else ''} changed; lost units "
              f"{table['lost_before'].sum():,.0f} -> {table['lost_after'].sum():,.0f}")


def _s(value) -> str:
    return "" if value is None or value != value else str(value)


def _status(label, styles) -> str:
    return f"[{styles.get(label, '')}]{label}[/]" if label in styles else str(label)


def _money(value) -> str:
    return "" if value != value else f"{value:,.2f}"


@click.command("review")
@BOOK
@click.option("--markdown", is_flag=True, help="Markdown, to paste into a mail.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the review to this file instead of printing it.")
@LOG
@click.pass_context
def review_cmd(ctx, book, markdown, output, log):
    """The weekly review of BOOK from its decision log: new and resolved risks, act_by
    deadlines in the next 7 days, pending decisions, exported actions.

    \b
    Example:
      pysnop review plan.xlsx --markdown -o review.md
    """
    from pysnop.operations.review import weekly_review
    _ctx_obj(ctx)
    text = _guard(ctx, weekly_review, book, "markdown" if markdown else "text", log=log)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]error:[/] cannot write {output}: {exc.strerror or exc}")
        ctx.exit(1)
    click.echo(f"review written to {output}")


@click.command("decide")
@BOOK
@USER
@LOG
@click.pass_context
def decide_cmd(ctx, book, user, log):
    """Check and record the decisions typed into the Actions sheet of BOOK, without
    recalculating: refused approvals are undone and reported, the rest logged.

    \b
    Example:
      pysnop decide plan.xlsx --user ann
    """
    from pysnop.operations.decide import apply_decisions
    _ctx_obj(ctx)
    report = _guard(ctx, apply_decisions, book, user=user, log=log)
    _warn(report.warnings)
    accepted = [e for e in report.events if e.outcome == "accepted" and e.field == "status"]
    out.print(f"{book.name}: {len(accepted)} decision{'s' if len(accepted) != 1 else ''} "
              f"recorded, {len(report.refused)} refused ({dt.datetime.now():%H:%M})")


COMMANDS = (log_cmd, export_cmd, simulate_cmd, review_cmd, decide_cmd)


def register(group: click.Group) -> click.Group:
    """Add the action commands to ``group`` (the ``pysnop`` click group)."""
    for command in COMMANDS:
        if command.name not in group.commands:
            group.add_command(command)
    return group
