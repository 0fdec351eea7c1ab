"""REST routes for national compliance offsets (offset lots), cancellations and reconciliation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from services.new_ccer_registry.adapters.orm import Cancellation, OffsetLot
from services.new_ccer_registry.domain.holdings import Origin
from services.new_ccer_registry.domain.lots import LotQuantities
from services.new_ccer_registry.entrypoints.schemas import (
    LOT_STATUS_DESC,
    CancellationOut,
    DiscrepancyOut,
    LotRangesOut,
    OffsetLotCreatedOut,
    OffsetLotIn,
    OffsetLotOut,
    ReconciliationOut,
)
from services.new_ccer_registry.service_layer import lots as svc
from services.new_ccer_registry.service_layer.reconciliation import reconcile
from shared.auth import Principal, require
from shared.listing import Page, PageParams, page_params, respond_list
from shared.timeutil import local
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["offset lots"])
admin_router = APIRouter(prefix="/admin", tags=["admin"])

Holder_ = Annotated[Principal, Depends(require("enterprise"))]
Viewer = Annotated[
    Principal, Depends(require("enterprise", "province_initiator", "province_confirmer", "ncsc_operator"))
]
Paging = Annotated[PageParams, Depends(page_params)]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "items as JSON, or CSV with `Accept: text/csv` — 列表（JSON 或 CSV）",
    },
}


def _pairs(ranges: list[list[str]]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in ranges]


def _lot_out(lot: OffsetLot, by_state: dict[str, list[list[str]]]) -> OffsetLotOut:
    return OffsetLotOut(
        lot_id=lot.id,
        account_id=lot.account_id,
        allowance_account_id=lot.allowance_account_id,
        project_number=lot.project_number,
        origin=lot.origin,
        vintage=lot.vintage,
        quantity=lot.quantity,
        cancelled=lot.cancelled,
        released=lot.released,
        frozen=LotQuantities(lot.quantity, lot.cancelled, lot.released).frozen,
        status=lot.status,
        serial_ranges=_pairs(lot.serial_ranges),
        serial_ranges_by_state=LotRangesOut(**{k: _pairs(v) for k, v in by_state.items()}),
        frozen_at=local(lot.frozen_at),
        settled_at=local(lot.settled_at) if lot.settled_at else None,
    )


@router.post(
    "/offset-lots",
    status_code=201,
    response_model=OffsetLotCreatedOut,
    summary="National compliance offset: freeze units into a lot — 全国履约抵销（冻结）",
    description="Freezes exactly `quantity` available units of the project (lowest serials first) in the "
    "caller's bound account and sends the lot to the allowance registry, where it becomes a pending "
    "offset. Refusals: ACCOUNT_NOT_BOUND (409), INSUFFICIENT_AVAILABLE (409), ACCOUNT_NOT_ACTIVE (409), "
    "PROJECT_NOT_FOUND (422); an account that is not the caller's answers 404. — 冻结已绑定账户中该项目的"
    "可用减排量（序列号由小到大），并同步至配额注登系统（待抵销）。",
)
async def freeze(body: OffsetLotIn, runtime: RuntimeDep, principal: Holder_, request: Request) -> OffsetLotCreatedOut:
    async with uow_for(runtime, principal, request) as uow:
        lot = await svc.freeze_lot(
            uow, principal, body.account_id, body.project_number, Origin(body.origin), body.quantity, body.vintage
        )
        await uow.commit()
    return OffsetLotCreatedOut(
        lot_id=lot.id,
        quantity=lot.quantity,
        serial_ranges=_pairs(lot.serial_ranges),
        account_id=lot.account_id,
        allowance_account_id=lot.allowance_account_id,
        project_number=lot.project_number,
        origin=lot.origin,
        vintage=lot.vintage,
        frozen_at=local(lot.frozen_at),
    )


@router.get(
    "/offset-lots", response_model=Page[OffsetLotOut], responses=CSV_RESPONSE, summary="Offset lots — 抵销批次列表"
)
async def list_lots(
    runtime: RuntimeDep,
    principal: Viewer,
    page: Paging,
    request: Request,
    account_id: str | None = None,
    status: Annotated[Literal["frozen", "settled"] | None, Query(description=LOT_STATUS_DESC)] = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        lots = await svc.list_lots(
            uow, principal, account_id=account_id, status=status, offset=page.offset, limit=page.limit + 1
        )
        shown = lots[: page.limit]
        ranges = await svc.lot_ranges_by_state(uow, shown)
        rows = [_lot_out(lot, ranges[lot.id]) for lot in shown]
    return respond_list(request, rows, page, len(lots) > page.limit)


@router.get("/offset-lots/{lot_id}", response_model=OffsetLotOut, summary="An offset lot — 抵销批次")
async def get_lot(lot_id: str, runtime: RuntimeDep, principal: Viewer) -> OffsetLotOut:
    async with runtime.uow(actor=principal.sub) as uow:
        lot = await svc.get_lot(uow, principal, lot_id)
        ranges = await svc.lot_ranges_by_state(uow, [lot])
        return _lot_out(lot, ranges[lot.id])


def _cancellation_out(c: Cancellation) -> CancellationOut:
    return CancellationOut(
        id=c.id,
        lot_id=c.lot_id,
        account_id=c.account_id,
        project_number=c.project_number,
        origin=c.origin,
        registration_id=c.registration_id,
        application_id=c.application_id,
        period_code=c.period_code,
        quantity=c.quantity,
        serial_ranges=_pairs(c.serial_ranges),
        purpose=c.purpose,
        cancelled_at=local(c.cancelled_at),
    )


@router.get(
    "/cancellations",
    response_model=Page[CancellationOut],
    responses=CSV_RESPONSE,
    summary="Cancellations on offset registration — 注销登记记录",
)
async def list_cancellations(
    runtime: RuntimeDep,
    principal: Viewer,
    page: Paging,
    request: Request,
    account_id: str | None = None,
    lot_id: str | None = None,
    period_code: str | None = None,
) -> Any:
    async with runtime.uow(actor=principal.sub) as uow:
        rows = await svc.list_cancellations(
            uow,
            principal,
            account_id=account_id,
            lot_id=lot_id,
            period_code=period_code,
            offset=page.offset,
            limit=page.limit + 1,
        )
        shown = [_cancellation_out(c) for c in rows[: page.limit]]
    return respond_list(request, shown, page, len(rows) > page.limit)


@admin_router.get(
    "/reconciliation",
    response_model=ReconciliationOut,
    summary="Reconcile units with issuance, lots and records — 账实核对",
)
async def reconciliation(
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require("ncsc_operator", "sim_admin"))],
    project_number: str | None = None,
) -> ReconciliationOut:
    async with runtime.uow(actor=principal.sub) as uow:
        report = await reconcile(uow, project_number)
    return ReconciliationOut(
        checked_at=local(report.checked_at),
        consistent=not report.discrepancies,
        projects_checked=report.projects_checked,
        lots_checked=report.lots_checked,
        discrepancies=[DiscrepancyOut(**d) for d in report.discrepancies],
    )
