"""The review database's repositories, one per aggregate: review cases (with their history), the
notices and the completions the allowance registry reported.

Every read a caller makes goes through the scope rule (``shared.scope``, OWASP API1): a province
sees its own region, nobody else anything; a case outside the scope is indistinguishable from a
missing one. State changes of a case are guarded updates (``UPDATE … WHERE status = …``): two
reviewers acting at once cannot both move it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.provincial_review.adapters.orm import ComplianceCompletion, IssuedNotice, ReviewCase, ReviewHistory
from services.provincial_review.domain.checks import NoticeUsage
from services.provincial_review.domain.review import ReviewStatus
from shared.errors import NotFound
from shared.scope import Scope

__all__ = ["CaseRepository", "CompletionRepository", "HistoryRepository", "NoticeRepository"]

OPEN = (ReviewStatus.awaiting_first_review.value, ReviewStatus.awaiting_second_review.value)


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, review_case: ReviewCase) -> ReviewCase:
        """Insert the case now, so that its history rows can refer to it."""
        self.session.add(review_case)
        await self.session.flush()
        return review_case

    async def by_application(self, application_id: str, revision: int) -> ReviewCase | None:
        """The case of one application revision (the consumer's own lookup, not a caller's)."""
        return await self.session.scalar(
            select(ReviewCase).where(ReviewCase.application_id == application_id, ReviewCase.revision == revision)
        )

    async def get(self, case_id: str, scope: Scope) -> ReviewCase:
        """The case, if ``scope`` sees it; :class:`NotFound` otherwise (missing or outside it)."""
        found = await self.session.scalar(
            select(ReviewCase).where(ReviewCase.id == case_id, scope.where(province=ReviewCase.province))
        )
        if found is None:
            raise NotFound.of("review case", "审核案件", case_id)
        return found

    async def reload(self, review_case: ReviewCase) -> None:
        """Read the row again after a guarded update changed it in the database."""
        await self.session.refresh(review_case)

    async def search(
        self,
        scope: Scope,
        *,
        status: str | None = None,
        application_id: str | None = None,
        account_id: str | None = None,
        period_code: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[ReviewCase]:
        query = select(ReviewCase).where(scope.where(province=ReviewCase.province))
        if status is not None:
            query = query.where(ReviewCase.status == status)
        if application_id is not None:
            query = query.where(ReviewCase.application_id == application_id)
        if account_id is not None:
            query = query.where(ReviewCase.account_id == account_id)
        if period_code is not None:
            query = query.where(ReviewCase.period_code == period_code)
        query = query.order_by(ReviewCase.opened_at, ReviewCase.id).offset(offset).limit(limit)
        return list((await self.session.scalars(query)).all())

    async def open_of_notice(self, notice_id: str) -> list[ReviewCase]:
        """Cases still under review that rely on the notice (re-checked when it arrives or changes)."""
        return list(
            (
                await self.session.scalars(
                    select(ReviewCase)
                    .where(ReviewCase.notice_id == notice_id, ReviewCase.status.in_(OPEN))
                    .order_by(ReviewCase.opened_at, ReviewCase.id)
                )
            ).all()
        )

    async def usage_of_notice(self, notice_id: str, *, excluding_application: str) -> NoticeUsage:
        """Quantities of the notice's other applications: approved, and still under review."""
        approved = ReviewCase.status == ReviewStatus.approved.value
        pending = ReviewCase.status.in_(OPEN)
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(case((approved, ReviewCase.total_quantity), else_=0)), 0),
                    func.coalesce(func.sum(case((approved, ReviewCase.ccer_quantity), else_=0)), 0),
                    func.coalesce(func.sum(case((pending, ReviewCase.total_quantity), else_=0)), 0),
                    func.coalesce(func.sum(case((pending, ReviewCase.ccer_quantity), else_=0)), 0),
                ).where(ReviewCase.notice_id == notice_id, ReviewCase.application_id != excluding_application)
            )
        ).one()
        return NoticeUsage(*(int(v) for v in row))

    async def status_counts(self, scope: Scope, period_code: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(ReviewCase.status, func.count())
            .where(scope.where(province=ReviewCase.province), ReviewCase.period_code == period_code)
            .group_by(ReviewCase.status)
        )
        return {status: int(n) for status, n in rows.all()}

    async def transition(self, case_id: str, expected: ReviewStatus, **values: Any) -> bool:
        """Guarded state change: applies only if the case is still ``expected`` (another reviewer
        may have acted in between); returns whether it did."""
        result = await self.session.execute(
            update(ReviewCase).where(ReviewCase.id == case_id, ReviewCase.status == expected.value).values(**values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def set_checks(self, case_id: str, checks: list[dict[str, Any]], at: datetime) -> bool:
        """Refresh the automated checks of a case still under review (final cases keep theirs);
        returns whether it did."""
        result = await self.session.execute(
            update(ReviewCase)
            .where(ReviewCase.id == case_id, ReviewCase.status.in_(OPEN))
            .values(checks=checks, checks_at=at)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


class HistoryRepository:
    """The append-only history of the cases (read with the case, so already in scope)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        case_id: str,
        *,
        at: datetime,
        action: str,
        actor: str,
        status: str,
        comment: str | None = None,
        **detail: Any,
    ) -> None:
        self.session.add(
            ReviewHistory(
                case_id=case_id, at=at, action=action, actor=actor, status=status, comment=comment, detail=detail
            )
        )

    async def of(self, case_ids: Sequence[str]) -> dict[str, list[ReviewHistory]]:
        """Histories of several cases in one query (no N+1 in lists)."""
        out: dict[str, list[ReviewHistory]] = {cid: [] for cid in case_ids}
        if not case_ids:
            return out
        rows = await self.session.scalars(
            select(ReviewHistory).where(ReviewHistory.case_id.in_(list(case_ids))).order_by(ReviewHistory.id)
        )
        for row in rows:
            out[row.case_id].append(row)
        return out


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, notice_id: str) -> IssuedNotice | None:
        return await self.session.get(IssuedNotice, notice_id)

    async def record(self, notice_id: str, *, received_at: datetime, **values: Any) -> IssuedNotice:
        """Store the notice as issued, or overwrite the stored one with a re-issue."""
        notice = await self.get(notice_id)
        if notice is None:
            notice = IssuedNotice(notice_id=notice_id, received_at=received_at, **values)
            self.session.add(notice)
        else:
            for key, value in values.items():
                setattr(notice, key, value)
        await self.session.flush()
        return notice

    async def of_period(self, scope: Scope, period_code: str) -> list[IssuedNotice]:
        return list(
            (
                await self.session.scalars(
                    select(IssuedNotice)
                    .where(scope.where(province=IssuedNotice.province), IssuedNotice.period_code == period_code)
                    .order_by(IssuedNotice.account_name, IssuedNotice.notice_id)
                )
            ).all()
        )


class CompletionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_once(self, completion: ComplianceCompletion) -> bool:
        """Store a notice's completion unless one is stored already; returns whether it was new."""
        if await self.session.get(ComplianceCompletion, completion.notice_id) is not None:
            return False
        self.session.add(completion)
        return True

    async def of_period(self, scope: Scope, period_code: str) -> dict[str, ComplianceCompletion]:
        """The completions of the period, by notice id."""
        rows = await self.session.scalars(
            select(ComplianceCompletion).where(
                scope.where(province=ComplianceCompletion.province), ComplianceCompletion.period_code == period_code
            )
        )
        return {r.notice_id: r for r in rows}
