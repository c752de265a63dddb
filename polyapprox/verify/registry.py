"""Registry of named checks: ``id -> statement -> Certificate``; ``polyapprox verify`` proves them all.

Each check is a precise one-line mathematical statement and a function that *proves* it with
``polyapprox.symbolic.prove_equal`` (or another exact method) and returns the ``Certificate``. A check
passes only with status ``proved``; ``evidence`` (sampled points) is a failure here.

Adding checks (another module, another helper):

1. write a module that imports ``register`` from here and decorates zero-argument functions::

       from polyapprox.verify.registry import register

       @register("sobolev.partition_of_unity", "sum_m phi_m(x) = 1 for all x in [0, 1]^d (d = 2, N = 3)")
       def _():
           return prove_equal(...)

2. add the module's dotted name and its id families to ``CHECK_MODULES`` below (one line). Ids are
   ``family.name``; ``--only`` selects by prefix and imports only the modules whose families match it
   (``tests/verify/test_registry.py`` fails when a module registers a family it does not declare).
   Importing a check module must be cheap: build and prove inside the functions.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from polyapprox.errors import ConfigError

#: Modules whose import registers checks, in report order, each with the id families (the part before the
#: first dot) it registers: ``--only PREFIX`` imports only the modules whose families can match PREFIX, so
#: ``verify --only lemma1`` does not pay for the imports of the other checks (numpy among them).
CHECK_MODULES: dict[str, tuple[str, ...]] = {
    "polyapprox.verify.lemma1": ("lemma1",),
    "polyapprox.verify.theorem1": ("thm1",),
    "polyapprox.verify.shared": ("shared_coefficients",),
    "polyapprox.verify.algebra": ("algebra",),
    "polyapprox.verify.rates": ("lemma2", "sobolev", "thm2", "yarotsky"),
    "polyapprox.verify.polynorm": ("polynorm",),
    "polyapprox.verify.paper": ("paper",),
}
#: report position of each check module (``_report_order``)
_ORDER = {module: i for i, module in enumerate(CHECK_MODULES)}


def family_matches(family: str, prefix: str | None) -> bool:
    """Whether some id ``family.name`` can start with ``prefix`` (None or "" matches every family)."""
    return not prefix or f"{family}.".startswith(prefix) or prefix.startswith(f"{family}.")


@dataclass(frozen=True)
class Check:
    """A named claim: ``run()`` returns a certificate whose ``status`` must be 'proved'."""

    id: str
    statement: str
    run: Callable[[], Any]

    @property
    def module(self) -> str:
        """The module that registered the check (where its function was defined)."""
        return str(getattr(self.run, "__module__", ""))


@dataclass(frozen=True)
class CheckResult:
    id: str
    statement: str
    status: str  # proved / refuted / unknown / evidence / error
    method: str
    seconds: float
    detail: str = ""

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


CHECKS: dict[str, Check] = {}


def register(check_id: str, statement: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator: register ``fn`` as check ``check_id`` (ids are unique)."""
    if not check_id or " " in check_id:
        raise ConfigError(f"check id: {check_id!r} must be a non-empty dotted name")

    def deco(fn: Callable[[], Any]) -> Callable[[], Any]:
        if check_id in CHECKS:
            raise ConfigError(f"check id: {check_id!r} registered twice")
        CHECKS[check_id] = Check(check_id, statement, fn)
        return fn

    return deco


def load_checks(prefix: str | None = None) -> dict[str, Check]:
    """Import the modules of ``CHECK_MODULES`` that register ids starting with ``prefix`` (all when None),
    registering their checks; returns ``CHECKS`` (which may hold more: modules imported earlier)."""
    for name, families in CHECK_MODULES.items():
        if any(family_matches(f, prefix) for f in families):
            importlib.import_module(name)
    return CHECKS


def _report_order(check: Check) -> int:
    """Position of the check's module in ``CHECK_MODULES`` (others last): the report order whatever was
    imported first."""
    return _ORDER.get(check.module, len(_ORDER))


def select(ids: Iterable[str] | None = None, prefix: str | None = None) -> list[Check]:
    """The checks with the given ids (all when None) whose id starts with ``prefix``; unknown ids raise.
    Only the check modules that ``prefix`` can match are imported when no ids are given."""
    checks = load_checks(prefix if ids is None else None)
    if ids is None:
        chosen = sorted(checks.values(), key=_report_order)  # stable: registration order within a module
    else:
        chosen = []
        for i in ids:
            if i not in checks:
                raise ConfigError(f"check: unknown id {i!r}")
            chosen.append(checks[i])
    if prefix:
        chosen = [c for c in chosen if c.id.startswith(prefix)]
        if not chosen:
            raise ConfigError(f"only: no check id starts with {prefix!r}")
    return chosen


def run_check(check: Check) -> CheckResult:
    """Run one check; an exception becomes status 'error' (a failure), never a crash of the suite."""
    t0 = time.perf_counter()
    try:
        cert = check.run()
    except Exception as exc:  # noqa: BLE001 - a crashing check is reported as a failed check
        return CheckResult(check.id, check.statement, "error", "-", time.perf_counter() - t0,
                           f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t0
    return CheckResult(check.id, check.statement, str(cert.status), str(cert.method), seconds,
                       str(getattr(cert, "detail", "") or ""))


def run_checks(ids: Iterable[str] | None = None, prefix: str | None = None,
               progress: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run the selected checks in registry order; ``progress`` is called after each."""
    results = []
    for check in select(ids, prefix):
        res = run_check(check)
        if progress is not None:
            progress(res)
        results.append(res)
    return results
