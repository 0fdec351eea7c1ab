"""The review database's repositories, one per aggregate: review cases (with their history), the
notices and the completions the allowance registry reported, the first period's offset forms (with
their history and cancellation proofs), the cancellations NCSC recorded and the weekly summaries.

Every read a caller makes goes through the scope rule (``shared.scope``, OWASP API1): a province
sees its own region, nobody else anything; a case outside the scope is indistinguishable from a
missing one. State changes of a case are guarded updates (``UPDATE … WHERE status = …``): two
reviewers acting at once cannot both move it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from services.provincial_review.adapters.orm import (
    CancellationProof,
    ComplianceCompletion,
    IssuedNotice,
    OffsetForm,
    OffsetFormHistory,
    OffsetFormSummary,
    OverdueHandling,
    RecordedCancellation,
    ReviewCase,
    ReviewHistory,
)
from services.provincial_review.domain.checks import NoticeUsage
from services.provincial_review.domain.review import ReviewStatus
from shared.errors import NotFound
from shared.scope import Scope

__all__ = [
    "CancellationRecordRepository",
    "CaseRepository",
    "CompletionRepository",
    "FormHistoryRepository",
    "FormRepository",
    "HistoryRepository",
    "NoticeRepository",
    "ProofRepository",
    "SummaryRepository",
]

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

    async def transition(self, review_case: ReviewCase, expected: ReviewStatus, **values: Any) -> bool:
        """Guarded state change: applies only if the case is still ``expected`` (another reviewer
        may have acted in between); returns whether it did. ``review_case`` then carries the values
        written (no reload)."""
        result = await self.session.execute(
            update(ReviewCase)
            .where(ReviewCase.id == review_case.id, ReviewCase.status == expected.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        for name, value in values.items():
            set_committed_value(review_case, name, value)
        return True

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

    async def of_unit(self, uscc: str, period_code: str) -> IssuedNotice | None:
        """The unit's latest notice for the period (the consumer's and the form's own lookup)."""
        return await self.session.scalar(
            select(IssuedNotice)
            .where(IssuedNotice.account_uscc == uscc, IssuedNotice.period_code == period_code)
            .order_by(IssuedNotice.received_at.desc(), IssuedNotice.notice_id.desc())
            .limit(1)
        )

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

    async def get(self, notice_id: str) -> ComplianceCompletion | None:
        return await self.session.get(ComplianceCompletion, notice_id)

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


