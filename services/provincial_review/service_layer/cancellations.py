"""NCSC's daily cancellation records (seed 001 第六步) as the province receives them: each legacy
cancellation made for a form period's offset (``offset_2019_2020``) is recorded once, by its id,
against its holder's USCC; the offset forms set the sum beside the confirmed quantity. Records of
other purposes are not the province's business here."""

from __future__ import annotations

import logging

from services.provincial_review.adapters.orm import RecordedCancellation
from services.provincial_review.domain.offset_forms import form_periods, period_of_purpose
from services.provincial_review.service_layer.unit_of_work import ReviewUnitOfWork
from shared.events import Envelope
from shared.events.contracts import CancellationRecordedV1

__all__ = ["on_cancellation_recorded"]

log = logging.getLogger(__name__)


async def on_cancellation_recorded(uow: ReviewUnitOfWork, envelope: Envelope, payload: CancellationRecordedV1) -> None:
    period = period_of_purpose(form_periods(uow.period_definitions), payload.purpose)
    if period is None:
        log.info("cancellation %s is for %s, not a form period's offset", payload.cancellation_id, payload.purpose)
        return
    recorded = await uow.cancellations.record_once(
        RecordedCancellation(
            cancellation_id=payload.cancellation_id,
            period_code=period.code,
            purpose=payload.purpose,
            holder_uscc=payload.holder.uscc,
            holder_name=payload.holder.name,
            legacy_account_id=payload.legacy_account_id,
            project_number=payload.project.number,
            quantity=payload.quantity,
            cancelled_at=payload.cancelled_at,
            received_at=uow.now(),
        )
    )
    if not recorded:
        log.info("cancellation %s already recorded; event %s counts once", payload.cancellation_id, envelope.event_id)
        return
    uow.audit(
        "record_cancellation",
        "cancellation",
        payload.cancellation_id,
        holder_uscc=payload.holder.uscc,
        quantity=payload.quantity,
        period_code=period.code,
    )
