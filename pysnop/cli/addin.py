"""``pysnop addin build | install | uninstall``: the "S&OP Bridge" Excel add-in (pysnop.xlam).

Registered on the main group by ``register(cli)``. ``build`` works anywhere (it writes the
add-in from the text sources in ``pysnop/addin/``); ``install`` and ``uninstall`` are for Excel on
Windows and exit 2 elsewhere.

install:
  1. builds pysnop.xlam and copies it into Excel's startup folder
     (``%APPDATA%\\Microsoft\\Excel\\XLSTART``), so every Excel session loads the tab;
  2. writes the add-in's xlwings configuration ``%USERPROFILE%\\.pysnop\\pysnop.conf``:
     ``INTERPRETER_WIN`` (this Python) and ``UDF_MODULES`` (``pysnop.excel.udf``); other keys in
     the file are kept.
uninstall removes both (keys other than pysnop's stay; an emptied file is deleted).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

from pysnop.catalog import BUTTONS, FUNCTIONS, UDF_MODULE
from pysnop.cli.console import err, out

ADDIN_NAME = "pysnop.xlam"
CONFIG_KEYS: dict[str, str | None] = {"INTERPRETER_WIN": None, "UDF_MODULES": UDF_MODULE}


class AddinError(Exception):
    """A problem the person can fix; the message says how. ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def build_addin(output: Path | None = None) -> Path:
    from pysnop.addin import build  # its VBA and zip code: not for every command's start

    return build.build(output or Path.cwd() / ADDIN_NAME)


def xlstart_dir() -> Path:
    appdata = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"


def config_file() -> Path:
    home = os.environ.get("USERPROFILE") or str(Path.home())
    return Path(home) / ".pysnop" / "pysnop.conf"


def read_config(path: Path) -> dict[str, str]:
    """xlwings' config file: one ``"KEY","value"`` line per key."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or "," not in line:
            continue
        key, value = line.split(",", 1)
        out[key.strip().strip('"')] = value.strip().strip('"')
    return out


def write_config(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f'"{k}","{v}"\n' for k, v in values.items())
    path.write_text(text, encoding="utf-8")


def _windows_only(platform: str) -> None:
    if not platform.startswith("win"):
        raise AddinError("pysnop addin install/uninstall is for Excel on Windows; on this "
                         "system run 'pysnop addin build' and copy pysnop.xlam to a Windows "
                         "machine, or use 'pysnop recalc' (no Excel needed)", code=2)


def install(*, xlstart: Path | None = None, config: Path | None = None,
            interpreter: str | None = None, platform: str = sys.platform) -> list[str]:
    """Install the add-in; returns the lines saying what was done."""
    _windows_only(platform)
    xlstart = xlstart or xlstart_dir()
    config = config or config_file()
    interpreter = interpreter or sys.executable
    done = []
    with tempfile.TemporaryDirectory(prefix="pysnop-addin-") as tmp:
        built = build_addin(Path(tmp) / ADDIN_NAME)
        target = xlstart / ADDIN_NAME
        try:
            xlstart.mkdir(parents=True, exist_ok=True)
            replaced = target.exists()
            shutil.copyfile(built, target)
        except PermissionError as exc:
            raise AddinError(f"cannot write {target}: close Excel and run "
                             f"'pysnop addin install' again ({exc.strerror})") from exc
    done.append(f"{'replaced' if replaced else 'copied'} the add-in: {target}")
    values = read_config(config)
    before = dict(values)
    values.update({"INTERPRETER_WIN": interpreter, "UDF_MODULES": UDF_MODULE})
    write_config(config, values)
    changed = [k for k in ("INTERPRETER_WIN", "UDF_MODULES") if before.get(k) != values[k]]
    done.append(f"wrote {config}: INTERPRETER_WIN = {interpreter}, UDF_MODULES = pysnop.excel.udf"
                + ("" if changed else " (unchanged)"))
    done.append("start (or restart) Excel: the S&OP Bridge tab appears on the ribbon, and the "
                "worksheet functions (=STOCKOUT_RISK(...) etc.) work in every workbook")
    return done


def uninstall(*, xlstart: Path | None = None, config: Path | None = None,
              platform: str = sys.platform) -> list[str]:
    _windows_only(platform)
    xlstart = xlstart or xlstart_dir()
    config = config or config_file()
    done = []
    target = xlstart / ADDIN_NAME
    if target.exists():
        try:
            target.unlink()
        except PermissionError as exc:
            raise AddinError(f"cannot remove {target}: close Excel and run "
                             f"'pysnop addin uninstall' again ({exc.strerror})") from exc
        done.append(f"removed the add-in: {target}")
    else:
        done.append(f"no add-in at {target}: nothing to remove")
    values = read_config(config)
    ours = [k for k in CONFIG_KEYS if k in values]
    for key in ours:
        values.pop(key)
    if ours and values:
        write_config(config, values)
        done.append(f"removed {', '.join(ours)} from {config} (other keys kept)")
    elif ours:
        config.unlink()
        try:
            config.parent.rmdir()
        except OSError:
            pass
        done.append(f"removed {config}")
    else:
        done.append(f"no pysnop settings in {config}: nothing to remove")
    done.append("restart Excel: the S&OP Bridge tab is gone")
    return done


@click.group("addin")
def addin() -> None:
    """The S&OP Bridge Excel add-in (pysnop.xlam): build, install, uninstall.

    \b
    Examples:
      pysnop addin build -o dist/pysnop.xlam    build from pysnop/addin/ (any OS)
      pysnop addin install                      Windows: XLSTART + xlwings configuration
      pysnop addin uninstall
    """


def _guarded(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except AddinError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(exc.code)
    except Exception as exc:  # one line, never a traceback
        err.print(f"[red]internal error:[/] {type(exc).__name__}: {exc}. Please report it.")
        sys.exit(3)


@addin.command("build")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(ADDIN_NAME), show_default=True, help="Where to write the add-in.")
def build_cmd(output: Path) -> None:
    """Build pysnop.xlam from the text sources in pysnop/addin/ (ribbon XML, VBA .bas)."""
    path = _guarded(build_addin, output)
    out.print(f"built {path} ({path.stat().st_size:,} bytes): the S&OP Bridge tab, "
              f"{len(BUTTONS)} buttons, {len(FUNCTIONS)} worksheet functions")


@addin.command("install")
def install_cmd() -> None:
    """Windows: put pysnop.xlam in Excel's XLSTART and configure xlwings for pysnop."""
    for line in _guarded(install):
        out.print(line)


@addin.command("uninstall")
def uninstall_cmd() -> None:
    """Windows: remove pysnop.xlam from XLSTART and pysnop's xlwings configuration."""
    for line in _guarded(uninstall):
        out.print(line)


def register(group: click.Group) -> click.Group:
    """Add the ``addin`` command group to ``group`` (the ``pysnop`` click group)."""
    if "addin" not in group.commands:
        group.add_command(addin)
    return group


__all__ = ["addin", "build_addin", "install", "register", "uninstall"]
