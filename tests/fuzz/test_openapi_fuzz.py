"""Every operation of every service's OpenAPI document, fuzzed by schemathesis with a token of each
role and a bounded number of examples (``CCER_FUZZ_EXAMPLES`` per operation, default 8; each example is
sent with a token of each of the eight roles).
Checks: no 5xx, documented status codes, documented content types, response bodies that match their
schema. Run with ``CCER_FUZZ=1`` (see ``conftest.py``)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

if not os.environ.get("CCER_FUZZ"):
    pytest.skip("fuzzing runs in its own CI step: set CCER_FUZZ=1", allow_module_level=True)
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth import ROLES, mint_token  # noqa: E402
from shared.clock import Clock  # noqa: E402
from shared.messaging.memory import InMemoryBroker  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.uscc import make_uscc  # noqa: E402
from shared.webapp import create_service_app  # noqa: E402
from tests.fuzz.conftest import FAILED, SENT  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SECRET = Settings().secret  # every service under test has the simulation's default secret
EXAMPLES = int(os.environ.get("CCER_FUZZ_EXAMPLES", "8"))
CLAIMS: dict[str, dict[str, str]] = {
    "enterprise": {"org": make_uscc("91110000100000000")},
    "province_initiator": {"province": "110000"},
    "province_confirmer": {"province": "110000"},
    "exchange_operator": {"exchange": "CBGEX"},
}
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,  # the same cases on every run: a CI failure is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _schema(service: str) -> Any:
    import importlib

    from shared.runtime import Runtime

    bootstrap = importlib.import_module(f"services.{service}.bootstrap").bootstrap
    spec = importlib.import_module(f"services.{service}.entrypoints.api").API
    data = tempfile.mkdtemp(prefix=f"fuzz-{service}-")
    config = Settings(db_url=f"sqlite+aiosqlite:///{data}/{service}.db")

    def runtime(s: Settings) -> Runtime[Any]:
        runtime: Runtime[Any] = bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker())
        return runtime

    app = create_service_app(runtime, spec, config)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return schema


def _headers(secret: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(secret, role, sub=f'fuzz-{role}', **CLAIMS.get(role, {}))}"}


def _fuzz(service: str, case: Any) -> None:
    """The case sent once with a token of each role (so each role meets the same inputs). Failures
    are recorded, not raised, so that one run counts every kind of failure on every operation (a
    raised one would stop Hypothesis at the first); the session fails if any was recorded."""
    for role in ROLES:
        response = case.call(headers=_headers(SECRET, role))
        SENT[service][response.status_code] += 1
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as failure:  # a BaseExceptionGroup, not an Exception
                for one in getattr(failure, "exceptions", [failure]):
                    detail = " ".join(str(getattr(one, "message", one)).split())[:160]
                    kind = (check.__name__, str(getattr(one, "title", type(one).__name__)), detail)
                    FAILED[service][kind].add(f"{case.operation.label} → {response.status_code}")


# Loaded at import (schemathesis's lazy ``from_fixture`` fails on pytest 9, which dropped
# ``Node._nodeid``); the module is skipped before this unless CCER_FUZZ is set.
new_schema = _schema("new_ccer_registry")
legacy_schema = _schema("legacy_ccer_registry")
allowance_schema = _schema("allowance_registry")
review_schema = _schema("provincial_review")


@new_schema.parametrize()
@FUZZ
def test_new_ccer_registry(case: Any) -> None:
    _fuzz("new_ccer_registry", case)


@legacy_schema.parametrize()
@FUZZ
def test_legacy_ccer_registry(case: Any) -> None:
    _fuzz("legacy_ccer_registry", case)


@allowance_schema.parametrize()
@FUZZ
def test_allowance_registry(case: Any) -> None:
    _fuzz("allowance_registry", case)


@review_schema.parametrize()
@FUZZ
def test_provincial_review(case: Any) -> None:
    _fuzz("provincial_review", case)
