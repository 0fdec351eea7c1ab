"""Accounts, their holdings, and transfers between the trading and registry sides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.allowance_registry.adapters.orm import Account, CcerHolding, HoldingMovement
from services.allowance_registry.domain.monitoring import HoldingTotals
from services.allowance_registry.domain.movements import HoldingKind, MovementKind, holding_figures
from services.allowance_registry.entrypoints.api.deps import (
    CSV,
    BusDep,
    Enterprise,
    EnterpriseOrProvince,
    EnterpriseProvinceOrRegistry,
    Page,
    RegistryInitiator,
)
from services.allowance_registry.entrypoints.api.routers.notices import notice_out
from services.allowance_registry.entrypoints.api.schemas import (
    AccountOut,
    AllowanceHoldingOut,
    ApplicationCountsOut,
    CcerHoldingOut,
    HoldingSidesOut,
    HoldingsOut,
    Instrument,
    MovementOut,
    OpenAccountIn,
    OverviewHoldingsOut,
    OverviewOut,
    TransferIn,
)
from services.allowance_registry.service_layer.commands import (
    GetAccount,
    GetAccountOverview,
    GetHoldings,
    ListAccounts,
    ListHoldingMovements,
    OpenAccount,
    TransferAllowances,
)
from services.allowance_registry.service_layer.views import HoldingsView, OverviewView
from shared.bounds import Id
from shared.listing import Page as PageOf
from shared.listing import respond_list

__all__ = ["account_out", "router"]

router = APIRouter(prefix="/accounts", tags=["accounts"])


def account_out(a: Account) -> AccountOut:
    return AccountOut(
        id=a.id,
        holder={"name": a.holder_name, "uscc": a.holder_uscc},
        province=a.province,
        account_type=a.account_type,
        sector=a.sector,
        status=a.status,
    )


def holdings_out(view: HoldingsView) -> HoldingsOut:
    return HoldingsOut(
        account_id=view.account.id,
        allowances=[
            AllowanceHoldingOut(
                instrument=h.instrument,
                name=view.names.get(h.instrument),
                registry=h.registry_side,
                trading=h.trading_side,
                frozen=h.frozen,
                available=h.registry_side - h.frozen,
            )
            for h in view.allowances
        ],
        ccer=[ccer_holding_out(view, h) for h in view.ccer],
        pending_offsets_total=view.pending_offsets_total,
    )


def ccer_holding_out(view: HoldingsView, h: CcerHolding) -> CcerHoldingOut:
    project = view.projects.get(h.instrument, {})
    figures = view.ccer_figures(h)
    return CcerHoldingOut(
        project_number=_text(project.get("number")),
        instrument=h.instrument,
        name=view.names.get(h.instrument),
        project_name=_text(project.get("name")),
        project_type=_text(project.get("type")),
        project_region=_text(project.get("region")),
        registry_available=figures.registry_available,
        registry_frozen=figures.registry_frozen,
        registry_pending_transfer=figures.registry_pending_transfer,
        trading_pending_transfer=figures.trading_pending_transfer,
        trading=figures.trading,
        total=figures.total,
        quantity=h.quantity,
        frozen=h.frozen,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def movement_out(m: HoldingMovement) -> MovementOut:
    kind = MovementKind(m.kind)
    figures = holding_figures(m.registry_after, m.frozen_after, m.trading_after)
    return MovementOut(
        at=m.at,
        instrument=m.instrument,
        holding=HoldingKind(m.holding),
        kind=kind,
        kind_zh=kind.zh,
        direction=kind.direction,
        quantity=m.quantity,
        registry_after=m.registry_after,
        frozen_after=m.frozen_after,
        available_after=figures.registry_available,
        trading_after=m.trading_after,
        total_after=figures.total,
        reference=m.reference,
    )


@router.post("", status_code=201, response_model=AccountOut, summary="Open an allowance account — 开立配额账户")
async def open_account(body: OpenAccountIn, bus: BusDep, principal: RegistryInitiator) -> AccountOut:
    command = OpenAccount(
        holder=body.holder, province=body.province, account_type=body.account_type, sector=body.sector
    )
    return account_out(await bus.handle(command, principal))


@router.get("", response_model=PageOf[AccountOut], responses=CSV, summary="Accounts in the caller's scope — 账户列表")
async def list_accounts(
    bus: BusDep,
    principal: EnterpriseProvinceOrRegistry,
    page: Page,
    request: Request,
    province: Annotated[str | None, Query(max_length=6, description="province code — 省份")] = None,
    uscc: Annotated[str | None, Query(max_length=18, description="holder USCC — 统一社会信用代码")] = None,
) -> Any:
    command = ListAccounts(province=province, uscc=uscc, limit=page.limit + 1, offset=page.offset)
    rows = await bus.handle(command, principal)
    return respond_list(request, [account_out(a) for a in rows[: page.limit]], page, len(rows) > page.limit)


@router.get("/{account_id}", response_model=AccountOut, summary="Account — 账户")
async def get_account(account_id: Id, bus: BusDep, principal: EnterpriseProvinceOrRegistry) -> AccountOut:
    return account_out(await bus.handle(GetAccount(account_id=account_id), principal))


@router.get("/{account_id}/holdings", response_model=HoldingsOut, summary="Holdings — 持仓（CCER项目持仓查询）")
async def holdings(
    account_id: Id,
    bus: BusDep,
    principal: EnterpriseOrProvince,
    project_number: Annotated[str | None, Query(max_length=60, description="CCER rows: 项目备案号")] = None,
    name: Annotated[str | None, Query(max_length=200, description="CCER rows: 标的名称 contains")] = None,
    project_type: Annotated[str | None, Query(max_length=60, description="CCER rows: 项目类型")] = None,
    project_region: Annotated[str | None, Query(max_length=60, description="CCER rows: 项目地区")] = None,
) -> HoldingsOut:
    command = GetHoldings(
        account_id=account_id,
        project_number=project_number,
        name=name,
        project_type=project_type,
        project_region=project_region,
    )
    return holdings_out(await bus.handle(command, principal))


@router.get(
    "/{account_id}/holdings/{instrument}/movements",
    response_model=PageOf[MovementOut],
    responses=CSV,
    summary="Movements of one holding, oldest first — 持仓流水",
)
async def movements(
    account_id: Id,
    instrument: Instrument,
    bus: BusDep,
    principal: EnterpriseOrProvince,
    page: Page,
    request: Request,
    kind: Annotated[MovementKind | None, Query(description=MovementKind.__doc__)] = None,
) -> Any:
    command = ListHoldingMovements(
        account_id=account_id,
        instrument=instrument,
        kind=kind.value if kind else None,
        limit=page.limit + 1,
        offset=page.offset,
    )
    rows = await bus.handle(command, principal)
    return respond_list(request, [movement_out(m) for m in rows[: page.limit]], page, len(rows) > page.limit)


@router.post(
    "/{account_id}/transfers",
    response_model=HoldingsOut,
    summary="Transfer between trading and registry side — 持仓划转",
)
async def transfer(account_id: Id, body: TransferIn, bus: BusDep, principal: Enterprise) -> HoldingsOut:
    command = TransferAllowances(
        account_id=account_id, instrument=body.instrument, quantity=body.quantity, direction=body.direction.value
    )
    return holdings_out(await bus.handle(command, principal))


# --- seed 002's home page ---------------------------------------------------------------------------
def _sides(t: HoldingTotals) -> HoldingSidesOut:
    return HoldingSidesOut(registry=t.registry, trading=t.trading, frozen=t.frozen, available=t.available)


def overview_out(view: OverviewView) -> OverviewOut:
    detail = holdings_out(view.holdings)
    return OverviewOut(
        account=account_out(view.holdings.account),
        as_of=view.as_of,
        holdings=OverviewHoldingsOut(
            allowances=_sides(view.allowances),
            ccer=_sides(view.ccer),
            pending_offsets=view.holdings.pending_offsets_total,
            allowance_instruments=detail.allowances,
            ccer_instruments=detail.ccer,
        ),
        open_notices=[notice_out(n) for n in view.open_notices],
        applications=ApplicationCountsOut(to_do=view.applications.to_do, under_review=view.applications.under_review),
    )


@router.get(
    "/{account_id}/overview",
    response_model=OverviewOut,
    summary="The account's home page: holdings, open notices, applications — 首页（持仓、未完成履约通知书、履约待办）",
)
async def overview(account_id: Id, bus: BusDep, principal: EnterpriseOrProvince) -> OverviewOut:
    return overview_out(await bus.handle(GetAccountOverview(account_id=account_id), principal))
