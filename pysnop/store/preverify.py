"""The decision log's hash chain checked by a second process while the first one imports.

Every run checks its log before using it (:func:`pysnop.store.integrity.diagnose`): the
chain's links, and the rows of the newest runs re-hashed (:func:`pysnop.store.chain.verify`
with ``full=False``), about 0.3 s of one core at 4,000 sku-locations. A fresh ``pysnop
recalc`` spends its first half second importing pandas, numpy and openpyxl on one core, and
that check needs none of them (sqlite3, hashlib and json). So, on Linux, the command line
forks a small child before those imports (:func:`start`, through :mod:`pysnop.forking`); the
child verifies the file the run is expected to use and hands its findings back.

What the check finds is unchanged. The child reads the file with the same function the run
would call, and its findings are used only for the same file in the same state:
:func:`take` compares a fingerprint of the file — device, inode, size, modification time
in nanoseconds, SQLite's 100-byte header (which counts every committed change) and the
rollback journal's and WAL's presence, size and time — taken by the child before and after
it read, with the file as the run finds it; any difference, a failed child, or a file the
run resolves elsewhere (a Settings ``decision_log``, a log carried to ``-o``), and the run
verifies the file itself, as it always did. Changing the file between the two readings and
restoring every one of those (a sub-second window) takes deliberate work by someone who can
write the file — who can equally rebuild the chain (README, "The trust model").

Where :mod:`pysnop.forking` does not fork (not Linux, another thread running), nothing starts
and every run verifies in-process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pysnop import forking

if TYPE_CHECKING:
    from pysnop.store.chain import Finding

Fingerprint = tuple[Any, ...]
Verified = tuple[Fingerprint, list["Finding"]]  # the file's state as read, what was found

_children: dict[Path, forking.ForkedCall[Verified | None]] = {}


def fingerprint(path: Path) -> Fingerprint | None:
    """What identifies the file's state (see the module doc); None when it is missing."""
    try:
        stat = os.stat(path)
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError:
        return None
    side: list[tuple[str, int | None, int | None]] = []
    for suffix in ("-journal", "-wal"):
        try:
            s = os.stat(f"{path}{suffix}")
            side.append((suffix, s.st_size, s.st_mtime_ns))
        except OSError:
            side.append((suffix, None, None))
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, header.hex(), *side)


def start(path: str | os.PathLike[str]) -> None:
    """Fork a child that verifies the log at ``path`` (see the module doc). Call it before
    any thread starts: a fork copies only the calling thread."""
    key = Path(path).resolve()
    if key in _children or not key.is_file():
        return
    call = forking.fork_call(_verify, key)
    if call is not None:
        _children[key] = call


def _verify(path: Path) -> Verified | None:
    import sqlite3

    from pysnop.store import chain
    from pysnop.store.connection import schema_version
    from pysnop.store.integrity import read_only

    before = fingerprint(path)
    if before is None:
        return None
    db = read_only(path)
    try:
        if schema_version(db) < 2:  # an unchained file: the run upgrades it, nothing to check
            return None
        findings = chain.verify(db, full=False)
    except sqlite3.Error:  # the run reads it again and says what is wrong
        return None
    finally:
        db.close()
    if fingerprint(path) != before:
        return None
    return before, findings


def take(path: str | os.PathLike[str]) -> list[Finding] | None:
    """The child's findings for ``path`` (a list of :class:`pysnop.store.chain.Finding`,
    empty when intact), waiting for it, once; None when there is no child for this file,
    it failed, or the file is not in the state the child read."""
    call = _children.pop(Path(path).resolve(), None)
    if call is None:
        return None
    try:
        verified = call.result()
    except Exception:  # the run reads the file itself and reports it
        return None
    if verified is None or fingerprint(Path(path)) != verified[0]:
        return None
    return verified[1]


def expected_path(book: Path, *, output: Path | None, log: Path | None) -> Path:
    """The log a ``pysnop recalc`` of ``book`` will most likely use: ``--log``, else the one
    beside the file written (Settings ``decision_log`` is not known before the book is read;
    a wrong guess only means the run verifies the file itself)."""
    from pysnop.store.paths import default_path

    if log is not None:
        return log.expanduser()
    if output is not None:
        target = output / book.name if output.is_dir() else output
        return default_path(target)
    return default_path(book)


__all__ = ["expected_path", "fingerprint", "start", "take"]
