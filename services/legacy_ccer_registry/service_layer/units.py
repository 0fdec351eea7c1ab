"""Projects recorded before 2017-03-14, their issuances, trades at the legacy exchanges, transfers
(划转) to and from the general holding account, holdings and the history of a serial."""

from __future__ import annotations

from services.legacy_ccer_registry.adapters.orm import HoldingBlock, Issuance, Movement, Project
from services.legacy_ccer_registry.domain.access import OPERATORS, SERIAL_READERS
from services.legacy_ccer_registry.domain.holdings import (
    MOVE_CONFLICTS,
    TransferDirection,
    UnitState,
    summarise_holdings,
    trade_findings,
    transfer_findings,
)
from services.legacy_ccer_registry.domain.projects import ISSUANCE_CONFLICTS, issuance_findings, next_issuance_range
from services.legacy_ccer_registry.service_layer.commands import (
    GetHoldings,
    GetSerialHistory,
    IssueUnits,
    RecordProject,
    SettleTrade,
    TransferUnits,
)
from services.legacy_ccer_registry.service_layer.unit_of_work import LegacyUnitOfWork
from services.legacy_ccer_registry.service_layer.views import Holdings, SerialHistory
from shared.errors import Conflict, Forbidden, Invalid, NotFound, refuse
from shared.ids import new_id
from shared.principal import Principal
from shared.reference import LEGACY_EXCHANGES
from shared.scope import Scope
from shared.serials import SerialRange, legacy_issuance_prefix, parse_serial

__all__ = [
    "get_holdings",
    "get_serial_history",
    "issue_units",
    "record_project",
    "settle_trade",
    "transfer_units",
]


def _scope(principal: Principal) -> Scope:
    return Scope.of(principal, operators=OPERATORS)


async def record_project(uow: LegacyUnitOfWork, cmd: RecordProject, principal: Principal) -> Project:
    if await uow.projects.exists(cmd.number):
        raise Conflict("PROJECT_EXISTS", f"project {cmd.number} is already recorded", f"项目 {cmd.number} 已备案")
    project = Project(
        number=cmd.number,
        name=cmd.name,
        owner_uscc=cmd.owner_uscc,
        type=cmd.type,
        region=cmd.region,
        recorded_at=cmd.recorded_at,
        within_national_ets=cmd.within_national_ets,
        created_at=uow.now(),
    )
    await uow.projects.add(project)
    uow.audit("record_project", "project", project.number, recorded_at=cmd.recorded_at)
    return project


async def issue_units(uow: LegacyUnitOfWork, cmd: IssueUnits, principal: Principal) -> Issuance:
    """New serials ``VER-{project}-{vintage}-{n}`` following the last ones of the project and
    vintage, onto the exchange's trading side of the account."""
    project = await uow.projects.lock(cmd.project_number)
    account = await uow.accounts.get(cmd.account_id, _scope(principal))
    await uow.accounts.lock(account.id)
    trades_there = await uow.accounts.trades_at(account.id, cmd.exchange)
    refuse(
        issuance_findings(exchange=cmd.exchange, trades_there=trades_there),
        "the issuance is refused",
        "签发被拒绝",
        conflict_codes=ISSUANCE_CONFLICTS,
    )
    last = await uow.projects.last_issued(legacy_issuance_prefix(project.number, cmd.vintage))
    rng = next_issuance_range(project.number, cmd.vintage, last, cmd.quantity)
    issuance = await uow.projects.add_issuance(
        Issuance(
            id=new_id("LI"),
            project_number=project.number,
            vintage=cmd.vintage,
            serial_prefix=rng.prefix,
            first_n=rng.first,
            last_n=rng.last,
            quantity=cmd.quantity,
            account_id=account.id,
            exchange=cmd.exchange,
            recorded_at=cmd.recorded_at,
            issued_at=uow.now(),
        )
    )
    uow.blocks.add(
        HoldingBlock(
            account_id=account.id,
            project_number=project.number,
            vintage=cmd.vintage,
            issuance_id=issuance.id,
            serial_prefix=rng.prefix,
            first_n=rng.first,
            last_n=rng.last,
            state=UnitState.trading,
            exchange=cmd.exchange,
            units_recorded_at=cmd.recorded_at,
        )
    )
    await uow.journal.record(
        "issuance",
        project_number=project.number,
        ranges=[rng],
        at=uow.now(),
        to_account_id=account.id,
        to_state=UnitState.trading,
        exchange=cmd.exchange,
        reference_id=issuance.id,
        detail={"vintage": cmd.vintage, "recorded_at": cmd.recorded_at.isoformat()},
    )
    uow.audit("issue_units", "issuance", issuance.id, quantity=cmd.quantity, serial_ranges=[list(rng.labels())])
    return issuance


