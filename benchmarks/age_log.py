"""Age a decision log by N weeks of a planning team's runs, for benchmarks.

    python benchmarks/age_log.py LOG OUT --weeks 50

OUT is LOG with, after LOG's newest recalc run, one recalc run a week for ``--weeks`` weeks:
each records that run's proposals again, half of them under new action ids (the plan moves:
half the actions are new each week, the ones they replace made obsolete), with the
'new proposal' and 'obsolete' events a run records — through DecisionLog.record_run, so the
log is sealed and verifies as a real one. At 4,000 sku-locations and 50 weeks: about
245,000 decisions and 125,000 actions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

from pysnop.core.decisions import Event
from pysnop.store.decision_log import DecisionLog


def age(log_path: Path, out: Path, weeks: int) -> None:
    shutil.copyfile(log_path, out)
    with DecisionLog(out) as log:
        last = log.runs("recalc")[-1]
        base = log.frame("proposals", "WHERE run_id = ? ORDER BY rank", (last["id"],))
        base = base.drop(columns=[c for c in ("id", "run_id") if c in base])
        start = dt.datetime.fromisoformat(str(last["at"])) + dt.timedelta(days=1)
        ids = list(base["action_id"])
        half = len(ids) // 2
        previous = set(ids)
        for week in range(weeks):
            at = start + dt.timedelta(weeks=week)
            frame = base.copy()
            frame["action_id"] = [f"{a}-w{week}" if i < half else a for i, a in enumerate(ids)]
            now = set(frame["action_id"])
            events = [Event(a, "status", None, "Proposed", "pysnop", at, "system",
                            "new proposal") for a in sorted(now - previous)]
            events += [Event(a, "status", "Proposed", "Obsolete", "pysnop", at, "system",
                             "obsolete") for a in sorted(previous - now)]
            log.record_run(kind="recalc", at=at, as_of=at.date(), user="bench",
                           counts={}, proposals=frame, events=events)
            previous = now


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--weeks", type=int, default=50)
    args = ap.parse_args()
    age(args.log, args.out, args.weeks)


if __name__ == "__main__":
    main()
