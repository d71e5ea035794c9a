"""The digests the chain seals: a run's digest computed as its rows are inserted is the one
:func:`pysnop.store.chain.digest` reads back from the file, and both are the digests logs
written by earlier pysnop versions carry (so those logs still verify)."""

import base64
import datetime as dt
import sqlite3
import zlib

import numpy as np
import pandas as pd

from pysnop.core.decisions import APPROVED, PROPOSED, Event
from pysnop.core.values import plain_records
from pysnop.store import chain, log_values
from pysnop.store.decision_log import DecisionLog

AT = dt.datetime(2026, 11, 16, 9, 30)
NAN = float("nan")


def proposals() -> pd.DataFrame:
    """What the engine hands the log, with every awkward value a run can hold: NaN and None,
    whole numbers in float columns and the reverse, numpy scalars, text with accents,
    emoji, quotes and control characters, missing text (pd.NA), dates and NaT, infinity."""
    return pd.DataFrame({
        "action_id": pd.array(["A-1", "B-2", "C-3"], dtype="string"),
        "type": ["NEW_ORDER", "TRANSFER", "PULL_IN"],
        "owner": ["Supply", "Supply", "Marketing"],
        "sku": pd.array(["00123", "Crème brûlée 🍰", pd.NA], dtype="string"),
        "location": ["S01", 'D"C\\1\n', None],
        "campaign_id": [None, "BF", NAN],
        "qty": np.array([10, 0, 7], dtype="int64"),            # REAL column, ints given
        "week": [pd.Timestamp("2026-11-30"), pd.NaT, pd.Timestamp("2026-12-07 13:45")],
        "margin_protected": [25.0, NAN, 1e-7],
        "net_value": [1.0 / 3.0, -0.0, float("inf")],
        "rank": [1.0, NAN, 3.0],                                # INTEGER column, floats given
        "reason": ["shortfall 10 units", "", "  padded  "],
        "from_location": [None, "DC1", None],
        "po_id": [None, None, "PO-9"],
        "alt_sku": [None, None, None],
        "new_lift": [NAN, 0.25, NAN],
        "new_start": [pd.NaT, pd.NaT, pd.Timestamp("2026-12-01")],
        "cost": np.array([12.5, 0.0, 123456789.123456789], dtype="float32"),
        "risk_id": ["R1", "R1", "R2"],
        "recommended": [True, False, None],                    # flag
        "act_by": [pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-23"), pd.NaT],
        "extra_note": ["kept in detail", None, "ünïcödé"],     # a column the log has not
    })


def plan_risks() -> pd.DataFrame:
    return pd.DataFrame({
        "risk_id": ["R1", "R2"], "kind": ["stockout", "stockout"], "draft": [False, True],
        "sku": ["00123", "Crème"], "location": ["S01", None], "campaign_id": ["BF", None],
        "status": ["AT_RISK", "TOO_LATE"],
        "first_risk_week": [pd.Timestamp("2026-11-30"), pd.NaT],
        "shortfall_units": [10.0, NAN], "lost_units": np.array([5, 0], dtype="int32"),
        "margin_at_risk": [12.5, 0.1 + 0.2], "act_by": [pd.Timestamp("2026-11-23"), None],
        "too_late": [False, True], "alternatives": [2.0, 0.0],
        "recommended": np.array([1, 0], dtype="int64"), "best_action_id": ["A-1", None],
        "fixable": [True, None], "note": ["", "late: 🚚"], "rank": [1, 2], "dc": [None, "DC1"],
    })


def record(log: DecisionLog, *, cover: bool) -> int:
    events = [Event("A-1", "status", None, PROPOSED, "pysnop", AT, "system"),
              Event("B-2", "status", PROPOSED, APPROVED, "Zoë", AT, "accepted",
                    message="", account="zoe", fingerprint="f" * 64,
                    detail='{"qty":0.0,"sku":"Crème"}'),
              Event("C-3", "comment", None, "check → stock", "ann", AT, "refused",
                    message="not an approver")]
    return log.record_run(
        kind="recalc", at=AT, workbook="plan ü.xlsx", fingerprint="0" * 64,
        as_of=dt.date(2026, 11, 18), user="ann", account="ann",
        counts={"OK": 3, "AT_RISK": 1},
        proposals=proposals(),
        risks=pd.DataFrame({"sku": ["00123", None], "location": ["S01", "S02"],
                            "status": ["AT_RISK", "OK"],
                            "first_risk_week": [pd.Timestamp("2026-11-30"), pd.NaT],
                            "act_by": [None, None], "lost_units": [5.0, NAN],
                            "margin_at_risk": np.array([12, 0], dtype="int64")}),
        events=events,
        exports=[{"action_id": "B-2", "at": AT, "format": "csv", "file": "erp ü.csv",
                  "who": "ann", "fingerprint": "f" * 64, "detail": '{"qty":0.0}'}],
        approvers=[("added", "ann", "Supply", "ann"), ("added", "Zoë", "Marketing", None)],
        plan_risks=plan_risks(),
        cover=pd.DataFrame({"action_id": ["A-1"], "risk_id": ["R1"], "sku": ["00123"],
                            "location": ["S01"], "week": [pd.Timestamp("2026-11-30")],
                            "units": [10.0]}) if cover else None)


# The run's digest as pysnop wrote it (commit c6cb4ac) before the digest was computed at insert time
# (chain.digest over the rows read back, taken on the code of that commit): logs written
# then must verify now. The cover (zlib-compressed) is left out so that the value does not
# depend on the zlib build.
RECORDED_BEFORE = "1ad8c31d577ee87f0e84ff267a7d20f6781367703fd53cbe4fab0442be870500"


def test_a_run_digest_equals_the_one_earlier_versions_wrote(tmp_path):
    with DecisionLog(tmp_path / "log.sqlite") as log:
        run = record(log, cover=False)
        sealed = log.db.execute("SELECT digest FROM chain WHERE kind = 'run' AND ref = ?",
                                (run,)).fetchone()[0]
        assert chain.digest(log.db, "run", run) == sealed == RECORDED_BEFORE
        assert chain.verify(log.db) == []


def test_the_digest_sealed_at_insert_is_the_digest_of_the_stored_rows(tmp_path):
    with DecisionLog(tmp_path / "log.sqlite") as log:
        runs = [record(log, cover=True), record(log, cover=False)]
    db = sqlite3.connect(tmp_path / "log.sqlite")
    for run in runs:
        sealed = db.execute("SELECT digest FROM chain WHERE kind = 'run' AND ref = ?",
                            (run,)).fetchone()[0]
        assert sealed == chain.digest(db, "run", run)
    # the awkward values went in as their stored forms (what the digest saw)
    rank, qty, week, sku = db.execute(
        "SELECT rank, qty, week, sku FROM proposals WHERE run_id = 1 ORDER BY action_id"
    ).fetchall()[0]
    assert (rank, qty, week, sku) == (1, 10.0, "2026-11-30", "00123")
    assert chain.verify(db) == []
    db.close()


def test_the_cover_is_packed_as_pandas_writes_split_json():
    """pack_cover writes the text ``to_json(orient="split", index=False)`` writes (faster):
    covers packed before and after read back the same."""
    cover = pd.DataFrame({"action_id": pd.array(["A-1", "B-é", None], dtype="string"),
                          "risk_id": ["R1", "R\"2", "R/3"], "sku": ["00123", "🍰", None],
                          "location": ["S01", "S02", "S03"],
                          "week": pd.to_datetime(["2026-11-30", "2026-12-07", None]),
                          "gap": [1.0 / 3.0, NAN, 1e12], "fill": [0.0, -2.5, 123456.789012345]})
    frame = cover.astype({"action_id": object})
    frame["week"] = frame["week"].dt.strftime("%Y-%m-%d")
    expected = frame.to_json(orient="split", index=False, double_precision=10)
    packed = log_values.pack_cover(cover)
    assert zlib.decompress(base64.b64decode(packed)).decode("utf-8") == expected
    back = log_values.unpack_cover(packed)
    assert back["sku"].tolist()[:2] == ["00123", "🍰"]
    assert abs(back["gap"].tolist()[0] - 1.0 / 3.0) < 1e-10  # 10 significant digits
    # a cover an older pysnop packed at zlib level 6 reads back the same
    older = base64.b64encode(zlib.compress(expected.encode("utf-8"), 6)).decode("ascii")
    pd.testing.assert_frame_equal(log_values.unpack_cover(older), back)


def same(a, b) -> bool:
    """Equal values of equal types (NaN equal to NaN)."""
    return type(a) is type(b) and (a == b or (a != a and b != b))


def test_rows_converted_by_column_equal_rows_converted_by_record():
    """stored_rows / plain_records (column by column) give the values, and types,
    stored_row of each ``to_dict("records")`` record gave."""
    for frame, fields, whole in ((proposals(), log_values.PROPOSAL_FIELDS, log_values.WHOLE),
                                 (plan_risks(), log_values.PLAN_RISK_FIELDS,
                                  log_values.RISK_COUNTS)):
        text = {c: object for c, k in frame.dtypes.items() if isinstance(k, pd.StringDtype)}
        records = frame.astype(text).to_dict("records")
        plain = plain_records(frame)
        assert [list(r) for r in plain] == [list(r) for r in records]
        assert all(same(r[k], p[k]) for r, p in zip(records, plain) for k in r)
        expected = [tuple(log_values.stored_row(r, fields, whole)) for r in records]
        got = log_values.stored_rows(frame, fields, whole)
        assert len(got) == len(expected)
        for row, want in zip(got, expected):
            assert all(same(a, b) for a, b in zip(row, want, strict=True)), (row, want)


def test_a_row_is_encoded_as_the_json_module_encodes_it():
    """chain.canonical calls json's C encoder directly: the text json.dumps gives."""
    import json
    row = {"z": "ünï 🍰 \u2028 \x00 \"q\" \\", "a": NAN, "b": float("inf"),
           "c": float("-inf"), "d": -0.0, "e": 1e-300, "f": 2**62, "g": None, "h": 0.1 + 0.2,
           "B": "upper sorts first", "i": True}
    expected = json.dumps({k: v for k, v in row.items() if v is not None}, sort_keys=True,
                          ensure_ascii=False, separators=(",", ":"))
    assert chain.canonical(row) == expected


def test_a_large_run_is_hashed_in_blocks_to_the_digest_of_the_module_doc(tmp_path):
    # more proposals than a block of the digest's updates (chain.DIGEST_BLOCK): the bytes
    # hashed are still every row's canonical JSON, sorted, one line per row, table by table
    import hashlib
    import json

    n = 2 * chain.DIGEST_BLOCK + 7
    many = pd.DataFrame({"action_id": [f"A-{i:05d}" for i in range(n)], "type": "TRANSFER",
                         "owner": "Supply", "sku": [f"{i % 97:05d}" for i in range(n)],
                         "location": "S01", "qty": np.arange(n) / 3, "reason": "é \"q\"",
                         "rank": np.arange(1, n + 1)})
    with DecisionLog(tmp_path / "log.sqlite") as log:
        run = log.record_run(kind="recalc", at=AT, proposals=many, account="ann")
        db = log.db
        h = hashlib.sha256()
        head, children = chain.KINDS["run"]
        for table, where in ((head, "id = ?"), *((t, "run_id = ?") for t in children)):
            cur = db.execute(f"SELECT * FROM {table} WHERE {where}", (run,))
            names = [d[0] for d in cur.description]
            lines = sorted(json.dumps({k: v for k, v in zip(names, row) if v is not None},
                                      sort_keys=True, ensure_ascii=False,
                                      separators=(",", ":")) for row in cur.fetchall())
            h.update("".join(f"{table}\t{line}\n" for line in lines).encode())
        sealed = db.execute("SELECT digest FROM chain WHERE kind = 'run' AND ref = ?",
                            (run,)).fetchone()[0]
        assert db.execute("SELECT COUNT(*) FROM proposals").fetchone()[0] == n
        assert chain.digest(db, "run", run) == sealed == h.hexdigest()
