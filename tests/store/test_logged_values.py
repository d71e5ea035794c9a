"""DecisionLog.logged_values reads each action's latest values as the row-by-row reading it
replaced did (kept here as the oracle, as of commit 46d4f11): the same actions in the same
order, the same values, for logs holding every awkward value a proposal column can hold,
proposals logged before their values were (no ``detail``), and approved values."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from pysnop.core.binding import normal, parse_each, parse_values
from pysnop.core.decisions import APPROVED, EXPORTED, NEEDS_REAPPROVAL, PROPOSED, Known
from pysnop.store.decision_log import DecisionLog
from pysnop.store.log_values import LEGACY_VALUES


def oracle_logged_values(db: sqlite3.Connection, known: dict[str, Known]
                         ) -> dict[str, dict[str, Any]]:
    """DecisionLog.logged_values before it read by column (commit 46d4f11)."""
    out: dict[str, dict[str, Any]] = {}
    legacy = ", ".join(f"p.{name}" for name in LEGACY_VALUES)
    cur = db.execute(
        f"SELECT p.action_id, p.detail, {legacy} FROM proposals p JOIN (SELECT action_id, "
        f"MAX(run_id) AS run_id FROM proposals GROUP BY action_id) latest ON "
        f"p.action_id = latest.action_id AND p.run_id = latest.run_id ORDER BY p.rowid")
    for action, detail, *legacy_values in cur:
        values = parse_values(detail)
        out[str(action)] = values if values is not None else {
            name: normal(v) for name, v in zip(LEGACY_VALUES, legacy_values)}
    for action, state in known.items():
        if state.status in (APPROVED, EXPORTED) and state.detail:
            out[action] = parse_values(state.detail) or out.get(action, {})
    return out


def same(a: Any, b: Any) -> bool:
    """Equal and of equal types all the way down, keys in the same order, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) ==
                                                     math.copysign(1, b))
    return bool(a == b)


# the values a column of the log can be given (SQLite stores some as others: its affinity)
EDGE = st.one_of(
    st.none(), st.just(float("nan")), st.just(-0.0), st.just(float("inf")),
    st.floats(allow_nan=False, width=64), st.integers(-(2 ** 63), 2 ** 63 - 1),
    st.just(2 ** 62 + 1), st.text(max_size=8),
    st.sampled_from(["", "  padded  ", "ünïcödé 🍰", "\u2028\x00\x1f", 'q"u\\ote', "2026-11-23",
                     "2026-11-23T13:45:00"]),
    st.dates().map(dt.date.isoformat),
    st.datetimes().map(lambda t: t.isoformat(timespec="seconds")),
)
JSON_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(width=64),
    st.text(max_size=6), st.sampled_from(["ünï 🍰", "2026-11-23", "2026-11-23T09:00:00"]))
ACTIONS = st.sampled_from(["A-1", "B-2", "C-3", "D-4", "É-5", "6"])


@st.composite
def detail_texts(draw) -> str | None:
    """What a detail cell may hold: nothing, values_json's text, or JSON that json.loads
    reads otherwise than a bare object (spaces around it, pairs, key order, duplicates), or
    refuses (two objects, a stray brace, no value)."""
    values = draw(st.dictionaries(st.text(max_size=5), JSON_VALUE, max_size=5))
    text = json.dumps(values, sort_keys=draw(st.booleans()), ensure_ascii=draw(st.booleans()))
    return draw(st.sampled_from([
        None, "", text, f" {text}", f"{text}\n", json.dumps(list(values.items())),
        '{"a": 1, "a": 2}', '{"a": {"b": [1, 2.5, null]}}', "{}", text.replace(" ", ""),
        f"{text} {text}", '{"a": 1} }', '{"a": }']))


@st.composite
def proposal_rows(draw) -> tuple[Any, ...]:
    return (draw(ACTIONS), draw(detail_texts()),
            *(draw(EDGE) for _ in LEGACY_VALUES))


@st.composite
def known_states(draw) -> dict[str, Known]:
    states = draw(st.dictionaries(ACTIONS, st.tuples(
        st.sampled_from([APPROVED, EXPORTED, PROPOSED, NEEDS_REAPPROVAL]),
        detail_texts())))
    return {a: Known(status, detail=detail) for a, (status, detail) in states.items()}


