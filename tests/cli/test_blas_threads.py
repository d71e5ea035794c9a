"""The command line loads numpy with a one-thread OpenBLAS (its threads spun on the core the
run's second process works on), unless the user chose otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

# the environment the process sees, and its threads once numpy is loaded (Linux: /proc)
SCRIPT = ("import os, sys, pysnop.cli.main, numpy\n"
          "tasks = len(os.listdir('/proc/self/task')) if os.path.isdir('/proc/self/task') "
          "else -1\n"
          "print(os.environ.get('OPENBLAS_NUM_THREADS'), tasks)\n")


def _seen(env_value: str | None) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if env_value is not None:
        env["OPENBLAS_NUM_THREADS"] = env_value
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, check=True)
    value, tasks = done.stdout.split()
    return value, int(tasks)


def test_the_command_line_loads_numpy_with_one_blas_thread():
    value, tasks = _seen(None)
    assert value == "1"
    if tasks != -1:
        assert tasks == 1  # no BLAS thread beside the main one


def test_a_users_own_setting_is_kept():
    value, tasks = _seen("2")
    assert value == "2"
    if tasks != -1 and (os.cpu_count() or 1) >= 2:
        assert tasks == 2  # OpenBLAS took the user's two threads
