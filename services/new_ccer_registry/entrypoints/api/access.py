"""Who may call each route of the new registry (api.md "new_ccer_registry"), and what a caller gets
for someone else's object. The routers' role dependencies (``deps.py``) enforce it, the repositories'
scope rule hides what is not the caller's (404), and ``tests/security`` walks every route × role."""

from __future__ import annotations

from shared.api_deps import (
    ANY_ROLE,
    COMMON_ACCESS,
    EXCHANGE,
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

ACCESS: AccessTable = COMMON_ACCESS | {
    # joint account opening (seed 004): the applicant, the CCER exchange it is routed to, NCSC
    f"POST {API}/account-applications": allow(own=HOLDER, others=422),  # another's USCC: NOT_OWN_ORG
    f"GET {API}/account-applications/checklist": allow(every=ANY_ROLE),
    f"GET {API}/account-applications": allow(own=HOLDER | EXCHANGE, every=NCSC),
    f"GET {API}/account-applications/{{application_id}}": allow(own=HOLDER | EXCHANGE, every=NCSC),
    f"PUT {API}/account-applications/{{application_id}}": allow(own=HOLDER),
    f"POST {API}/account-applications/{{application_id}}/paper-received": allow(own=EXCHANGE),
    f"POST {API}/account-applications/{{application_id}}/reviews": allow(own=EXCHANGE, every=NCSC),
    # accounts: the holder and NCSC only (not the account's province)
    f"POST {API}/accounts": allow(every=NCSC),
    f"GET {API}/accounts/{{account_id}}": allow(own=HOLDER, every=NCSC),
    f"POST {API}/accounts/{{account_id}}/fees": allow(own=HOLDER),
    f"GET {API}/accounts/{{account_id}}/fees": allow(own=HOLDER, every=NCSC),
    f"POST {API}/accounts/{{account_id}}/binding": allow(own=HOLDER),
    f"GET {API}/accounts/{{account_id}}/binding": allow(own=HOLDER),
    f"POST {API}/accounts/{{account_id}}/transfers": allow(own=HOLDER),
    f"GET {API}/accounts/{{account_id}}/holdings": allow(own=HOLDER, every=NCSC),
    # projects and issuance: NCSC; a project's public facts for anyone signed in
    f"POST {API}/projects": allow(every=NCSC),
    f"GET {API}/projects/{{number}}": allow(every=ANY_ROLE),
    f"POST {API}/projects/{{number}}/issuances": allow(every=NCSC),
    # trades: only the CCER exchange (another exchange: NOT_CCER_EXCHANGE, 403)
    f"POST {API}/trades": allow(own=EXCHANGE, others=403),
    # offset lots and cancellations: the holder, its province, NCSC
    f"POST {API}/offset-lots": allow(own=HOLDER),
    f"GET {API}/offset-lots": allow(own=HOLDER | PROVINCE, every=NCSC),
    f"GET {API}/offset-lots/{{lot_id}}": allow(own=HOLDER | PROVINCE, every=NCSC),
    f"GET {API}/cancellations": allow(own=HOLDER | PROVINCE, every=NCSC),
    # legacy units synced in: the holder answers; NCSC follows the disputes
    f"GET {API}/legacy-syncs": allow(own=HOLDER, every=NCSC),
    f"GET {API}/legacy-syncs/{{sync_id}}": allow(own=HOLDER, every=NCSC),
    f"POST {API}/legacy-syncs/{{sync_id}}/confirm": allow(own=HOLDER),
    f"POST {API}/legacy-syncs/{{sync_id}}/dispute": allow(own=HOLDER),
    # a unit's history: its holder, NCSC, the allowance registry's operators
    f"GET {API}/serials/{{serial}}": allow(own=HOLDER, every=NCSC | REGISTRY),
    f"GET {API}/admin/reconciliation": allow(every=NCSC | SIM_ADMIN),
}