# logs of a few runs of awkward proposal rows, as many examples as the profile allows
RUNS = st.lists(st.lists(proposal_rows(), max_size=6), min_size=1, max_size=4)
LOGS = settings(max_examples=examples(300), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def write(path: Path, runs: list[list[tuple[Any, ...]]]) -> None:
    """Each run's proposal rows, inserted as they are (a log from before values were
    recorded has rows without a detail)."""
    with DecisionLog(path) as log:
        db = log.db
        names = ", ".join(("action_id", "detail", *LEGACY_VALUES))
        for rows in runs:
            with db:
                run = db.execute("INSERT INTO runs (at, kind) VALUES ('2026-11-16T09:00:00', "
                                 "'recalc')").lastrowid
                db.executemany(f"INSERT INTO proposals (run_id, {names}) VALUES "
                               f"({', '.join('?' * (len(LEGACY_VALUES) + 3))})",
                               [(run, *row) for row in rows])



@contextmanager
def log_of(runs: list[list[tuple[Any, ...]]]) -> Iterator[DecisionLog]:
    """A log holding ``runs`` (:func:`write`), open, in a folder of its own."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.sqlite"
        write(path, runs)
        with DecisionLog(path) as log:
            yield log


@LOGS
@given(runs=RUNS, known=known_states())
def test_logged_values_equal_the_row_by_row_reading(runs, known):
    with log_of(runs) as log:
        try:
            expected: Any = oracle_logged_values(log.db, known)
        except (ValueError, TypeError) as exc:  # a detail json.loads / dict() refuses
            expected = type(exc)
        try:
            got: Any = log.logged_values(known)
        except (ValueError, TypeError) as exc:
            got = type(exc)
    assert same(got, expected) if isinstance(expected, dict) else got is expected


def test_the_latest_run_of_each_action_in_the_order_written(tmp_path):
    """Worked by hand: A-1 in runs 1 and 2 (run 2's values), B-2 only in run 1, C-3 twice in
    run 2 (the second row wins, at the place of the first); B-2's row has no detail (its
    columns, normalised: qty 7 -> 7.0, sku stripped); C-3 approved with other values."""
    write(tmp_path / "log.sqlite", [
        [("A-1", '{"qty": 1.0}', *[None] * len(LEGACY_VALUES)),
         ("B-2", None, "NEW_ORDER", None, " 00123 ", None, None, 7, None, None, None, None)],
        [("C-3", '{"qty": 3.0}', *[None] * len(LEGACY_VALUES)),
         ("A-1", '{"qty": 2.0}', *[None] * len(LEGACY_VALUES)),
         ("C-3", '{"qty": 4.0}', *[None] * len(LEGACY_VALUES))]])
    with DecisionLog(tmp_path / "log.sqlite") as log:
        got = log.logged_values({"C-3": Known(APPROVED, detail='{"qty": 9.0}')})
    assert list(got) == ["B-2", "C-3", "A-1"]
    assert got["A-1"] == {"qty": 2.0} and got["C-3"] == {"qty": 9.0}
    assert got["B-2"] == {"type": "NEW_ORDER", "owner": None, "sku": "00123",
                          "location": None, "campaign_id": None, "qty": 7.0, "week": None,
                          "margin_protected": None, "net_value": None, "reason": None}


def test_parse_each_gives_what_parse_values_gives():
    texts = [None, "", "{}", ' {"a": 1}', '{"a": 1} ', '{"b": [1, {"c": NaN}]}',
             '[["k", "v"]]', '{"a": 1, "a": 2}', '{"é": "🍰"}']
    for text, got in zip(texts, parse_each(texts), strict=True):
        assert same(got, parse_values(text)), text
    for text in ('{"a": 1} {"b": 2}', '{"a": 1} }', '{"a": }', '{"a": 1'):
        with pytest.raises(json.JSONDecodeError):
            parse_each([text])


@LOGS
@given(runs=RUNS, known=known_states(), only=st.sets(ACTIONS | st.just("not-in-the-log")))
def test_the_values_of_some_actions_are_those_of_all_kept_for_them(runs, known, only):
    """``only``: the same values, in the same order, for those actions (a run asks for the
    sheet's rows and the actions it may restore)."""
    with log_of(runs) as log:
        try:
            expected: Any = oracle_logged_values(log.db, known)
        except (ValueError, TypeError):  # a detail refused: those of others are not read
            expected = None
        if expected is not None:
            got = log.logged_values(known, only=only)
            assert same(got, {a: v for a, v in expected.items() if a in only})


def test_without_sqlites_json_functions_the_same_values(tmp_path):
    """An SQLite built without json_each: every action read, those asked for kept."""
    write(tmp_path / "log.sqlite", [
        [("A-1", '{"qty": 1.0}', *[None] * len(LEGACY_VALUES)),
         ("B-2", '{"qty": 2.0}', *[None] * len(LEGACY_VALUES))]])
    with DecisionLog(tmp_path / "log.sqlite") as log:
        real = log.db

        class NoJson:
            def execute(self, sql, *args):
                if "json_each" in sql:
                    raise sqlite3.OperationalError("no such table: json_each")
                return real.execute(sql, *args)

        log.db = NoJson()
        try:
            got = log.logged_values({}, only={"B-2"})
        finally:
            log.db = real
    assert got == {"B-2": {"qty": 2.0}}
