"""What a province reads: its review cases and its dashboard. Every read goes through the scope rule
(a province sees its own region; nobody else sees anything)."""

from __future__ import annotations

from services.provincial_review.adapters.orm import ReviewCase
from services.provincial_review.domain.access import OPERATORS
from services.provincial_review.service_layer.commands import GetCase, GetDashboard, ListCases
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from services.provincial_review.service_layer.views import CasePage, CaseView, Dashboard, UnitShort
from shared.errors import Forbidden
from shared.principal import Principal
from shared.scope import Scope

__all__ = ["dashboard", "get_case", "list_cases", "scope_of", "view_of"]


def scope_of(principal: Principal) -> Scope:
    return Scope.of(principal, operators=OPERATORS)


async def view_of(uow: ReviewUnitOfWork, case: ReviewCase) -> CaseView:
    history = await uow.history.of([case.id])
    return CaseView(case, tuple(history[case.id]))


async def get_case(uow: ReviewUnitOfWork, cmd: GetCase, principal: Principal) -> CaseView:
    return await view_of(uow, await uow.cases.get(cmd.case_id, scope_of(principal)))


async def list_cases(uow: ReviewUnitOfWork, cmd: ListCases, principal: Principal) -> CasePage:
    # One row more than the page tells whether another page follows.
    cases = await uow.cases.search(
        scope_of(principal),
        status=cmd.status.value if cmd.status else None,
        application_id=cmd.application_id,
        account_id=cmd.account_id,
        period_code=cmd.period_code,
        offset=cmd.offset,
        limit=cmd.limit + 1,
    )
    shown = cases[: cmd.limit]
    histories = await uow.history.of([c.id for c in shown])
    return CasePage(tuple(CaseView(c, tuple(histories[c.id])) for c in shown), has_more=len(cases) > cmd.limit)


async def dashboard(uow: ReviewUnitOfWork, cmd: GetDashboard, principal: Principal) -> Dashboard:
    """Completion of the province's enterprise notices for a period, from the notices issued and
    the completions reported by the allowance registry."""
    scope = scope_of(principal)
    if scope.province is None:
        # Routes admit province roles only, whose tokens always carry a ``province`` claim; refuse
        # rather than answer for no region should that ever not hold.
        raise Forbidden("FORBIDDEN_ROLE", "review cases are for provincial reviewers", "仅省级主管部门可查看审核案件")
    notices = await uow.notices.of_period(scope, cmd.period_code)
    done = await uow.completions.of_period(scope, cmd.period_code)
    short = tuple(
        UnitShort(n.notice_id, n.account_id, n.account_name, n.account_uscc, n.obligation)
        for n in notices
        if n.notice_id not in done
    )
    complete = len(notices) - len(short)
    return Dashboard(
        period_code=cmd.period_code,
        province=scope.province,
        units=len(notices),
        complete=complete,
        share_complete=(complete / len(notices)) if notices else 0.0,
        units_short=short,
        reviews=await uow.cases.status_counts(scope, cmd.period_code),
    )
