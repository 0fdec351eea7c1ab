"""Commands on CCER units: projects, issuance, exchange trades, transfers; and the holdings query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.new_ccer_registry.adapters.blocks import blocks_in, labels, lock_accounts, move_lowest, to_range
from services.new_ccer_registry.adapters.orm import (
    Account,
    HoldingBlock,
    Issuance,
    Movement,
    Project,
    TradingAccount,
)
from services.new_ccer_registry.domain.holdings import (
    HoldingRow,
    Origin,
    TransferDirection,
    UnitState,
    summarise_holdings,
)
from services.new_ccer_registry.domain.lots import (
    CONFLICT_CODES,
    insufficient,
    settling_exchange_finding,
    trade_findings,
)
from services.new_ccer_registry.domain.projects import issuance_findings, next_issuance_range
from services.new_ccer_registry.domain.serials import SerialRange
from shared.findings import Finding
from shared.ids import new_id
from shared.problems import Problem
from shared.timeutil import local
from shared.uow import UnitOfWork

__all__ = [
    "ProjectFacts",
    "account_holdings",
    "get_project",
    "issue_units",
    "raise_findings",
    "record_movement",
    "register_project",
    "settle_trade",
    "transfer_units",
]


def raise_findings(findings: list[Finding], summary: str, summary_zh: str) -> None:
    """Refuse with every finding: 409 when any is about the state of things, 422 otherwise."""
    if not findings:
        return
    status = 409 if any(f.code in CONFLICT_CODES for f in findings) else 422
    if len(findings) == 1:
        raise Problem(status, findings[0].code, findings[0].message, findings[0].message_zh, errors=findings)
    raise Problem(
        status,
        findings[0].code,
        f"{summary}: {len(findings)} problems",
        f"{summary_zh}：共 {len(findings)} 处问题",
        errors=findings,
    )


@dataclass(frozen=True)
class ProjectFacts:
    number: str
    name: str
    owner_uscc: str
    type: str
    methodology: str
    region: str
    registered_at: date
    within_national_ets: bool


async def register_project(uow: UnitOfWork, facts: ProjectFacts) -> Project:
    if await uow.session.get(Project, facts.number) is not None:
        raise Problem.conflict(
            "PROJECT_EXISTS", f"project {facts.number} is already registered", f"项目 {facts.number} 已登记"
        )
    project = Project(
        number=facts.number,
        name=facts.name,
        owner_uscc=facts.owner_uscc,
        type=facts.type,
        methodology=facts.methodology,
        region=facts.region,
        home_registry=Origin.new,
        registered_at=facts.registered_at,
        within_national_ets=facts.within_national_ets,
        created_at=uow.now(),
    )
    uow.session.add(project)
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # registered concurrently
        raise Problem.conflict(
            "PROJECT_EXISTS", f"project {facts.number} is already registered", f"项目 {facts.number} 已登记"
        ) from exc
    uow.audit("register_project", "project", project.number, **facts.__dict__)
    return project


async def get_project(uow: UnitOfWork, number: str, *, lock: bool = False) -> Project | None:
    query = select(Project).where(Project.number == number)
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return await uow.session.scalar(query)


async def issued_quantity(uow: UnitOfWork, project_number: str) -> int:
    total = await uow.session.scalar(
        select(func.coalesce(func.sum(Issuance.quantity), 0)).where(Issuance.project_number == project_number)
    )
    return int(total or 0)


def record_movement(
    uow: UnitOfWork,
    kind: str,
    project_number: str,
    quantity: int,
    ranges: list[SerialRange],
    *,
    to_state: str,
    from_state: str | None = None,
    from_account: str | None = None,
    to_account: str | None = None,
    lot_id: str | None = None,
    prefix: str = "MOV",
) -> Movement:
    """One row of the units' transaction log."""
    movement = Movement(
        id=new_id(prefix),
        kind=kind,
        project_number=project_number,
        from_account_id=from_account,
        to_account_id=to_account,
        from_state=from_state,
        to_state=to_state,
        quantity=quantity,
        serial_ranges=labels(ranges),
        lot_id=lot_id,
        at=uow.now(),
    )
    uow.session.add(movement)
    return movement


async def issue_units(uow: UnitOfWork, project_number: str, vintage: int, quantity: int, account_id: str) -> Issuance:
    """签发: a new contiguous range of the project and vintage into the account's general holding account."""
    project = await get_project(uow, project_number, lock=True)  # serialises numbering per project
    if project is None or project.home_registry != Origin.new:
        raise Problem.not_found("project", "项目", project_number)
    accounts = await lock_accounts(uow.session, account_id)
    account = accounts.get(account_id)
    raise_findings(
        issuance_findings(
            account_known=account is not None,
            account_active=account is not None and account.status == "active",
            vintage=vintage,
            current_year=local(uow.now()).year,
        ),
        "the issuance is refused",
        "签发被拒绝",
    )
    last = await uow.session.scalar(
        select(func.max(Issuance.last_n)).where(
            Issuance.project_number == project_number, Issuance.vintage == vintage, Issuance.origin == Origin.new
        )
    )
    rng = next_issuance_range(project_number, vintage, last, quantity)
    issuance = Issuance(
        id=new_id("ISS"),
        project_number=project_number,
        origin=Origin.new,
        vintage=vintage,
        serial_prefix=rng.prefix,
        first_n=rng.first,
        last_n=rng.last,
        quantity=quantity,
        account_id=account_id,
        units_recorded_at=None,
        issued_at=uow.now(),
    )
    uow.session.add(issuance)
    uow.session.add(
        HoldingBlock(
            project_number=project_number,
            vintage=vintage,
            origin=Origin.new,
            account_id=account_id,
            state=UnitState.available,
            lot_id=None,
            serial_prefix=rng.prefix,
            first_n=rng.first,
            last_n=rng.last,
        )
    )
    record_movement(
        uow, "issuance", project_number, quantity, [rng], to_state=UnitState.available, to_account=account_id
    )
    uow.audit(
        "issue_units",
        "issuance",
        issuance.id,
        project_number=project_number,
        vintage=vintage,
        quantity=quantity,
        account_id=account_id,
        serial_ranges=labels([rng]),
    )
    await uow.session.flush()
    return issuance


