"""The installed package is complete: the add-in's text sources are package data (so
``pysnop addin build`` works from a wheel, outside a checkout), and the libraries whose
private APIs pysnop uses are at versions it supports."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata, resources
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from pysnop.addin import build

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("customUI.xml", "pysnop.bas")


def test_the_add_in_sources_are_found_as_package_data():
    package = resources.files("pysnop.addin")
    for name in SOURCES:
        assert package.joinpath(name).is_file(), name
    assert build.CUSTOM_UI.parent == build.BAS.parent == Path(str(package))
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["pysnop.addin"]
    assert set(SOURCES) <= set(declared)


@pytest.mark.slow
def test_the_wheel_carries_the_add_in_sources(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("pysnop-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SOURCES:
        assert f"pysnop/addin/{name}" in names, name


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(s) for s in project["dependencies"]]


@pytest.mark.parametrize("requirement", _declared(), ids=lambda r: r.name)
def test_installed_libraries_are_within_the_supported_range(requirement):
    """openpyxl, formulas/schedula and xlwings are used through private APIs: a version
    outside the declared range must fail here, loudly, not deep inside a write."""
    try:
        installed = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{requirement.name} is not installed (pysnop needs {requirement})")
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{requirement.name} {installed} is installed; pysnop supports {requirement.specifier} "
        f"— check its private-API uses before widening the range in pyproject.toml")
