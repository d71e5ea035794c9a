"""Forked children for a second core: one routine to fork, one to live as a child, one to
take its answer.

pysnop's Python work holds the GIL, so a thread on the second core only takes turns with the
first; a forked child runs beside it on its own copy of the process. Used by the command
line's log check while it imports (:mod:`pysnop.store.preverify`) and by a run's plan and
write (:mod:`pysnop.pipeline.overlap`). Only on Linux, and only by a process with one thread
(:func:`fork_alone`); a child never returns and never runs its parent's exit handlers; its
answer — a value, or what it raised, rebuilt as it was — comes back pickled through a pipe.
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
from typing import Any, Generic, NoReturn, TypeVar

# macOS's system libraries (Accelerate, which numpy uses there, among them) are not safe to
# use in a child forked after they loaded; Windows has no fork
FORKS = sys.platform.startswith("linux")
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


def fork_alone() -> int | None:
    """``os.fork()`` with no other thread running (the threads :func:`pause_for_fork` names
    stopped for it, others given :data:`SETTLE_SECONDS` to end); None when another thread
    is still running or the system is not Linux (see :data:`FORKS`)."""
    if not FORKS or not hasattr(os, "fork"):
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
    """Raised in a child told by its parent to stop: it answers "aborted"."""


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
            reply_quietly(self.pid, self.fd)
            self.outcome = ("cancelled",)

    def result(self) -> T:
        if self.outcome is None:
            self.outcome = reply(self.pid, self.fd)
        if self.outcome[0] == "ok":
            value: T = self.outcome[1]
            return value
        if self.outcome[0] == "error":
            raise rebuilt(self.outcome[1])
        raise RuntimeError(f"the process computing in parallel stopped ({self.outcome[0]})")


def fork_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> ForkedCall[T] | None:
    """Compute ``fn(*args, **kwargs)`` in a forked child (a second core, not a thread
    taking turns with this one for the GIL); None when no child can be forked (see
    :func:`fork_alone`) — the caller computes it another way. ``fn`` must return what it
    computes and change nothing the caller reads later: the child's changes stay in the
    child."""
    read_end, write_end = os.pipe()
    pid = fork_alone()
    if pid is None:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:
        child(lambda: ("ok", fn(*args, **kwargs)), write_end, (read_end,))
    os.close(write_end)
    return ForkedCall(pid, read_end)


def child(work: Callable[[], tuple[Any, ...]], answer_fd: int,
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
            answer = ("error", portable(exc))
        with os.fdopen(answer_fd, "wb") as out:
            out.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(code)


def reply(pid: int, fd: int) -> tuple[Any, ...]:
    with os.fdopen(fd, "rb") as src:
        data = src.read()
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # waited for already
        status = 0
    if not data:
        return (f"exit status {status}",)
    reply: tuple[Any, ...] = pickle.loads(data)
    return reply


def reply_quietly(pid: int, fd: int) -> None:
    """The child waited for (and its reply dropped) when the parent fails first."""
    with contextlib.suppress(OSError, ValueError):
        os.close(fd)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def portable(exc: BaseException) -> tuple[Any, ...]:
    """``exc`` as it crosses to the parent (:func:`rebuilt`): its class, ``args`` and
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


def rebuilt(payload: tuple[Any, ...]) -> BaseException:
    """The exception :func:`portable` sent, as the child raised it (or a RuntimeError with
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
        exc.add_note(f"in the child process:\n{text}")
    return exc


__all__ = ["FORKS", "Aborted", "ForkedCall", "child", "fork_alone", "fork_call", "pause_for_fork",
           "portable", "rebuilt", "reply", "reply_quietly"]
