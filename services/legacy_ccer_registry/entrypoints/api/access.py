"""Who may call each route of the legacy registry (api.md "legacy_ccer_registry"), and what a caller
gets for someone else's object. The routers' role dependencies (``deps.py``) enforce it, the
repositories' scope rule hides what is not the caller's (404), and ``tests/security`` walks every
route × role."""

from __future__ import annotations

from shared.api_deps import COMMON_ACCESS, EXCHANGE, HOLDER, NCSC, PROVINCE, REGISTRY, SIM_ADMIN, AccessTable, allow

__all__ = ["ACCESS"]

API = "/api/v1"

ACCESS: AccessTable = COMMON_ACCESS | {
    # accounts: NCSC opens them; the holder and NCSC read them
    f"POST {API}/accounts": allow(every=NCSC),
    f"GET {API}/accounts/{{account_id}}": allow(own=HOLDER, every=NCSC),
    f"GET {API}/accounts/{{account_id}}/holdings": allow(own=HOLDER, every=NCSC),
    f"POST {API}/accounts/{{account_id}}/transfers": allow(own=HOLDER),
    # account applications: the applicant, the exchange it applied through, NCSC
    f"POST {API}/account-applications": allow(own=HOLDER, others=422),  # another's USCC: NOT_OWN_ORG
    f"GET {API}/account-applications": allow(own=HOLDER | EXCHANGE, every=NCSC),
    f"GET {API}/account-applications/{{application_id}}": allow(own=HOLDER | EXCHANGE, every=NCSC),
    f"PUT {API}/account-applications/{{application_id}}": allow(own=HOLDER),
    f"POST {API}/account-applications/{{application_id}}/reviews": allow(own=EXCHANGE, every=NCSC),
    # projects and issuance: NCSC
    f"POST {API}/projects": allow(every=NCSC),
    f"POST {API}/projects/{{project_number}}/issuances": allow(every=NCSC),
    # trades: an operator of the exchange the accounts trade at (accounts of another exchange: 404)
    f"POST {API}/trades": allow(own=EXCHANGE),
    # cancellations (自愿注销): the holder; its province and NCSC read them
    f"POST {API}/cancellations": allow(own=HOLDER),
    f"GET {API}/cancellations": allow(own=HOLDER | PROVINCE, every=NCSC),
    f"GET {API}/cancellations/{{cancellation_id}}": allow(own=HOLDER | PROVINCE, every=NCSC),
    # sync applications (the appendix form): the holder; NCSC decides
    f"POST {API}/sync-applications": allow(own=HOLDER, others=422),  # "unknown or not yours", every line
    f"GET {API}/sync-applications": allow(own=HOLDER, every=NCSC),
    f"GET {API}/sync-applications/{{application_id}}": allow(own=HOLDER, every=NCSC),
    f"POST {API}/sync-applications/{{application_id}}/decision": allow(every=NCSC),
    # a unit's history: its holder, NCSC, the allowance registry's operators
    f"GET {API}/serials/{{serial}}": allow(own=HOLDER, every=NCSC | REGISTRY),
    f"GET {API}/admin/reconciliation": allow(every=NCSC | SIM_ADMIN),
}
