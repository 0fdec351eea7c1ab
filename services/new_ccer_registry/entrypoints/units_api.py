"""REST routes for projects, issuance, exchange trades, transfers and holdings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.new_ccer_registry.adapters.orm import Movement, Project
from services.new_ccer_registry.domain.holdings import TransferDirection, UnitState
from services.new_ccer_registry.entrypoints.schemas import (
    HoldingOut,
    HoldingsOut,
    IssuanceIn,
    IssuanceOut,
    ProjectIn,
    ProjectOut,
    TradeIn,
    TradeOut,
    TransferIn,
    TransferOut,
)
from services.new_ccer_registry.service_layer import accounts as account_svc
from services.new_ccer_registry.service_layer import units as svc
from shared.auth import Principal, get_principal, require
from shared.problems import Problem
from shared.timeutil import local
from shared.webapp import RuntimeDep, uow_for

router = APIRouter(tags=["units"])

Ncsc = Annotated[Principal, Depends(require("ncsc_operator"))]
Exchange = Annotated[Principal, Depends(require("exchange_operator"))]
Holder_ = Annotated[Principal, Depends(require("enterprise"))]
HolderOrNcsc = Annotated[Principal, Depends(require("enterprise", "ncsc_operator"))]
Anyone = Annotated[Principal, Depends(get_principal)]


def _project_out(project: Project, issued: int) -> ProjectOut:
    return ProjectOut(
        number=project.number,
        name=project.name,
        owner_uscc=project.owner_uscc,
        type=project.type,
        methodology=project.methodology or "",
        region=project.region,
        registered_at=project.registered_at,
        within_national_ets=project.within_national_ets,
        issued=issued,
        created_at=local(project.created_at),
    )


@router.post("/projects", status_code=201, response_model=ProjectOut, summary="Register a CCER project — 项目登记")
async def register_project(body: ProjectIn, runtime: RuntimeDep, principal: Ncsc, request: Request) -> ProjectOut:
    async with uow_for(runtime, principal, request) as uow:
        project = await svc.register_project(uow, svc.ProjectFacts(**body.model_dump()))
        await uow.commit()
    return _project_out(project, 0)


@router.get("/projects/{number}", response_model=ProjectOut, summary="A CCER project — 项目")
async def get_project(number: str, runtime: RuntimeDep, principal: Anyone) -> ProjectOut:
    async with runtime.uow(actor=principal.sub) as uow:
        project = await svc.get_project(uow, number)
        if project is None:
            raise Problem.not_found("project", "项目", number)
        return _project_out(project, await svc.issued_quantity(uow, number))


@router.post(
    "/projects/{number}/issuances",
    status_code=201,
    response_model=IssuanceOut,
    summary="Issue units into a general holding account — 签发减排量",
)
async def issue(number: str, body: IssuanceIn, runtime: RuntimeDep, principal: Ncsc, request: Request) -> IssuanceOut:
    async with uow_for(runtime, principal, request) as uow:
        issuance = await svc.issue_units(uow, number, body.vintage, body.quantity, body.account_id)
        await uow.commit()
    return IssuanceOut(
        issuance_id=issuance.id,
        project_number=number,
        vintage=issuance.vintage,
        quantity=issuance.quantity,
        account_id=issuance.account_id,
        serial_ranges=[(f"{issuance.serial_prefix}-{issuance.first_n}", f"{issuance.serial_prefix}-{issuance.last_n}")],
        issued_at=local(issuance.issued_at),
    )


def _ranges(m: Movement) -> list[tuple[str, str]]:
    return [(a, b) for a, b in m.serial_ranges]


@router.post(
    "/trades",
    status_code=201,
    response_model=TradeOut,
    summary="Settle a CCER exchange trade (CBGEX) — 交易结算（北京绿色交易所）",
)
async def settle_trade(body: TradeIn, runtime: RuntimeDep, principal: Exchange, request: Request) -> TradeOut:
    async with uow_for(runtime, principal, request) as uow:
        trade = await svc.settle_trade(
            uow, principal.exchange, body.seller_account_id, body.buyer_account_id, body.project_number, body.quantity
        )
        await uow.commit()
    return TradeOut(
        trade_id=trade.id,
        seller_account_id=body.seller_account_id,
        buyer_account_id=body.buyer_account_id,
        project_number=body.project_number,
        quantity=trade.quantity,
        serial_ranges=_ranges(trade),
        settled_at=local(trade.at),
    )


@router.post(
    "/accounts/{account_id}/transfers",
    status_code=201,
    response_model=TransferOut,
    summary="Transfer between trading side and general holding account — 划转",
)
async def transfer(
    account_id: str, body: TransferIn, runtime: RuntimeDep, principal: Holder_, request: Request
) -> TransferOut:
    async with uow_for(runtime, principal, request) as uow:
        account = await account_svc.get_account(uow, account_id, principal)
        movement = await svc.transfer_units(
            uow, account, TransferDirection(body.direction), body.project_number, body.quantity
        )
        await uow.commit()
    return TransferOut(
        transfer_id=movement.id,
        account_id=account_id,
        direction=body.direction,
        project_number=body.project_number,
        quantity=movement.quantity,
        serial_ranges=_ranges(movement),
        transferred_at=local(movement.at),
    )


@router.get(
    "/accounts/{account_id}/holdings",
    response_model=HoldingsOut,
    summary="Holdings by project, origin and vintage — 持仓",
)
async def holdings(account_id: str, runtime: RuntimeDep, principal: HolderOrNcsc) -> HoldingsOut:
    async with runtime.uow(actor=principal.sub) as uow:
        account = await account_svc.get_account(uow, account_id, principal)
        rows = await svc.account_holdings(uow, account.id)
    return HoldingsOut(
        account_id=account_id,
        items=[
            HoldingOut(
                project_number=r.project_number,
                origin=r.origin,
                vintage=r.vintage,
                trading=r.quantities[UnitState.trading],
                available=r.quantities[UnitState.available],
                frozen=r.quantities[UnitState.frozen],
                cancelled=r.quantities[UnitState.cancelled],
                awaiting_confirmation=r.quantities[UnitState.awaiting_confirmation],
                serial_ranges={str(st): [rng.labels() for rng in ranges] for st, ranges in r.ranges.items()},
            )
            for r in rows
        ],
    )
