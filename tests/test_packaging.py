"""Packaging: the licence, typing marker, citation, URLs and the one version number agree with pyproject."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import polyapprox
from polyapprox.cli.main import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_license_file_matches_pyproject() -> None:
    assert PROJECT["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "License :: OSI Approved :: MIT License" in PROJECT["classifiers"]


def test_version_has_one_source() -> None:
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "polyapprox.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", polyapprox.__version__)


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"polyapprox {polyapprox.__version__}"


def test_typed_marker_is_package_data() -> None:
    assert (ROOT / "polyapprox" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["polyapprox"]


def test_urls_and_classifiers() -> None:
    assert {"Homepage", "Repository", "Issues"} <= set(PROJECT["urls"])
    assert all(u.startswith("https://") for u in PROJECT["urls"].values())
    assert any(c.startswith("Programming Language :: Python :: 3.") for c in PROJECT["classifiers"])


def test_torch_is_an_extra() -> None:
    assert not any(d.startswith("torch") for d in PROJECT["dependencies"])
    extras = PROJECT["optional-dependencies"]
    assert any(d.startswith("torch>=") for d in extras["torch"])
    assert any(d.startswith("torch>=") for d in extras["dev"])


def test_citation_cites_the_paper_and_the_software() -> None:
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    for line in ("cff-version: 1.2.0", "type: software", "license: MIT", "preferred-citation: *polycom",
                 'title: "Polynomial Composition Activations: Unleashing the Dynamics of Large Language Models"',
                 "family-names: Zhuo", "year: 2025", 'url: "https://arxiv.org/abs/2411.03884"'):
        assert line in text, line
