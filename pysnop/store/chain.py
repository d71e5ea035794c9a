"""The hash chain over pysnop's SQLite file: what makes the decision log tamper-evident.

Every record the file holds belongs to one *entry* of the chain:

=============  ==============================================================================
kind           rows it covers
=============  ==============================================================================
log            the ``log_info`` row: the log's id (a random UUID), when and by whom it was
               started, and how (new, upgraded from an unchained file, adopted from a workbook)
run            a ``runs`` row and every row of :data:`RUN_TABLES` with its ``run_id``
forecast_run   a ``forecast_runs`` row and its ``forecast_history`` / ``consensus_overrides``
=============  ==============================================================================

An entry's ``digest`` is the SHA-256 of its rows (each row as canonical JSON of its non-null
columns, sorted; rows sorted), so a column added later leaves old digests unchanged and row
order (rowids, VACUUM) does not matter. Its ``hash`` is the SHA-256 of its sequence number,
time, kind, reference, digest and the previous entry's hash (``prev``): each entry carries the
hash of the one before it. The workbook keeps the log's id and last entry (its *stamp*,
:mod:`pysnop.workbook.ooxml.custom_props`), so a log that was edited (a digest no longer
matches), cut back or restored from an older copy (the stamp's entry is past its end or
differs), replaced (another id) or given rows outside the chain is found out
(:mod:`pysnop.store.integrity`).

What it does not do: anyone who can write the file and the workbook can rebuild a consistent
pair. The chain is tamper-evident, not tamper-proof (README, "Coordinated action").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pysnop.store.connection import COLUMNS, GUARDED, schema_version, trigger_sql, trigger_verbs

RUN_TABLES = ("proposals", "risks", "decisions", "exports", "approvers", "plan_risks",
              "plan_cover")
FORECAST_TABLES = ("forecast_history", "consensus_overrides")
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {  # kind -> (head table, tables by run_id)
    "log": ("log_info", ()),
    "run": ("runs", RUN_TABLES),
    "forecast_run": ("forecast_runs", FORECAST_TABLES),
}
GENESIS = "0" * 64


@dataclass(frozen=True)
class Stamp:
    """Where a log stands: its id, its last entry's sequence number and hash."""

    log_id: str
    seq: int
    hash: str

    def short(self) -> str:
        return f"log {self.log_id[:8]}, entry {self.seq} ({self.hash[:12]})"


@dataclass(frozen=True)
class Finding:
    """One way the file is not what the chain says. ``code``: edited, broken, outside,
    triggers, info (see :mod:`pysnop.store.integrity` for the messages)."""

    code: str
    detail: str


# one encoder for every row: json.dumps with options builds a new one per call
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                              check_circular=False)  # rows are flat


def _row_encoder(sort_keys: bool = True) -> Callable[[dict[str, Any]], str]:
    """``_CANONICAL.encode`` of a row, calling json's C encoder directly: the one
    ``encode`` makes (and builds anew) on every call, so the text is the same.
    ``sort_keys=False``: for a row whose keys are in sorted order already (the same text,
    without sorting every row's keys again)."""
    encoder = _CANONICAL if sort_keys else _IN_ORDER
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the encoder as it is
        return encoder.encode
    try:
        c_encode = make(None, encoder.default, json.encoder.encode_basestring, None, ":",
                        ",", sort_keys, False, True)
    except TypeError:  # another signature: the encoder as it is
        return encoder.encode
    return lambda row: "".join(c_encode(row, 0))


_IN_ORDER = json.JSONEncoder(sort_keys=False, ensure_ascii=False, separators=(",", ":"),
                             check_circular=False)
_encode_row = _row_encoder()
_encode_sorted_row = _row_encoder(sort_keys=False)


def canonical(row: dict[str, Any]) -> str:
    return _encode_row({k: v for k, v in row.items() if v is not None})


def _rows(db: sqlite3.Connection, table: str, where: str, args: tuple[Any, ...]) -> list[str]:
    """:func:`canonical` of every row, sorted. The columns are read in the order of their
    names, so each row's dict is built with its keys sorted (what canonical() sorts)."""
    names = sorted(str(d[0]) for d in db.execute(f"SELECT * FROM {table} LIMIT 0").description)
    columns = ", ".join('"' + name.replace('"', '""') + '"' for name in names)
    cur = db.execute(f"SELECT {columns} FROM {table} WHERE {where}", args)
    encode = _encode_sorted_row  # canonical() of each row, without sorting its keys
    return sorted(encode({k: v for k, v in zip(names, r) if v is not None})
                  for r in cur.fetchall())


