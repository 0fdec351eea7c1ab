"""Function-level authorisation of every allowance-registry endpoint: each declares its roles and every
other role answers 403 (object-level scope, 404, is tested beside each resource)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import ROLES
from tests.harness import Stack, uscc
from tests.integration.allowance_support import API, client

pytestmark = pytest.mark.integration

ANY = frozenset(ROLES)
HOLDER_PROVINCE = frozenset({"enterprise", "province_initiator", "province_confirmer"})
REGISTRY = frozenset({"registry_initiator", "registry_confirmer"})
PROVINCE = frozenset({"province_initiator", "province_confirmer"})

ENDPOINTS: list[tuple[str, str, frozenset[str]]] = [
    ("POST", "/accounts", frozenset({"registry_initiator"})),
    ("GET", "/accounts", HOLDER_PROVINCE | REGISTRY),
    ("GET", "/accounts/ALA-x", HOLDER_PROVINCE | REGISTRY),
    ("GET", "/accounts/ALA-x/holdings", HOLDER_PROVINCE),
    ("GET", "/accounts/ALA-x/holdings/PE2021000097/movements", HOLDER_PROVINCE),
    ("GET", "/accounts/ALA-x/overview", HOLDER_PROVINCE),
    ("GET", "/serials/CCER-1-2024-1", REGISTRY | {"enterprise", "ncsc_operator"}),
    ("POST", "/accounts/ALA-x/transfers", frozenset({"enterprise"})),
    ("POST", "/allocations", frozenset({"registry_initiator"})),
    ("POST", "/instruments", frozenset({"registry_initiator"})),
    ("GET", "/instruments", ANY),
    ("POST", "/compliance-periods", frozenset({"registry_initiator"})),
    ("POST", "/compliance-periods/x/approve", frozenset({"registry_confirmer"})),
    ("GET", "/compliance-periods", ANY),
    ("GET", "/compliance-periods/x", ANY),
    ("POST", "/provincial-notices", frozenset({"registry_initiator"})),
    ("GET", "/provincial-notices", REGISTRY | PROVINCE),
    ("POST", "/notices", frozenset({"province_initiator"})),
    ("GET", "/notices", HOLDER_PROVINCE),
    ("GET", "/notices/NTC-x", HOLDER_PROVINCE),
    ("GET", "/pending-offsets", HOLDER_PROVINCE),
    ("GET", "/offset-registrations", HOLDER_PROVINCE | REGISTRY),
    ("POST", "/applications", frozenset({"enterprise"})),
    ("GET", "/applications", HOLDER_PROVINCE),
    ("GET", "/applications/APP-x", HOLDER_PROVINCE),
    ("PUT", "/applications/APP-x", frozenset({"enterprise"})),
    ("POST", "/applications/APP-x/submit", frozenset({"enterprise"})),
    # first period: offset-CCER creation requests
    ("GET", "/offset-ccer-requests", REGISTRY | {"enterprise"}),
    ("GET", "/offset-ccer-requests/unmatched", REGISTRY),
    ("GET", "/offset-ccer-requests/OCR-x", REGISTRY | {"enterprise"}),
    ("POST", "/offset-ccer-requests/OCR-x/submit", frozenset({"registry_initiator"})),
    ("POST", "/offset-ccer-requests/OCR-x/approve", frozenset({"registry_confirmer"})),
    ("POST", "/offset-ccer-requests/OCR-x/reject", frozenset({"registry_confirmer"})),
]


def claims(role: str) -> dict[str, Any]:
    return {
        "enterprise": {"org": uscc()},
        "province_initiator": {"province": "110000"},
        "province_confirmer": {"province": "110000"},
        "exchange_operator": {"exchange": "CBGEX"},
    }.get(role, {})


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
async def test_every_other_role_is_forbidden(stack: Stack, method: str, path: str, allowed: frozenset[str]) -> None:
    for role in ROLES:
        answer = await client(stack).request(
            method,
            f"{API}{path}",
            json={} if method in ("POST", "PUT") else None,
            headers=stack.token(role, **claims(role)),
        )
        if role in allowed:
            assert answer.status_code not in (403, 500), (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.status_code, answer.text)
            assert answer.json()["code"] == "FORBIDDEN_ROLE"
    assert (await client(stack).request(method, f"{API}{path}")).status_code == 401
