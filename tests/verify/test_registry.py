"""The check registry: registration rules, error handling, selection; the suite proves every check."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from polyapprox.errors import ConfigError
from polyapprox.verify import registry as verify
from polyapprox.verify.registry import CHECKS, Check, load_checks, register, run_check, run_checks, select


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, restored afterwards."""
    load_checks()
    monkeypatch.setattr(verify, "CHECKS", dict(CHECKS))
    return verify.CHECKS


def test_suite_is_registered():
    checks = load_checks()
    assert len(checks) >= 12
    for family in ("lemma1.", "thm1.", "shared_coefficients.", "algebra."):
        assert any(i.startswith(family) for i in checks), family
    assert {f"lemma1.poly_degree_{k}" for k in range(1, 9)} <= set(checks)
    for c in checks.values():
        assert c.statement and "\n" not in c.statement and c.id == c.id.strip()


def test_register_rules(registry):
    @register("test.fake_proved", "1 = 1")
    def _():
        return SimpleNamespace(status="proved", method="fake")

    assert registry["test.fake_proved"].statement == "1 = 1"
    with pytest.raises(ConfigError, match="registered twice"):
        register("test.fake_proved", "again")(lambda: None)
    with pytest.raises(ConfigError, match="dotted name"):
        register("has space", "x")


def test_results_and_failures(registry):
    registry["test.a"] = Check("test.a", "a", lambda: SimpleNamespace(status="proved", method="algebraic"))
    registry["test.b"] = Check("test.b", "b", lambda: SimpleNamespace(status="evidence", method="points",
                                                                      detail="sampled"))

    def boom():
        raise RuntimeError("no")

    registry["test.c"] = Check("test.c", "c", boom)
    seen = []
    results = run_checks(prefix="test.", progress=seen.append)
    assert [r.id for r in results] == ["test.a", "test.b", "test.c"] == [r.id for r in seen]
    assert [r.status for r in results] == ["proved", "evidence", "error"]
    assert [r.proved for r in results] == [True, False, False]  # evidence is not a proof
    assert results[2].detail == "RuntimeError: no"
    d = results[0].to_dict()
    assert set(d) >= {"id", "statement", "status", "method", "seconds"} and d["seconds"] >= 0
    assert run_check(registry["test.a"]).method == "algebraic"


def test_select():
    assert [c.id for c in select(["lemma1.relu"])] == ["lemma1.relu"]
    assert all(c.id.startswith("lemma1.poly") for c in select(prefix="lemma1.poly"))
    with pytest.raises(ConfigError, match="unknown id"):
        select(["nope"])
    with pytest.raises(ConfigError, match="no check id starts with"):
        select(prefix="nope")


def test_whole_suite_proves():
    # `polyapprox verify`: every registered check must be *proved* (about 10 s on 2 cores)
    results = run_checks()
    assert len(results) == len(load_checks())
    assert [(r.id, r.status, r.detail) for r in results if not r.proved] == []


def test_modules_declare_their_families():
    """``--only`` imports a module only for its declared families: an undeclared family would go missing."""
    for c in load_checks().values():
        if c.module.startswith("polyapprox.verify."):
            assert c.id.split(".")[0] in verify.CHECK_MODULES[c.module], (c.id, c.module)


def test_prefix_imports_only_matching_modules():
    """``verify --only lemma1`` in a fresh process: only the Lemma 1 module is imported, in report order."""
    import subprocess
    import sys

    code = ("import sys; from polyapprox.verify.registry import select; ids = [c.id for c in select(prefix='lemma1')];"
            "print(sorted(m for m in sys.modules if m.startswith('polyapprox.verify.')), 'numpy' in sys.modules,"
            " ids[0], len(ids))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['polyapprox.verify._common',", "'polyapprox.verify.lemma1',",
                           "'polyapprox.verify.registry']", "False", "lemma1.identity", "22"]


@pytest.mark.parametrize(("family", "prefix", "match"), [
    ("lemma1", None, True), ("lemma1", "lemma", True), ("lemma1", "lemma1", True), ("lemma1", "lemma1.poly", True),
    ("lemma1", "lemma1.", True), ("lemma1", "lemma2", False), ("lemma1", "lemma10", False), ("thm1", "lemma", False),
])
def test_family_matches(family, prefix, match):
    assert verify.family_matches(family, prefix) is match


def test_report_order_whatever_was_imported_first():
    ids = [c.id for c in select()]
    firsts = [next(i for i, x in enumerate(ids) if x.split(".")[0] == f) for f in ("lemma1", "thm1", "paper")]
    assert firsts == sorted(firsts)
