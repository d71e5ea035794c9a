"""Saving a workbook without ever leaving a half-written file behind.

The workbook is written to a temporary file in the destination's directory (same file
system, so the final ``os.replace`` is atomic), flushed and fsynced, then moved over the
destination. A destination that is a symbolic link is written through: its target gets the
new content and the link stays a link. The new file keeps the permissions of the file it
replaces (or of the source). When the destination is the source file, one backup
``<name>.bak`` of the original bytes is kept beside it (the previous backup is
overwritten). Any failure removes the temporary file and leaves the original untouched;
OS-level failures (file locked by Excel, read-only folder, disk full) become a
:class:`FileAccessError` naming the file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pysnop.errors import FileAccessError

TEMP_PREFIX = ".~pysnop-"


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like when pysnop read it: size, mtime (ns) and SHA-256 of its bytes."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of_bytes(cls, data: bytes, stat: os.stat_result) -> Fingerprint:
        """The fingerprint of ``data`` read from a file whose ``os.stat`` (taken before the
        read) is ``stat``."""
        return cls(len(data), stat.st_mtime_ns, hashlib.sha256(data).hexdigest())


def fingerprint(path: Path) -> Fingerprint:
    """Read ``path`` and fingerprint it (raises OSError)."""
    path = Path(path)
    stat = os.stat(path)
    return Fingerprint.of_bytes(path.read_bytes(), stat)


def changed_since(path: Path, expect: Fingerprint) -> bool:
    """True when ``path`` no longer holds the bytes ``expect`` describes (or is gone).

    Size and mtime equal: unchanged (no read). Otherwise the bytes are hashed, so a file
    merely touched, or copied back unchanged, is not reported as changed.
    """
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return True
    if stat.st_size == expect.size and stat.st_mtime_ns == expect.mtime_ns:
        return False
    if stat.st_size != expect.size:
        return True
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest() != expect.sha256


def changed_message(path: Path) -> str:
    return (f"{Path(path).name} was changed by someone else since pysnop read it; nothing "
            f"written - run pysnop again on the new version")


def backup_path(path: Path) -> Path:
    """Where the backup of ``path`` is kept: ``book.xlsx`` -> ``book.xlsx.bak``."""
    return path.with_name(path.name + ".bak")


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def describe_os_error(exc: OSError, path: Path, action: str) -> str:
    """A one-line reason a planner can act on."""
    name = path.name
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return (f"cannot {action} {name}: permission denied - close the file in Excel "
                f"(or check that the folder is writable) and try again")
    if exc.errno == errno.ENOSPC:
        return f"cannot {action} {name}: the disk is full"
    if exc.errno == errno.EROFS:
        return f"cannot {action} {name}: the file system is read-only"
    if isinstance(exc, FileNotFoundError):
        return f"cannot {action} {name}: the folder {path.parent} does not exist"
    detail = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot {action} {name}: {detail}"


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX only; a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_atomically(src: Path, dest: Path) -> None:
    """Copy ``src`` bytes to ``dest`` through a temp file + replace."""
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".bak.tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        shutil.copymode(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        _remove_quietly(tmp)
        raise


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass


STALE_AFTER_SECONDS = 3600


def _sweep_stale_temps(directory: Path) -> None:
    """Remove temp files an earlier run left when it was killed (older than an hour)."""
    import time

    cutoff = time.time() - STALE_AFTER_SECONDS
    try:
        stale = [p for p in directory.glob(TEMP_PREFIX + "*.tmp") if p.stat().st_mtime < cutoff]
    except OSError:
        return
    for path in stale:
        _remove_quietly(path)


def atomic_write(dest: Path, write: Callable[[BinaryIO], None], *, src: Path | None = None,
                 backup: bool = True, expect: Fingerprint | None = None) -> None:
    """Call ``write(fileobj)`` into a temp file next to ``dest``, then move it over ``dest``.

    ``src`` is the file the content was derived from: when it is ``dest`` and ``backup`` is
    true, ``<dest>.bak`` receives the original bytes before ``dest`` is replaced.
    ``expect`` is the fingerprint of ``dest`` when it was read: if ``dest`` no longer matches
    it (someone saved it meanwhile), nothing is written and :class:`FileAccessError` says so.
    It is checked before the backup and again just before the replace.
    """
    dest = real_destination(Path(dest))
    directory = dest.parent if str(dest.parent) else Path(".")
    _sweep_stale_temps(directory)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=dest.suffix + ".tmp",
                                        dir=directory)
    except OSError as exc:
        raise FileAccessError(describe_os_error(exc, dest, "write")) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _set_mode(tmp, dest, src)
        _check_unchanged(dest, expect)
        if backup and src is not None and same_file(Path(src), dest):
            try:
                _copy_atomically(dest, backup_path(dest))
            except OSError as exc:
                raise FileAccessError(
                    describe_os_error(exc, backup_path(dest), "write the backup")) from exc
        _check_unchanged(dest, expect)
        os.replace(tmp, dest)
    except OSError as exc:
        _remove_quietly(tmp)
        raise FileAccessError(describe_os_error(exc, dest, "save")) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise
    _fsync_dir(directory)


def real_destination(dest: Path) -> Path:
    """The file a write to ``dest`` must replace: a symbolic link's target (the link itself
    is kept, pointing at the new content), else ``dest``."""
    if dest.is_symlink():
        return Path(os.path.realpath(dest))
    return dest


def _set_mode(tmp: Path, dest: Path, src: Path | None) -> None:
    """Give the new file the permissions of the file it replaces, else of the file it was
    derived from, else what the user's umask gives a new file (mkstemp makes it 0600)."""
    for model in (dest, src):
        if model is not None and model.exists():
            try:
                shutil.copymode(model, tmp)
                return
            except OSError:
                pass
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.chmod(tmp, 0o666 & ~mask)
    except OSError:
        pass


def _check_unchanged(dest: Path, expect: Fingerprint | None) -> None:
    if expect is not None and changed_since(dest, expect):
        raise FileAccessError(changed_message(dest))
