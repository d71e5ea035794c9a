"""`pysnop recalc` as a process forks its plan (at any size) before openpyxl loads and before it
records the cycle's forecasts, and freezes what it made for the interpreter's exit (README
"Benchmarks", sixth round).

openpyxl takes a tenth of a second to import. A run needs it only to draw and save its sheets,
so it is loaded while the forked child computes the plan (Run.draw_ahead) instead of before:
nothing on the way to the fork may import it — the workbook's checks and scans included
(pysnop.workbook.sheet_names, write_check; sheetxml's cell references).
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

WATCH = textwrap.dedent("""
    import json, sys
    seen = []

    class Watch:
        def find_spec(self, name, path=None, target=None):
            if name == "openpyxl" and "openpyxl" not in seen:
                seen.append("openpyxl")
            return None

    sys.meta_path.insert(0, Watch())
    import os
    import pysnop.forking as forking
    import pysnop.pipeline.overlap as overlap

    overlap.MAX_ROWS = int(os.environ.get("MAX_ROWS", overlap.MAX_ROWS))
    plain_write = overlap.write

    def write(*args, **kwargs):
        seen.append("write forked")
        return plain_write(*args, **kwargs)

    overlap.write = write

    plain_fork_call = forking.fork_call

    def fork_call(fn, *args, **kwargs):
        seen.append("fork " + getattr(fn, "__name__", "?"))
        return plain_fork_call(fn, *args, **kwargs)

    forking.fork_call = fork_call
    import pysnop.store.history as history

    plain_record_cycle = history.record_cycle

    def record_cycle(*args, **kwargs):
        seen.append("record_cycle")
        return plain_record_cycle(*args, **kwargs)

    history.record_cycle = record_cycle
    import atexit
    atexit.register(lambda: print("SEEN " + json.dumps(seen)))
    sys.argv = ["pysnop", *sys.argv[1:]]
    from pysnop.cli.main import main
    main()
""")


def pysnop(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pysnop", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    where = tmp_path_factory.mktemp("demo")
    done = pysnop("demo", str(where), cwd=where)
    assert done.returncode == 0, done.stderr
    return where / "pysnop-demo.xlsx"


def watched(*args, cwd, env=None):
    done = subprocess.run([sys.executable, "-c", WATCH, *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd,
                          env=None if env is None else {**os.environ, **env})
    line = [s for s in done.stdout.splitlines() if s.startswith("SEEN ")]
    assert done.returncode == 0 and line, done.stdout + done.stderr
    return json.loads(line[-1][5:])


def test_the_plan_is_forked_before_openpyxl_loads(demo, tmp_path):
    # a re-run of the workbook pysnop wrote (its Bridge, Actions, Review sheets in it), in place
    seen = watched("recalc", str(demo), "--as-of", "2026-11-23", cwd=demo.parent)
    assert "fork plan_actions" in seen and "openpyxl" in seen  # it did both, in this order
    assert seen.index("fork plan_actions") < seen.index("openpyxl")


def test_the_plan_is_forked_before_the_forecasts_are_recorded(demo, tmp_path):
    # the history the consensus stage writes is not read on the way to the plan: it is
    # written while the plan is made (Run.defer_log), into the log the run holds
    seen = watched("recalc", str(demo), "--as-of", "2026-11-30", cwd=demo.parent)
    assert seen.count("record_cycle") == 1
    assert seen.index("fork plan_actions") < seen.index("record_cycle")


def test_the_plan_is_forked_at_any_size_the_write_up_to_max_rows(demo, tmp_path):
    # the demo's 72 sku-locations, with the write's limit set below them: the plan's child
    # holds little of its own and is forked at any size; the write is done in turn
    seen = watched("recalc", str(demo), "--as-of", "2026-12-07", cwd=demo.parent,
                   env={"MAX_ROWS": "10"})
    assert "fork plan_actions" in seen and "write forked" not in seen
    again = watched("recalc", str(demo), "--as-of", "2026-12-07", cwd=demo.parent)
    assert "fork plan_actions" in again and "write forked" in again


def test_the_objects_are_frozen_for_the_exit(tmp_path):
    # a command that never runs a pipeline (which freezes after its imports) freezes too
    code = ("import atexit, gc, sys; sys.argv = ['pysnop', '--help']; "
            "atexit.register(lambda: print('FROZEN', gc.get_freeze_count())); "
            "from pysnop.cli.main import main; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    frozen = [s for s in done.stdout.splitlines() if s.startswith("FROZEN ")]
    assert frozen and int(frozen[-1].split()[1]) > 0