def digest(db: sqlite3.Connection, kind: str, ref: int) -> str:
    """The SHA-256 of every row entry (``kind``, ``ref``) covers (see the module doc)."""
    head, children = KINDS[kind]
    h = hashlib.sha256()
    for table, where in ((head, "id = ?"), *((t, "run_id = ?") for t in children)):
        rows = _rows(db, table, where, (ref,))
        # an update per block of rows: the bytes hashed are those of one update per row,
        # and a run's rows are never all copied at once (100,000 sku-locations: 150 MB of
        # proposals, three times over when joined and encoded in one piece)
        for start in range(0, len(rows), DIGEST_BLOCK):
            h.update("".join([f"{table}\t{line}\n" for line in
                              rows[start:start + DIGEST_BLOCK]]).encode())
    return h.hexdigest()


DIGEST_BLOCK = 4096  # rows hashed per update


def link(seq: int, at: str, kind: str, ref: int, digest_: str, prev: str) -> str:
    text = f"{seq}\n{at}\n{kind}\n{ref}\n{digest_}\n{prev}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def head(db: sqlite3.Connection) -> Stamp | None:
    """The log's id and last entry (None for a file without a chain yet)."""
    info = db.execute("SELECT log_id FROM log_info ORDER BY id LIMIT 1").fetchone()
    last = db.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    if info is None or last is None:
        return None
    return Stamp(str(info[0]), int(last[0]), str(last[1]))


