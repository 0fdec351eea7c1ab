"""Who may call each route of the allowance registry (api.md "allowance_registry"), and what a caller
gets for someone else's object. The routers' role dependencies (``deps.py``) enforce it, the
repositories' scope rule hides what is not the caller's (404), and ``tests/security`` walks every
route × role."""

from __future__ import annotations

from shared.api_deps import (
    ANY_ROLE,
    COMMON_ACCESS,
    HOLDER,
    NCSC,
    PROVINCE,
    REGISTRY,
    SIM_ADMIN,
    AccessTable,
    allow,
)

__all__ = ["ACCESS"]

API = "/api/v1"
INITIATOR = {"registry_initiator"}  # 发起管理员 (maker)
CONFIRMER = {"registry_confirmer"}  # 确认管理员 (checker)

ACCESS: AccessTable = COMMON_ACCESS | {
    # accounts: the registry opens them; the holder, its province and the registry read them
    f"POST {API}/accounts": allow(every=INITIATOR),
    f"GET {API}/accounts": allow(own=HOLDER | PROVINCE, every=REGISTRY),
    f"GET {API}/accounts/{{account_id}}": allow(own=HOLDER | PROVINCE, every=REGISTRY),
    f"GET {API}/accounts/{{account_id}}/holdings": allow(own=HOLDER | PROVINCE),
    f"GET {API}/accounts/{{account_id}}/holdings/{{instrument}}/movements": allow(own=HOLDER | PROVINCE),
    f"POST {API}/accounts/{{account_id}}/transfers": allow(own=HOLDER),
    f"GET {API}/accounts/{{account_id}}/overview": allow(own=HOLDER | PROVINCE),
    # allocation, instruments and the rules in force
    f"POST {API}/allocations": allow(every=INITIATOR),
    f"POST {API}/instruments": allow(every=INITIATOR),
    f"GET {API}/instruments": allow(every=ANY_ROLE),
    f"POST {API}/compliance-periods": allow(every=INITIATOR),
    f"POST {API}/compliance-periods/{{code}}/approve": allow(every=CONFIRMER),
    f"GET {API}/compliance-periods": allow(every=ANY_ROLE),
    f"GET {API}/compliance-periods/{{code}}": allow(every=ANY_ROLE),
    # notices: the registry to the provinces, the province to its units
    f"POST {API}/provincial-notices": allow(every=INITIATOR),
    f"GET {API}/provincial-notices": allow(own=PROVINCE, every=REGISTRY),
    f"POST {API}/notices": allow(own={"province_initiator"}),
    f"GET {API}/notices": allow(own=HOLDER | PROVINCE),
    f"GET {API}/notices/{{notice_id}}": allow(own=HOLDER | PROVINCE),
    f"GET {API}/pending-offsets": allow(own=HOLDER | PROVINCE),
    # 抵销登记 (seed 001 第八步): the unit its own, the province its region's, the registry all
    f"GET {API}/offset-registrations": allow(own=HOLDER | PROVINCE, every=REGISTRY),
    # a unit's history: its holder, the registry, NCSC
    f"GET {API}/serials/{{serial}}": allow(own=HOLDER, every=REGISTRY | NCSC),
    # compliance applications: the holder makes them, its province reads them
    f"POST {API}/applications": allow(own=HOLDER),
    f"PUT {API}/applications/{{application_id}}": allow(own=HOLDER),
    f"POST {API}/applications/{{application_id}}/submit": allow(own=HOLDER),
    f"GET {API}/applications": allow(own=HOLDER | PROVINCE),
    f"GET {API}/applications/{{application_id}}": allow(own=HOLDER | PROVINCE),
    f"GET {API}/compliance-stats": allow(own=PROVINCE, every=REGISTRY),
    # first period: offset-CCER creation requests (registry roles; the unit its own)
    f"GET {API}/offset-ccer-requests": allow(own=HOLDER, every=REGISTRY),
    f"GET {API}/offset-ccer-requests/unmatched": allow(every=REGISTRY),
    f"GET {API}/offset-ccer-requests/{{request_id}}": allow(own=HOLDER, every=REGISTRY),
    f"POST {API}/offset-ccer-requests/{{request_id}}/submit": allow(every=INITIATOR),
    f"POST {API}/offset-ccer-requests/{{request_id}}/approve": allow(every=CONFIRMER),
    f"POST {API}/offset-ccer-requests/{{request_id}}/reject": allow(every=CONFIRMER),
    # reconciliation (账实核对): the registry's operators and the simulation's operator
    f"GET {API}/admin/reconciliation": allow(every=REGISTRY | SIM_ADMIN),
    f"GET {API}/admin/reconciliation/lots": allow(every=REGISTRY | SIM_ADMIN),
}