async def _trading_active(uow: UnitOfWork, account_id: str) -> bool:
    status = await uow.session.scalar(
        select(TradingAccount.status).where(TradingAccount.registry_account_id == account_id)
    )
    return status == "active"


async def settle_trade(
    uow: UnitOfWork, exchange: str | None, seller_id: str, buyer_id: str, project_number: str, quantity: int
) -> Movement:
    """An exchange trade settled on the trading side: the seller's lowest serials go to the buyer."""
    wrong_exchange = settling_exchange_finding(exchange)
    if wrong_exchange is not None:
        raise Problem(403, wrong_exchange.code, wrong_exchange.message, wrong_exchange.message_zh)
    accounts = await lock_accounts(uow.session, seller_id, buyer_id)
    seller, buyer = accounts.get(seller_id), accounts.get(buyer_id)
    project = await get_project(uow, project_number)
    blocks = (
        await blocks_in(uow.session, account_id=seller_id, project_number=project_number, state=UnitState.trading)
        if seller and project
        else []
    )
    raise_findings(
        trade_findings(
            seller_known=seller is not None,
            buyer_known=buyer is not None,
            same_account=seller_id == buyer_id,
            project_known=project is not None,
            project_number=project_number,
            seller_trading_active=seller is not None
            and seller.status == "active"
            and await _trading_active(uow, seller_id),
            buyer_trading_active=buyer is not None
            and buyer.status == "active"
            and await _trading_active(uow, buyer_id),
            requested=quantity,
            seller_holds=sum(to_range(b).size for b in blocks),
        ),
        "the trade is refused",
        "交易被拒绝",
    )
    moved = await move_lowest(uow.session, blocks, quantity, to_state=UnitState.trading, to_account_id=buyer_id)
    movement = record_movement(
        uow,
        "trade",
        project_number,
        quantity,
        moved,
        from_state=UnitState.trading,
        to_state=UnitState.trading,
        from_account=seller_id,
        to_account=buyer_id,
        prefix="TRD",
    )
    uow.audit(
        "settle_trade",
        "trade",
        movement.id,
        seller_account_id=seller_id,
        buyer_account_id=buyer_id,
        project_number=project_number,
        quantity=quantity,
        serial_ranges=movement.serial_ranges,
    )
    return movement


async def transfer_units(
    uow: UnitOfWork, account: Account, direction: TransferDirection, project_number: str, quantity: int
) -> Movement:
    """划转 between the trading side and the general holding account. Only new-origin units trade;
    units may leave the trading side whatever the trading account's status."""
    await lock_accounts(uow.session, account.id)
    project = await get_project(uow, project_number)
    findings: list[Finding] = []
    if project is None:
        findings.append(
            Finding(
                code="PROJECT_NOT_FOUND",
                message=f"project {project_number} is not known to this registry",
                message_zh=f"项目 {project_number} 不存在",
                field="project_number",
            )
        )
    if direction is TransferDirection.to_trading and not await _trading_active(uow, account.id):
        findings.append(
            Finding(
                code="TRADING_ACCOUNT_NOT_ACTIVE",
                message="the trading account is not active",
                message_zh="交易账户未激活或已暂停",
                field="direction",
            )
        )
    blocks = (
        await blocks_in(
            uow.session, account_id=account.id, project_number=project_number, state=direction.source, origin=Origin.new
        )
        if project
        else []
    )
    holds = sum(to_range(b).size for b in blocks)
    if project is not None and quantity > holds:
        findings.append(insufficient(direction.source, project_number, quantity, holds))
    raise_findings(findings, "the transfer is refused", "划转被拒绝")
    moved = await move_lowest(uow.session, blocks, quantity, to_state=direction.target)
    movement = record_movement(
        uow,
        f"transfer_{direction}",
        project_number,
        quantity,
        moved,
        from_state=direction.source,
        to_state=direction.target,
        from_account=account.id,
        to_account=account.id,
        prefix="TRF",
    )
    uow.audit(
        "transfer_units",
        "transfer",
        movement.id,
        account_id=account.id,
        direction=str(direction),
        project_number=project_number,
        quantity=quantity,
        serial_ranges=movement.serial_ranges,
    )
    return movement


async def account_holdings(uow: UnitOfWork, account_id: str) -> list[HoldingRow]:
    rows = await uow.session.execute(
        select(
            HoldingBlock.project_number,
            HoldingBlock.origin,
            HoldingBlock.vintage,
            HoldingBlock.state,
            HoldingBlock.serial_prefix,
            HoldingBlock.first_n,
            HoldingBlock.last_n,
        ).where(HoldingBlock.account_id == account_id)
    )
    return summarise_holdings(
        (p, o, v, s, SerialRange(prefix, first, last)) for p, o, v, s, prefix, first, last in rows
    )