def append(db: sqlite3.Connection, kind: str, ref: int, at: str) -> Stamp:
    """Seal entry (``kind``, ``ref``) onto the chain (inside the caller's transaction).

    The digest is of the rows read back, not of the values the caller inserted: SQLite's
    type affinity changes some on the way in (-0.0 in a REAL column reads back 0.0, NaN is
    stored as NULL, a whole float in an INTEGER column becomes an integer, ids are
    assigned), and a digest that differed from what :func:`verify` reads would have the
    next run refuse the log; reading back costs about a quarter of the digest."""
    last = db.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (1, GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
    d = digest(db, kind, ref)
    h = link(seq, at, kind, ref, d, prev)
    db.execute("INSERT INTO chain (seq, at, kind, ref, digest, prev, hash) VALUES "
               "(?, ?, ?, ?, ?, ?, ?)", (seq, at, kind, ref, d, prev, h))
    stamp = head(db)
    assert stamp is not None
    return stamp


def now_text() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


def start(db: sqlite3.Connection, *, origin: str, account: str | None,
          workbook: str | None = None, note: str | None = None) -> str:
    """Give a file without a chain its ``log_info`` row and first entry; an upgraded file's
    runs are sealed after it, in order (they are vouched for from now on only). Returns the
    new log id. Inside the caller's transaction."""
    log_id = str(uuid.uuid4())
    at = now_text()
    entries = [(str(r[0]), "run", int(r[1])) for r in db.execute("SELECT at, id FROM runs")]
    entries += [(str(r[0]), "forecast_run", int(r[1]))
                for r in db.execute("SELECT at, id FROM forecast_runs")]
    cur = db.execute("INSERT INTO log_info (log_id, created_at, origin, account, workbook, "
                     "note, sealed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (log_id, at, origin, account, workbook, note, len(entries)))
    append(db, "log", int(cur.lastrowid or 0), at)
    for when, kind, ref in sorted(entries, key=lambda e: (e[0], e[1] != "forecast_run", e[2])):
        append(db, kind, ref, when)
    return log_id


def unsealed(db: sqlite3.Connection) -> int:
    """How many runs the file holds outside any chain (an unchained, older file)."""
    n = 0
    for kind, (table, _) in KINDS.items():
        if kind != "log":
            n += int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    return n


RECENT = {"run": 2, "forecast_run": 2}  # entries of each kind re-hashed on every run
RECENT_RUNS = RECENT["run"]
RECENT_FORECASTS = RECENT["forecast_run"]


def verify(db: sqlite3.Connection, *, full: bool = True) -> list[Finding]:
    """Every way the file differs from its chain (empty: intact). See the module doc.

    ``full=False`` is what every run does, at a cost that does not grow with the log's
    age: it checks the triggers, every link and hash of the chain, that no row lies outside
    it, and re-hashes the rows of the log's identity, of the newest :data:`RECENT_RUNS`
    runs and of the newest :data:`RECENT_FORECASTS` forecast records. ``full=True``
    (``pysnop log verify``) re-hashes the rows of every entry, so it is what proves that no
    older run or forecast record was rewritten. Rewriting one unnoticed between two full
    checks takes an UPDATE (or DELETE and INSERT) past the append-only triggers — dropping
    them is found by every run, so they must be dropped and re-created exactly — or writing
    the file's pages directly; either way the deliberate work of someone who can write the
    file (README, "The trust model")."""
    out: list[Finding] = []
    skip: set[int] = set()
    version = schema_version(db)
    for kind, recent in RECENT.items():
        # a file from before the INSERT triggers (or set back to look like one) has every
        # run re-hashed: rows added to an earlier run were not refused when it was written
        if not full and (version >= GUARDED or kind == "forecast_run"):
            seqs = [int(r[0]) for r in db.execute(
                "SELECT seq FROM chain WHERE kind = ? ORDER BY seq", (kind,))]
            skip.update(seqs[:-recent])
    triggers = {str(r[0]): " ".join(str(r[1]).split()) for r in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    for table in COLUMNS:
        for verb in trigger_verbs(version):
            name = f"{table}_no_{verb.lower()}"
            if triggers.get(name) != " ".join(trigger_sql(table, verb).split()):
                out.append(Finding("triggers", f"{table} ({verb} is not refused)"))
    infos = db.execute("SELECT id FROM log_info").fetchall()
    if len(infos) != 1:
        out.append(Finding("broken", f"the log has {len(infos)} identity rows, not one"))
    prev, expect = GENESIS, 1
    sealed: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for seq, at, kind, ref, d, p, h in db.execute(
            "SELECT seq, at, kind, ref, digest, prev, hash FROM chain ORDER BY seq"):
        if seq != expect or p != prev or h != link(seq, at, kind, ref, d, p):
            out.append(Finding("broken", f"entry {seq}: its link to entry {expect - 1} does "
                                         f"not hold"))
        if kind not in KINDS:
            out.append(Finding("broken", f"entry {seq}: unknown kind {kind!r}"))
        else:
            if (seq == 1) != (kind == "log"):
                out.append(Finding("broken", f"entry {seq}: the log's identity must be the "
                                             f"first entry, and only it"))
            if ref in sealed[kind]:
                out.append(Finding("broken", f"entry {seq}: {kind} {ref} sealed twice"))
            sealed[kind].add(ref)
            if seq not in skip and digest(db, kind, ref) != d:
                out.append(Finding("edited", _what(db, kind, ref, seq)))
        prev, expect = h, seq + 1
    indexed = {str(r[0]) for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    for kind, (table, children) in KINDS.items():
        key = "id"
        ids = {int(r[0]) for r in db.execute(f"SELECT {key} FROM {table}")}
        for ref in sorted(ids - sealed[kind]):
            out.append(Finding("outside", f"{table} {ref}"))
        for child in children:
            for ref in _run_ids(db, child, f"{child}_run" in indexed):
                if ref not in sealed[kind]:
                    out.append(Finding("outside", f"{child} rows of {table} {ref}"))
    return out


def _run_ids(db: sqlite3.Connection, table: str, indexed: bool) -> list[Any]:
    """The distinct ``run_id`` values of ``table``: with its index, one seek per run (a
    skip scan), so the check costs the number of runs, not of rows."""
    if not indexed:
        return [r[0] for r in db.execute(f"SELECT DISTINCT run_id FROM {table}")]
    return [r[0] for r in db.execute(
        f"WITH RECURSIVE ids(x) AS (SELECT MIN(run_id) FROM {table} UNION ALL "
        f"SELECT (SELECT MIN(run_id) FROM {table} WHERE run_id > x) FROM ids "
        f"WHERE x IS NOT NULL) SELECT x FROM ids WHERE x IS NOT NULL")]


def _what(db: sqlite3.Connection, kind: str, ref: int, seq: int) -> str:
    if kind == "run":
        row = db.execute("SELECT kind, at FROM runs WHERE id = ?", (ref,)).fetchone()
        if row is not None:
            return f"run {ref} ({row[0]} of {str(row[1]).replace('T', ' ')}; entry {seq})"
    if kind == "forecast_run":
        return f"forecast record {ref} (entry {seq})"
    return f"the log's identity (entry {seq})" if kind == "log" else f"{kind} {ref}"


def entry_of(db: sqlite3.Connection, seq: int) -> tuple[str, str] | None:
    """(hash, at) of entry ``seq``."""
    row = db.execute("SELECT hash, at FROM chain WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def runs_after(db: sqlite3.Connection, seq: int) -> list[dict[str, Any]]:
    """The runs sealed after entry ``seq`` (id, kind, at, user, account)."""
    rows = db.execute(
        "SELECT r.id, r.kind, r.at, r.user, r.account FROM chain c JOIN runs r ON "
        "c.kind = 'run' AND c.ref = r.id WHERE c.seq > ? ORDER BY c.seq", (seq,))
    return [dict(zip(("id", "kind", "at", "user", "account"), r)) for r in rows]


__all__ = ["FORECAST_TABLES", "GENESIS", "KINDS", "RECENT", "RECENT_FORECASTS", "RECENT_RUNS",
           "RUN_TABLES", "Finding", "Stamp", "append", "canonical", "digest", "entry_of", "head",
           "link", "now_text", "runs_after", "start", "unsealed", "verify"]