class FormRepository:
    """Offset forms. Callers see them through the scope rule: the unit its own (``unit_uscc``), a
    province those of its region. Status changes are guarded updates."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, form: OffsetForm) -> bool:
        """Insert the form now, so that its history rows can refer to it. False when the unit has a
        form for the period already (submitted concurrently): the transaction is then unusable, the
        caller refuses and the unit of work rolls back."""
        self.session.add(form)
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def of_unit(self, uscc: str, period_code: str) -> OffsetForm | None:
        """The unit's form for the period, whoever asks (one per unit and period)."""
        return await self.session.scalar(
            select(OffsetForm).where(OffsetForm.unit_uscc == uscc, OffsetForm.period_code == period_code)
        )

    async def get(self, form_id: str, scope: Scope) -> OffsetForm:
        """The form, if ``scope`` sees it; :class:`NotFound` otherwise (missing or outside it)."""
        found = await self.session.scalar(
            select(OffsetForm).where(
                OffsetForm.id == form_id, scope.where(org=OffsetForm.unit_uscc, province=OffsetForm.province)
            )
        )
        if found is None:
            raise NotFound.of("offset application form", "抵销申请表", form_id)
        return found

    async def reload(self, form: OffsetForm) -> None:
        await self.session.refresh(form)

    async def transition(self, form_id: str, expected: str, at_revision: int, **values: Any) -> bool:
        """Guarded change: applies only if the form is still ``expected`` at ``at_revision`` (the
        province and the unit may act at once); returns whether it did."""
        result = await self.session.execute(
            update(OffsetForm)
            .where(OffsetForm.id == form_id, OffsetForm.status == expected, OffsetForm.revision == at_revision)
            .values(**values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def search(
        self,
        scope: Scope,
        *,
        status: str | None = None,
        period_code: str | None = None,
        confirmed_from: datetime | None = None,
        confirmed_until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[OffsetForm]:
        query = select(OffsetForm).where(scope.where(org=OffsetForm.unit_uscc, province=OffsetForm.province))
        if status is not None:
            query = query.where(OffsetForm.status == status)
        if period_code is not None:
            query = query.where(OffsetForm.period_code == period_code)
        if confirmed_from is not None:
            query = query.where(OffsetForm.confirmed_at >= confirmed_from)
        if confirmed_until is not None:
            query = query.where(OffsetForm.confirmed_at < confirmed_until)
        query = query.order_by(OffsetForm.first_submitted_at, OffsetForm.id).offset(offset).limit(limit)
        return list((await self.session.scalars(query)).all())

    async def touched_between(self, start: datetime, end: datetime, actions: Iterable[str]) -> list[OffsetForm]:
        """Forms with a history entry of one of ``actions`` in [start, end) (a week's summary)."""
        touched = (
            select(OffsetFormHistory.form_id)
            .where(
                OffsetFormHistory.at >= start, OffsetFormHistory.at < end, OffsetFormHistory.action.in_(list(actions))
            )
            .distinct()
        )
        rows = await self.session.scalars(
            select(OffsetForm).where(OffsetForm.id.in_(touched)).order_by(OffsetForm.first_submitted_at, OffsetForm.id)
        )
        return list(rows.all())

    async def regions_before(self, instant: datetime) -> list[tuple[str, str]]:
        """(province, period) pairs with any form first submitted before ``instant``."""
        rows = await self.session.execute(
            select(OffsetForm.province, OffsetForm.period_code)
            .where(OffsetForm.first_submitted_at < instant)
            .distinct()
            .order_by(OffsetForm.province, OffsetForm.period_code)
        )
        return [(p, c) for p, c in rows.all()]

    async def mark_summarised(self, form_ids: Sequence[str], summary_id: str) -> int:
        """Tie the forms to their summary, each once; returns how many it tied."""
        if not form_ids:
            return 0
        result = await self.session.execute(
            update(OffsetForm)
            .where(OffsetForm.id.in_(list(form_ids)), OffsetForm.summary_id.is_(None))
            .values(summary_id=summary_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


class FormHistoryRepository:
    """The append-only history of the forms (read with the form, so already in scope)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        form_id: str,
        *,
        at: datetime,
        action: str,
        actor: str,
        status: str,
        reasons: Sequence[str] = (),
        **detail: Any,
    ) -> None:
        self.session.add(
            OffsetFormHistory(
                form_id=form_id, at=at, action=action, actor=actor, status=status, reasons=list(reasons), detail=detail
            )
        )

    async def of(self, form_ids: Sequence[str]) -> dict[str, list[OffsetFormHistory]]:
        out: dict[str, list[OffsetFormHistory]] = {fid: [] for fid in form_ids}
        if not form_ids:
            return out
        rows = await self.session.scalars(
            select(OffsetFormHistory)
            .where(OffsetFormHistory.form_id.in_(list(form_ids)))
            .order_by(OffsetFormHistory.id)
        )
        for row in rows:
            out[row.form_id].append(row)
        return out


class ProofRepository:
    """Cancellation proofs of the forms (read with the form, so already in scope)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_once(self, proof: CancellationProof) -> bool:
        """Store the proof unless the form has one with the same digest; returns whether it was new."""
        exists = await self.session.scalar(
            select(CancellationProof.id).where(
                CancellationProof.form_id == proof.form_id, CancellationProof.sha256 == proof.sha256
            )
        )
        if exists is not None:
            return False
        self.session.add(proof)
        await self.session.flush()
        return True

    async def count_of(self, form_id: str) -> int:
        return int(await self.session.scalar(select(func.count()).where(CancellationProof.form_id == form_id)) or 0)

    async def of(self, form_ids: Sequence[str]) -> dict[str, list[CancellationProof]]:
        out: dict[str, list[CancellationProof]] = {fid: [] for fid in form_ids}
        if not form_ids:
            return out
        rows = await self.session.scalars(
            select(CancellationProof)
            .where(CancellationProof.form_id.in_(list(form_ids)))
            .order_by(CancellationProof.id)
        )
        for row in rows:
            out[row.form_id].append(row)
        return out


class CancellationRecordRepository:
    """The cancellations NCSC's daily records reported, one row per cancellation id."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_once(self, record: RecordedCancellation) -> bool:
        """Store the record unless it is stored already (a repeat counts once); returns whether it was new."""
        if await self.session.get(RecordedCancellation, record.cancellation_id) is not None:
            return False
        self.session.add(record)
        await self.session.flush()
        return True

    async def of_units(self, units: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[RecordedCancellation]]:
        """The records per (holder USCC, period) for the given pairs, oldest first (none: empty)."""
        wanted = set(units)
        out: dict[tuple[str, str], list[RecordedCancellation]] = {pair: [] for pair in wanted}
        if not wanted:
            return out
        rows = await self.session.scalars(
            select(RecordedCancellation)
            .where(RecordedCancellation.holder_uscc.in_(sorted({uscc for uscc, _ in wanted})))
            .order_by(RecordedCancellation.cancelled_at, RecordedCancellation.cancellation_id)
        )
        for row in rows:
            if (row.holder_uscc, row.period_code) in wanted:
                out[(row.holder_uscc, row.period_code)].append(row)
        return out


class SummaryRepository:
    """Weekly summaries: a province reads its own, NCSC (``SUMMARY_READERS``) all of them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exists(self, province: str, period_code: str, week_ending: date) -> bool:
        found = await self.session.scalar(
            select(OffsetFormSummary.id).where(
                OffsetFormSummary.province == province,
                OffsetFormSummary.period_code == period_code,
                OffsetFormSummary.week_ending == week_ending,
            )
        )
        return found is not None

    def add(self, summary: OffsetFormSummary) -> None:
        self.session.add(summary)

    async def search(
        self,
        scope: Scope,
        *,
        province: str | None = None,
        period_code: str | None = None,
        week_ending: date | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[OffsetFormSummary]:
        query = select(OffsetFormSummary).where(scope.where(province=OffsetFormSummary.province))
        if province is not None:
            query = query.where(OffsetFormSummary.province == province)
        if period_code is not None:
            query = query.where(OffsetFormSummary.period_code == period_code)
        if week_ending is not None:
            query = query.where(OffsetFormSummary.week_ending == week_ending)
        query = (
            query.order_by(OffsetFormSummary.week_ending, OffsetFormSummary.province, OffsetFormSummary.period_code)
            .offset(offset)
            .limit(limit)
        )
        return list((await self.session.scalars(query)).all())


class OverdueHandlingRepository:
    """The province's records of how it handled its overdue units; callers pass the province they
    may see (the scope rule is applied to the notice first). A record is replaced under a guard on
    the revision the caller read."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, notice_id: str) -> OverdueHandling | None:
        return await self.session.get(OverdueHandling, notice_id)

    async def fresh(self, notice_id: str) -> OverdueHandling:
        """The record as stored now (after a guarded replace)."""
        row = await self.session.get(OverdueHandling, notice_id, populate_existing=True)
        if row is None:
            raise NotFound.of("handling", "处理情况", notice_id)
        return row

    async def of_period(self, province: str, period_code: str) -> dict[str, OverdueHandling]:
        rows = await self.session.scalars(
            select(OverdueHandling).where(
                OverdueHandling.province == province, OverdueHandling.period_code == period_code
            )
        )
        return {r.notice_id: r for r in rows}

    async def add(self, handling: OverdueHandling) -> bool:
        """Insert the first record; False when another was inserted meanwhile."""
        self.session.add(handling)
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def replace(self, notice_id: str, seen_revision: int, **values: Any) -> bool:
        """Replace the record the caller read (``seen_revision``); False when it changed meanwhile."""
        result = await self.session.execute(
            update(OverdueHandling)
            .where(OverdueHandling.notice_id == notice_id, OverdueHandling.revision == seen_revision)
            .values(revision=seen_revision + 1, **values)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]
