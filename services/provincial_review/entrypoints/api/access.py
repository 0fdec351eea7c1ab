"""Who may call each route of the provincial review (api.md "provincial_review"), and what a caller
gets for someone else's object. The routers' role dependencies (``deps.py``) enforce it, the
repositories' scope rule hides what is not the caller's (404), and ``tests/security`` walks every
route × role."""

from __future__ import annotations

from shared.api_deps import COMMON_ACCESS, HOLDER, NCSC, PROVINCE, REGISTRY, AccessTable, allow

__all__ = ["ACCESS"]

API = "/api/v1"

ACCESS: AccessTable = COMMON_ACCESS | {
    # review cases: the province's two officers, of their own province only
    f"GET {API}/reviews": allow(own=PROVINCE),
    f"GET {API}/reviews/{{case_id}}": allow(own=PROVINCE),
    f"POST {API}/reviews/{{case_id}}/first-review": allow(own={"province_initiator"}),
    f"POST {API}/reviews/{{case_id}}/second-review": allow(own={"province_confirmer"}),
    f"GET {API}/dashboard": allow(own=PROVINCE),
    # first-period offset forms: the unit fills them in, its province decides; the unit reads its own
    f"POST {API}/offset-forms": allow(own=HOLDER, others=403),  # another unit's USCC: FORM_NOT_OWN_UNIT
    f"PUT {API}/offset-forms/{{form_id}}": allow(own=HOLDER),
    f"POST {API}/offset-forms/{{form_id}}/decision": allow(own=PROVINCE),
    f"POST {API}/offset-forms/{{form_id}}/cancellation-proof": allow(own=HOLDER),
    f"GET {API}/offset-forms": allow(own=HOLDER | PROVINCE),
    f"GET {API}/offset-forms/{{form_id}}": allow(own=HOLDER | PROVINCE),
    # the weekly summaries go to NCSC; a province reads its own
    f"GET {API}/offset-form-summaries": allow(own=PROVINCE, every=NCSC),
    # the handling of overdue units: the province records it; its report goes to the ministry, read by
    # the national registry's operators on its behalf (seed 001 二 报送我部)
    f"GET {API}/overdue-handling": allow(own=PROVINCE, every=REGISTRY),
    f"PUT {API}/overdue-handling/{{notice_id}}": allow(own=PROVINCE),
}
