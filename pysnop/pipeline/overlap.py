"""A second process for a run: the action plan made by a forked child while the run reads
the Actions sheet and the log (:func:`fork_call`), and the workbook drawn and saved by a
forked child while the run records itself in the log (:func:`write`).

At the end of a run two jobs remain that share nothing but two small results: recording
the run in the decision log (its proposals, risks and decisions, sealed onto the hash chain)
and then reading the review back from it; and drawing pysnop's sheets and saving the
workbook. Only the Review sheet (the review) and the workbook's stamp (the log's new last
entry) need the first. Both are Python-bound (the GIL), so threads would take turns; where
the system is Linux, :func:`write` forks the process instead. The child draws
and saves the workbook, waiting for the review and stamp when it reaches the Review sheet;
the parent records the run and sends them. The log is committed only once the child reports
the workbook written, exactly as a run in one process commits it after its write; if either
side fails, the log is rolled back and the child writes nothing it has not finished (the
save is the last step and atomic). The two see the same data (a fork copies the process),
and the child never touches the log's connection.

The plan's child computes :func:`pysnop.core.actions.plan_actions` from its copy of the
inputs and sends the plan back pickled (an exception too, as the same type where it
pickles); the plan changes nothing it is given, so nothing is lost with the child.

Only where ``RunOptions.overlap`` (``recalc``, the command line); not forked, and done in
turn (the plan on a thread) as before (:func:`possible` says): on Windows and macOS (only
Linux forks after pandas and numpy have loaded, see :func:`_fork_alone`); a book open in
Excel; with another thread running (a fork copies only the calling thread — the command
line's progress spinner is paused for the fork, see :func:`pause_for_fork`); and above
:data:`MAX_ROWS` sku-locations, where the second process's copy of the run would cost more
memory than the overlap saves time.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, NoReturn, TypeVar

if TYPE_CHECKING:  # the command line imports this module before pandas & co. (a fork pause)
    from pysnop.store.chain import Stamp
    from pysnop.workbook.book import Book, FileBook
    from pysnop.workbook.render.canvas import Renderer
    from pysnop.workbook.render.review import ReviewData

MAX_ROWS = 20_000  # sku-locations (as core.actions.OVERLAP_ROWS, for the same reason)
FORKS = sys.platform.startswith("linux") and hasattr(os, "fork")
SETTLE_SECONDS = 0.2  # how long other threads are given to end before a fork is given up

T = TypeVar("T")
_pausers: list[tuple[Callable[[], Any], Callable[[], Any]]] = []


@contextlib.contextmanager
def pause_for_fork(stop: Callable[[], Any], start: Callable[[], Any]) -> Iterator[None]:
    """While in this block, a fork stops a thread with ``stop`` and (in the parent) starts
    it again with ``start``: the command line's progress spinner."""
    entry = (stop, start)
    _pausers.append(entry)
    try:
        yield
    finally:
        _pausers.remove(entry)


def possible(book: Book, rows: int) -> bool:
    from pysnop.workbook.book import FileBook

    return (FORKS and isinstance(book, FileBook) and book.headless
            and rows <= MAX_ROWS and threading.current_thread() is threading.main_thread())


def _fork_alone() -> int | None:
    """``os.fork()`` with no other thread running (None: another thread is running, or the
    system is not Linux: macOS's system libraries — Accelerate, which numpy uses there,
    among them — are not safe to use in a child forked after they loaded)."""
    if not FORKS:
        return None
    for stop, _ in _pausers:
        stop()
    pid = None
    try:
        deadline = time.monotonic() + SETTLE_SECONDS  # a stopped thread ends on its own
        for thread in threading.enumerate():
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        if threading.active_count() == 1:
            pid = os.fork()
    finally:
        if pid != 0:
            for _, start in _pausers:
                start()
    return pid


class Aborted(Exception):
    """The parent could not record the run: the child writes nothing."""


class _Inbox:
    """What the parent sends the child — the review, then the stamp — each read when first
    needed (a message is pickled, after its length in 8 bytes)."""

    def __init__(self, fd: int):
        self.src = os.fdopen(fd, "rb")
        self.messages: list[Any] = []

    def _get(self, i: int) -> Any:
        while len(self.messages) <= i:
            head = self.src.read(8)
            message: Any = (pickle.loads(self.src.read(int.from_bytes(head, "big")))
                       if len(head) == 8 else ("abort",))
            if message[0] != "ok":
                raise Aborted
            self.messages.append(message[1])
        return self.messages[i]

    def review(self) -> ReviewData:
        review: ReviewData = self._get(0)
        return review

    def stamp(self) -> Stamp:
        stamp: Stamp = self._get(1)
        return stamp


