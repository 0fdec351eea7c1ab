"""Queries on the review database. Every read a caller makes goes through a province filter here
(OWASP API1): a case outside the caller's province is indistinguishable from a missing one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.provincial_review.adapters.orm import ComplianceCompletion, IssuedNotice, ReviewCase, ReviewHistory
from services.provincial_review.domain.checks import NoticeUsage
from services.provincial_review.domain.review import ReviewStatus

__all__ = ["ReviewRepository"]

OPEN = (ReviewStatus.awaiting_first_review.value, ReviewStatus.awaiting_second_review.value)


class ReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- cases ---------------------------------------------------------------------------
    async def by_application(self, application_id: str, revision: int) -> ReviewCase | None:
        return await self.session.scalar(
            select(ReviewCase).where(ReviewCase.application_id == application_id, ReviewCase.revision == revision)
        )

    async def get_in_province(self, case_id: str, province: str) -> ReviewCase | None:
        return await self.session.scalar(
            select(ReviewCase).where(ReviewCase.id == case_id, ReviewCase.province == province)
        )

    async def list_in_province(
        self,
        province: str,
        *,
        status: str | None,
        application_id: str | None,
        account_id: str | None,
        period_code: str | None,
        offset: int,
        limit: int,
    ) -> list[ReviewCase]:
        query = select(ReviewCase).where(ReviewCase.province == province)
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

    async def open_cases_of_notice(self, notice_id: str) -> list[ReviewCase]:
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

    async def transition(self, case_id: str, expected: ReviewStatus, **values: Any) -> bool:
        """Guarded state change: applies only if the case is still ``expected`` (another reviewer
        may have acted in between); returns whether it did."""
        result = await self.session.execute(
            update(ReviewCase).where(ReviewCase.id == case_id, ReviewCase.status == expected.value).values(**values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def set_checks(self, case_id: str, checks: list[dict[str, Any]], at: datetime) -> bool:
        """Refresh the automated checks of a case still under review (final cases keep theirs)."""
        result = await self.session.execute(
            update(ReviewCase)
            .where(ReviewCase.id == case_id, ReviewCase.status.in_(OPEN))
            .values(checks=checks, checks_at=at)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    # --- history -------------------------------------------------------------------------
    def add_history(
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

    async def history_of(self, case_ids: Sequence[str]) -> dict[str, list[ReviewHistory]]:
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

    # --- notices -------------------------------------------------------------------------
    async def notice(self, notice_id: str) -> IssuedNotice | None:
        return await self.session.get(IssuedNotice, notice_id)

    async def notices_in_province(self, province: str, period_code: str) -> list[IssuedNotice]:
        return list(
            (
                await self.session.scalars(
                    select(IssuedNotice)
                    .where(IssuedNotice.province == province, IssuedNotice.period_code == period_code)
                    .order_by(IssuedNotice.account_name, IssuedNotice.notice_id)
                )
            ).all()
        )

    async def completions_in_province(self, province: str, period_code: str) -> dict[str, ComplianceCompletion]:
        rows = await self.session.scalars(
            select(ComplianceCompletion).where(
                ComplianceCompletion.province == province, ComplianceCompletion.period_code == period_code
            )
        )
        return {r.notice_id: r for r in rows}

    async def status_counts(self, province: str, period_code: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(ReviewCase.status, func.count())
            .where(ReviewCase.province == province, ReviewCase.period_code == period_code)
            .group_by(ReviewCase.status)
        )
        return {status: int(n) for status, n in rows.all()}