def _operated_exchange(principal: Principal) -> str:
    """The legacy exchange whose operator is acting (its ``exchange`` claim)."""
    if principal.exchange not in LEGACY_EXCHANGES:
        raise Forbidden(
            "NOT_LEGACY_EXCHANGE",
            f"trades here are settled by a legacy exchange, not {principal.exchange}",
            "旧有CCER交易由旧有CCER交易机构结算",
        )
    return principal.exchange


async def settle_trade(uow: LegacyUnitOfWork, cmd: SettleTrade, principal: Principal) -> Movement:
    """The operator's exchange settles a trade of the seller's trading-side units there to the
    buyer's trading side there. A seller not trading at that exchange is not found (404)."""
    exchange = _operated_exchange(principal)
    seller = await uow.accounts.get(cmd.seller_account_id, _scope(principal))
    locked = await uow.accounts.lock(seller.id, cmd.buyer_account_id)
    if cmd.buyer_account_id not in locked:
        raise NotFound.of("account", "账户", cmd.buyer_account_id)
    blocks = await uow.blocks.held(seller.id, cmd.project_number, UnitState.trading, exchange)
    findings = trade_findings(
        same_account=seller.id == cmd.buyer_account_id,
        exchange=exchange,
        buyer_trades_there=await uow.accounts.trades_at(cmd.buyer_account_id, exchange),
        quantity=cmd.quantity,
        seller_holds=sum(b.last_n - b.first_n + 1 for b in blocks),
    )
    refuse(findings, "the trade is refused", "交易未结算", conflict_codes=MOVE_CONFLICTS)
    moved = await uow.blocks.move_lowest(blocks, cmd.quantity, account_id=cmd.buyer_account_id)
    trade = await uow.journal.record(
        "trade",
        movement_id=new_id("LTR"),
        project_number=cmd.project_number,
        ranges=[m.range for m in moved],
        at=uow.now(),
        from_account_id=seller.id,
        to_account_id=cmd.buyer_account_id,
        from_state=UnitState.trading,
        to_state=UnitState.trading,
        exchange=exchange,
    )
    uow.audit("settle_trade", "trade", trade.id, quantity=cmd.quantity, serial_ranges=trade.serial_ranges)
    return trade


async def transfer_units(uow: LegacyUnitOfWork, cmd: TransferUnits, principal: Principal) -> Movement:
    """划转: the holder moves units between ``exchange``'s trading side and its general holding
    account, lowest serials first."""
    account = await uow.accounts.get(cmd.account_id, _scope(principal))
    await uow.accounts.lock(account.id)
    direction = cmd.direction
    source_exchange = cmd.exchange if direction is TransferDirection.to_registry else None
    blocks = await uow.blocks.held(account.id, cmd.project_number, direction.source, source_exchange)
    findings = transfer_findings(
        direction=direction,
        exchange=cmd.exchange,
        trades_there=await uow.accounts.trades_at(account.id, cmd.exchange),
        quantity=cmd.quantity,
        source_holds=sum(b.last_n - b.first_n + 1 for b in blocks),
    )
    refuse(findings, "the transfer is refused", "划转被拒绝", conflict_codes=MOVE_CONFLICTS)
    target_exchange = cmd.exchange if direction is TransferDirection.to_exchange else None
    moved = await uow.blocks.move_lowest(blocks, cmd.quantity, state=direction.target, exchange=target_exchange)
    transfer = await uow.journal.record(
        "transfer",
        movement_id=new_id("LTF"),
        project_number=cmd.project_number,
        ranges=[m.range for m in moved],
        at=uow.now(),
        from_account_id=account.id,
        to_account_id=account.id,
        from_state=direction.source,
        to_state=direction.target,
        exchange=cmd.exchange,
        detail={"direction": direction.value},
    )
    uow.audit("transfer_units", "transfer", transfer.id, direction=direction, quantity=cmd.quantity)
    return transfer


async def get_holdings(uow: LegacyUnitOfWork, cmd: GetHoldings, principal: Principal) -> Holdings:
    account = await uow.accounts.get(cmd.account_id, _scope(principal))
    blocks = await uow.blocks.of_account(account.id)
    rows = summarise_holdings(
        (b.project_number, b.state, b.exchange, SerialRange(b.serial_prefix, b.first_n, b.last_n)) for b in blocks
    )
    return Holdings(account.id, tuple(rows))


async def get_serial_history(uow: LegacyUnitOfWork, cmd: GetSerialHistory, principal: Principal) -> SerialHistory:
    """Where the unit is and every move it made here; for its current holder and NCSC."""
    try:
        prefix, n = parse_serial(cmd.serial)
    except ValueError as exc:
        raise Invalid("INVALID_SERIAL", str(exc), f"序列号格式不正确：{cmd.serial}", field="serial") from exc
    found = await uow.blocks.holding(prefix, n, Scope.of(principal, operators=SERIAL_READERS))
    if found is None:
        raise NotFound.of("unit", "减排量", cmd.serial)
    block, account = found
    return SerialHistory(cmd.serial, block, account, tuple(await uow.journal.of_serial(prefix, n)))
