"""``pysnop watch``: recalculate a workbook each time it is saved.

    >>> from pysnop.operations.watch import watch
    >>> watch(["plan.xlsx"])                      # until Ctrl-C

Polling, no extra dependency: every ``interval`` seconds each watched file is ``stat``-ed.

* **Debounce**: a save is acted on only once the file has stayed the same (size and mtime)
  for ``debounce`` seconds, so the several writes of one Excel save (or a sync client
  copying the file in) give one recalculation.
* **Held by another program**: while Excel's lock file ``~$plan.xlsx`` sits beside the
  workbook, or the file cannot be opened, or it is not a complete zip yet, the run waits
  (reported once) and happens as soon as the file is free. Note: Excel keeps the lock file
  for as long as the workbook is open, so the run happens when the planner closes it —
  writing under an open Excel would only make Excel's next save overwrite the results.
* **Own writes**: after pysnop writes the file, its new size and mtime are remembered, so
  pysnop's own save does not trigger another run (no loop).

A directory argument watches every ``.xlsx``/``.xlsm`` in it (not lock files, backups or
pysnop's temporary files), including workbooks added later.
"""

from __future__ import annotations

import os
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pysnop.pipeline.run import recalc
from pysnop.workbook.ooxml.atomic import TEMP_PREFIX

WATCH_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Event:
    """Something the watcher did or saw, for the caller to show."""

    kind: str        # "run", "done", "failed", "waiting", "gone"
    path: Path
    message: str = ""
    report: object = None  # pysnop.pipeline.run.RunReport on "done"
    error: BaseException | None = None


@dataclass
class _State:
    seen: tuple[int, int] | None          # (size, mtime_ns) last observed
    changed_at: float | None = None       # clock time of the last observed change (pending)
    waiting: bool = False                 # a "waiting" event was sent for this change
    ours: tuple[int, int] | None = None   # what pysnop's own last write left


def lock_files(path: Path) -> list[Path]:
    """Excel's owner ("lock") files for ``path``: ``~$`` + the name, or, for longer names,
    ``~$`` replacing the name's first two characters (both forms occur)."""
    return [path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])]


def held_by_other(path: Path) -> str | None:
    """Why ``path`` cannot be recalculated right now, or None when it is free."""
    for lock in lock_files(path):
        if lock != path and lock.exists():
            return f"{path.name} is open in Excel ({lock.name} exists); waiting until it is closed"
    try:
        with open(path, "rb") as handle:
            if not zipfile.is_zipfile(handle):
                return f"{path.name} is still being written; waiting"
    except PermissionError:
        return f"{path.name} is locked by another program; waiting"
    except FileNotFoundError:
        return f"{path.name} is gone; waiting for it to come back"
    except OSError as exc:
        return f"{path.name} cannot be opened ({exc.strerror or exc}); waiting"
    return None


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _is_candidate(path: Path) -> bool:
    name = path.name
    return (path.suffix.lower() in WATCH_SUFFIXES and not name.startswith("~$")
            and not name.startswith(TEMP_PREFIX) and not name.startswith("."))


class Watcher:
    """The watch loop's state; :meth:`poll` does one step (testable with a fake clock)."""

    def __init__(self, paths: Iterable[str | os.PathLike], *,
                 run: Callable[[Path], object] | None = None, debounce: float = 2.0,
                 clock: Callable[[], float] = time.monotonic,
                 on_event: Callable[[Event], None] | None = None, run_at_start: bool = False,
                 **recalc_options):
        self.roots = [Path(p) for p in paths]
        self.debounce = float(debounce)
        self.clock = clock
        self.on_event = on_event or (lambda event: None)
        if run is None:
            def run(path: Path, _options=recalc_options):
                return recalc(path, **_options)
        self.run = run
        self.states: dict[Path, _State] = {}
        now = self.clock()
        for path in self._files():
            st = _stat(path)
            self.states[path] = _State(seen=st, changed_at=now if run_at_start else None)
        self.runs = 0

    def _files(self) -> list[Path]:
        files = []
        for root in self.roots:
            if root.is_dir():
                files.extend(sorted(p for p in root.iterdir() if p.is_file() and _is_candidate(p)))
            else:
                files.append(root)
        return files

    def poll(self) -> list[Event]:
        """Look at every file once; run the ones whose save has settled. Returns the events."""
        events: list[Event] = []
        now = self.clock()
        for path in self._files():
            state = self.states.get(path)
            st = _stat(path)
            if state is None:  # a new file in a watched folder: treat as just saved
                state = self.states[path] = _State(seen=None)
            if st != state.seen:
                state.seen = st
                if st is not None and st == state.ours:
                    continue  # pysnop's own write
                state.changed_at = now if st is not None else None
                state.waiting = False
                continue  # wait for the file to settle
            if state.changed_at is None or st is None:
                continue
            if now - state.changed_at < self.debounce:
                continue
            busy = held_by_other(path)
            if busy is not None:
                if not state.waiting:
                    state.waiting = True
                    events.append(self._emit(Event("waiting", path, busy)))
                continue
            events.append(self._run(path, state))
        return events

    def _run(self, path: Path, state: _State) -> Event:
        self._emit(Event("run", path, f"recalculating {path.name}"))
        state.changed_at = None
        state.waiting = False
        self.runs += 1
        try:
            report = self.run(path)
        except Exception as exc:  # PysnopError, or a bug: reported, the watch goes on
            state.seen = _stat(path)
            return self._emit(Event("failed", path, str(exc), error=exc))
        after = _stat(path)
        state.ours = after
        state.seen = after
        return self._emit(Event("done", path, f"{path.name} recalculated", report=report))

    def _emit(self, event: Event) -> Event:
        self.on_event(event)
        return event


def watch(paths: Iterable[str | os.PathLike], *, interval: float = 1.0, debounce: float = 2.0,
          on_event: Callable[[Event], None] | None = None,
          should_stop: Callable[[], bool] = lambda: False,
          sleep: Callable[[float], None] = time.sleep,
          clock: Callable[[], float] = time.monotonic, run=None, run_at_start: bool = False,
          **recalc_options) -> Watcher:
    """Poll ``paths`` every ``interval`` seconds until ``should_stop()`` (or Ctrl-C).

    ``recalc_options`` go to :func:`pysnop.pipeline.run.recalc` (``as_of``, ``backup``,
    ``export_dir``).
    """
    watcher = Watcher(paths, run=run, debounce=debounce, clock=clock, on_event=on_event,
                      run_at_start=run_at_start, **recalc_options)
    while not should_stop():
        watcher.poll()
        if should_stop():
            break
        sleep(interval)
    return watcher
