"""A second process for a run (the forks: :mod:`pysnop.forking`): the action plan made by
a forked child while the run reads the Actions sheet and the log (``fork_call``), and the
workbook drawn and saved by a forked child while the run records itself in the log
(:func:`write`).

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
Linux forks after pandas and numpy have loaded, see ``fork_alone``); a book open in Excel;
with another thread running (a fork copies only the calling thread — the command line's
progress spinner is paused for the fork, ``pause_for_fork``); and, for the write, above
:data:`MAX_ROWS` sku-locations, where the child drawing and saving while the parent records
costs more memory than the limit allows (at 100,000: 1.9 GiB for the two processes, their
proportional set sizes summed, against 1.5 GiB in turn). The plan's child is forked at any
size: it holds little of its own (100,000: the same peak, 1.47 GiB, and 2.2 s less).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from pysnop import forking
from pysnop.forking import Aborted

if TYPE_CHECKING:  # the command line imports this module before pandas & co. (a fork pause)
    from pysnop.store.chain import Stamp
    from pysnop.workbook.book import Book, FileBook
    from pysnop.workbook.render.canvas import Renderer
    from pysnop.workbook.render.review import ReviewData

MAX_ROWS = 20_000  # sku-locations written by a forked child (see the module doc)


def possible(book: Book, rows: int) -> bool:
    from pysnop.workbook.book import FileBook

    return (forking.FORKS and isinstance(book, FileBook) and book.headless
            and rows <= MAX_ROWS and threading.current_thread() is threading.main_thread())


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
    pid = forking.fork_alone()
    if pid is None:
        for fd in (to_child_r, to_child_w, to_parent_r, to_parent_w):
            os.close(fd)
        return None
    if pid == 0:
        def save() -> tuple[Any, ...]:
            inbox = _Inbox(to_child_r)
            return ("ok", apply(draw(inbox.review), inbox.stamp))

        forking.child(save, to_parent_w, (to_child_w, to_parent_r))
    os.close(to_child_r)
    os.close(to_parent_w)
    outbox = os.fdopen(to_child_w, "wb")
    answer: tuple[Any, ...] | None = None
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
        answer = forking.reply(pid, to_parent_r)
    finally:
        if answer is None:  # failed first: the child is told, and waited for
            forking.reply_quietly(pid, to_parent_r)
    if answer[0] == "ok":
        book.mark_written()  # as apply() leaves it, had this process written it
        said: list[Any] = answer[1]
        return said
    if answer[0] == "error":
        raise forking.rebuilt(answer[1])
    raise RuntimeError(f"the process writing the workbook stopped ({answer[0]})")


def _send(out: BinaryIO, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        out.write(len(data).to_bytes(8, "big") + data)
        out.flush()  # the child reads it now, not when the pipe closes
    except (BrokenPipeError, ValueError):  # the child stopped (it failed): its reply says
        pass


__all__ = ["MAX_ROWS", "possible", "write"]