def write(book: FileBook, review: Callable[[], ReviewData], stamp: Callable[[], Stamp],
          draw: Callable[[Callable[[], ReviewData]], list[Renderer]],
          apply: Callable[[list[Renderer], Callable[[], Stamp]], list[Any]]
          ) -> list[Any] | None:
    """Record the run while a child draws and saves the workbook: ``review`` (the run's
    rows into the log, and the review read back) and then ``stamp`` (the run sealed onto
    the chain: the log's new head) here; in the child ``draw`` (the renderers, given where
    the review will come from) and ``apply`` (the save, given where the stamp will come
    from: it is wanted last, for the document properties, so the seal is made while the
    child merges and packs the sheets; it returns what the save said — warnings — for the
    parent to keep). None when no child could be forked (nothing was done), else what
    ``apply`` returned; raises what failed on either side. The caller commits the log when
    this returns, and rolls it back when it raises."""
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    pid = _fork_alone()
    if pid is None:
        for fd in (to_child_r, to_child_w, to_parent_r, to_parent_w):
            os.close(fd)
        return None
    if pid == 0:
        def save() -> tuple[Any, ...]:
            inbox = _Inbox(to_child_r)
            return ("ok", apply(draw(inbox.review), inbox.stamp))

        _child(save, to_parent_w, (to_child_w, to_parent_r))
    os.close(to_child_r)
    os.close(to_parent_w)
    outbox = os.fdopen(to_child_w, "wb")
    reply: tuple[Any, ...] | None = None
    try:
        try:
            _send(outbox, ("ok", review()))
            _send(outbox, ("ok", stamp()))
        except BaseException:
            _send(outbox, ("abort",))
            raise
        finally:
            with contextlib.suppress(OSError):
                outbox.close()
        reply = _reply(pid, to_parent_r)
    finally:
        if reply is None:  # failed first: the child is told, and waited for
            _reply_quietly(pid, to_parent_r)
    if reply[0] == "ok":
        book.mark_written()  # as apply() leaves it, had this process written it
        said: list[Any] = reply[1]
        return said
    if reply[0] == "error":
        raise _rebuilt(reply[1])
    raise RuntimeError(f"the process writing the workbook stopped ({reply[0]})")


class ForkedCall(Generic[T]):
    """``fn(*args)`` computed by a forked child on its copy of the process; :meth:`result`
    waits for it and returns its value, or raises what it raised (see :func:`fork_call`)."""

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd
        self.outcome: tuple[Any, ...] | None = None

    def cancel(self) -> None:
        """Stop the child, if its result was not taken (the run failed meanwhile)."""
        if self.outcome is None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            _reply_quietly(self.pid, self.fd)
            self.outcome = ("cancelled",)

    def result(self) -> T:
        if self.outcome is None:
            self.outcome = _reply(self.pid, self.fd)
        if self.outcome[0] == "ok":
            value: T = self.outcome[1]
            return value
        if self.outcome[0] == "error":
            raise _rebuilt(self.outcome[1])
        raise RuntimeError(f"the process computing in parallel stopped ({self.outcome[0]})")


def fork_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> ForkedCall[T] | None:
    """Compute ``fn(*args, **kwargs)`` in a forked child (a second core, not a thread
    taking turns with this one for the GIL); None when no child can be forked (see
    :func:`_fork_alone`) — the caller computes it another way. ``fn`` must return what it
    computes and change nothing the caller reads later: the child's changes stay in the
    child."""
    read_end, write_end = os.pipe()
    pid = _fork_alone()
    if pid is None:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:
        _child(lambda: ("ok", fn(*args, **kwargs)), write_end, (read_end,))
    os.close(write_end)
    return ForkedCall(pid, read_end)


def _child(work: Callable[[], tuple[Any, ...]], answer_fd: int,
           others: tuple[int, ...]) -> NoReturn:
    """A forked child's whole life: ``work``'s answer (or what it raised, or "aborted")
    pickled to ``answer_fd``; it never returns, and never runs the parent's exit handlers
    (``os._exit``: nothing of the parent's is flushed or closed twice)."""
    code = 1
    try:
        for fd in others:
            os.close(fd)
        try:
            answer = work()
            code = 0
        except Aborted:
            answer = ("aborted",)
        except BaseException as exc:
            answer = ("error", _portable(exc))
        with os.fdopen(answer_fd, "wb") as out:
            out.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(code)


def _send(out: BinaryIO, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        out.write(len(data).to_bytes(8, "big") + data)
        out.flush()  # the child reads it now, not when the pipe closes
    except (BrokenPipeError, ValueError):  # the child stopped (it failed): its reply says
        pass


def _reply(pid: int, fd: int) -> tuple[Any, ...]:
    with os.fdopen(fd, "rb") as src:
        data = src.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return (f"exit status {status}",)
    reply: tuple[Any, ...] = pickle.loads(data)
    return reply


def _reply_quietly(pid: int, fd: int) -> None:
    """The child waited for (and its reply dropped) when the parent fails first."""
    with contextlib.suppress(OSError, ValueError):
        os.close(fd)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def _portable(exc: BaseException) -> tuple[Any, ...]:
    """``exc`` as it crosses to the parent (:func:`_rebuilt`): its class, ``args`` and
    attributes — rebuilt without calling its ``__init__``, which may take other arguments
    than the ``args`` it leaves (pickle would call it with those, and garble the message)
    — or, where they do not pickle, its class name and text; with the child's traceback."""
    text = "".join(traceback.format_exception(exc))
    state = (type(exc), exc.args, dict(getattr(exc, "__dict__", {})))
    try:
        pickle.loads(pickle.dumps(state))
    except Exception:
        return ("text", f"{type(exc).__name__}: {exc}", text)
    return ("exception", *state, text)


def _rebuilt(payload: tuple[Any, ...]) -> BaseException:
    """The exception :func:`_portable` sent, as the child raised it (or a RuntimeError with
    its text), the child's traceback as a note."""
    exc: BaseException
    if payload[0] == "exception":
        cls, args, attributes, text = payload[1:]
        exc = cls.__new__(cls, *args)
        exc.args = args
        exc.__dict__.update(attributes)
    else:
        text = payload[2]
        exc = RuntimeError(payload[1])
    with contextlib.suppress(Exception):
        exc.add_note(f"in the process writing the workbook:\n{text}")
    return exc


__all__ = ["MAX_ROWS", "Aborted", "ForkedCall", "fork_call", "pause_for_fork", "possible",
           "write"]
