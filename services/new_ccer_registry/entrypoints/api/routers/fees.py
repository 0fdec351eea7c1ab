"""Fees of the trading account (开户费、年费, seed 004 第五步): paid by the holder, listed for it and NCSC."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.new_ccer_registry.domain.fees import FeeKind
from services.new_ccer_registry.entrypoints.api.deps import CSV, BusDep, Enterprise, EnterpriseOrNcsc, IdPath, Paging
from services.new_ccer_registry.entrypoints.api.schemas import FeeIn, FeeOut, FeePaidOut, fee_out, fee_paid_out
from services.new_ccer_registry.service_layer.commands import ListFees, PayFee
from shared.listing import Page, respond_list

router = APIRouter(prefix="/accounts/{account_id}/fees", tags=["fees"])


@router.post(
    "",
    status_code=201,
    response_model=FeePaidOut,
    summary="Pay the opening or annual fee — 缴纳开户费、年费",
    description="Project owners and `other` participants: opening 2,000 and annual 1,000 yuan (FEE_AMOUNT_WRONG, "
    "422); key emitting units pay nothing (FEES_NOT_APPLICABLE, 422); the opening fee once "
    "(OPENING_FEE_ALREADY_PAID, 409); one year ahead at most (ANNUAL_FEE_PAID_AHEAD, 409). The trading account "
    "is active once both are paid. A year is counted in days: paid on D, the fee is valid through the same date a "
    "year later, until 24:00 Beijing time (29 February: through 28 February); a last day that is a rest day gives "
    "way to the next working day at the lapse check. Paid before `annual_fee_valid_until`, the next year follows "
    "the current one; paid at or after it (the account suspended), a year runs from the day of payment. — "
    "开户费、年费缴齐后交易账户启用；年费有效期按日计算，自缴费次日起算至次年对应日二十四时，最后一日为法定休假日的顺延至其后"
    "第一个工作日；期满前续交自原期满日起接续，期满后续交自缴费之日起重新计算。",
)
async def pay(account_id: IdPath, body: FeeIn, bus: BusDep, principal: Enterprise) -> FeePaidOut:
    command = PayFee(account_id=account_id, kind=FeeKind(body.kind), amount=body.amount)
    return fee_paid_out(await bus.handle(command, principal))


@router.get("", response_model=Page[FeeOut], responses=CSV, summary="Fee ledger — 缴费记录")
async def list_fees(
    account_id: IdPath, bus: BusDep, principal: EnterpriseOrNcsc, page: Paging, request: Request
) -> Any:
    listed = await bus.handle(ListFees(account_id=account_id, offset=page.offset, limit=page.limit), principal)
    return respond_list(request, [fee_out(p) for p in listed.items], page, listed.has_more)
