"""Projects, issuance, exchange trades, transfers and holdings of the new registry, through its handlers."""

from __future__ import annotations

import pytest

from services.new_ccer_registry.domain.holdings import TransferDirection
from services.new_ccer_registry.service_layer.commands import (
    GetHoldings,
    GetProject,
    IssueUnits,
    SettleTrade,
    TransferUnits,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from tests.service_layer import as_
from tests.unit.service_layer.test_new_registry_support import (
    CBGEX,
    NCSC,
    Holding,
    Svc,
    issue,
    new_uscc,
    open_account,
    quantities,
    register_project,
)


def to_trading(account: Holding, project: str, quantity: int) -> TransferUnits:
    return TransferUnits(
        account_id=account.account_id,
        direction=TransferDirection.to_trading,
        project_number=project,
        quantity=quantity,
    )


async def test_a_registered_project_is_public_and_counts_what_was_issued(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    project = await register_project(new_registry)
    await issue(new_registry, project, account, 1200)
    await issue(new_registry, project, account, 500, vintage=2023)

    shown = await new_registry.handle(GetProject(number=project), as_("exchange_operator", exchange="CBGEX"))

    assert (shown.project.number, shown.project.home_registry, shown.issued) == (project, "new", 1700)


async def test_a_project_number_is_registered_once(new_registry: Svc) -> None:
    project = await register_project(new_registry)

    with pytest.raises(Conflict) as again:
        await register_project(new_registry, project)

    assert again.value.code == "PROJECT_EXISTS"


async def test_issuance_numbers_serials_contiguously_per_project_and_vintage(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    project = await register_project(new_registry)

    first = await issue(new_registry, project, account, 100)
    second = await issue(new_registry, project, account, 50)
    other_vintage = await issue(new_registry, project, account, 10, vintage=2023)

    assert first == [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-100"]]
    assert second == [[f"CCER-{project}-2024-101", f"CCER-{project}-2024-150"]]
    assert other_vintage == [[f"CCER-{project}-2023-1", f"CCER-{project}-2023-10"]]
    assert (await quantities(new_registry, account, project))["available"] == 160


async def test_an_issuance_into_an_unknown_account_of_a_future_vintage_is_refused_with_every_finding(
    new_registry: Svc,
) -> None:
    project = await register_project(new_registry)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(
            IssueUnits(project_number=project, vintage=2031, quantity=10, account_id="NCR-missing"), NCSC
        )

    assert [f.code for f in refused.value.findings] == ["ACCOUNT_NOT_FOUND", "VINTAGE_IN_FUTURE"]
    assert all(f.message_zh for f in refused.value.findings)


async def test_issuing_units_of_an_unregistered_project_is_not_found(new_registry: Svc) -> None:
    account = await open_account(new_registry)

    with pytest.raises(NotFound):
        await new_registry.handle(
            IssueUnits(project_number="P-none", vintage=2024, quantity=10, account_id=account.account_id), NCSC
        )


async def test_a_transfer_to_trading_and_back_moves_the_lowest_serials_each_way(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    project = await register_project(new_registry)
    await issue(new_registry, project, account, 300)

    out = await new_registry.handle(to_trading(account, project, 120), account.principal)
    back = await new_registry.handle(
        TransferUnits(
            account_id=account.account_id,
            direction=TransferDirection.to_registry,
            project_number=project,
            quantity=20,
        ),
        account.principal,
    )

    assert out.serial_ranges == [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-120"]]
    assert back.serial_ranges == [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-20"]]
    held = await quantities(new_registry, account, project)
    assert (held["trading"], held["available"]) == (100, 200)


async def test_a_transfer_into_a_trading_account_awaiting_its_fees_is_refused_as_a_conflict(new_registry: Svc) -> None:
    account = await open_account(new_registry, account_type="project_owner")
    project = await register_project(new_registry)
    await issue(new_registry, project, account, 100)

    with pytest.raises(Conflict) as refused:
        await new_registry.handle(to_trading(account, project, 10), account.principal)

    assert refused.value.code == "TRADING_ACCOUNT_NOT_ACTIVE"
    assert (await quantities(new_registry, account, project))["available"] == 100


async def test_a_transfer_of_more_than_is_held_of_an_unknown_project_reports_what_applies(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    project = await register_project(new_registry)
    await issue(new_registry, project, account, 100)

    with pytest.raises(Conflict) as too_much:
        await new_registry.handle(to_trading(account, project, 101), account.principal)
    with pytest.raises(Invalid) as unknown:
        await new_registry.handle(to_trading(account, "P-none", 1), account.principal)

    assert [f.code for f in too_much.value.findings] == ["INSUFFICIENT_AVAILABLE"]
    assert [f.code for f in unknown.value.findings] == ["PROJECT_NOT_FOUND"]


async def test_a_transfer_in_someone_elses_account_is_not_found(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    project = await register_project(new_registry)
    await issue(new_registry, project, account, 100)

    with pytest.raises(NotFound):
        await new_registry.handle(to_trading(account, project, 10), as_("enterprise", org=new_uscc()))


async def test_a_cbgex_trade_moves_the_sellers_lowest_trading_serials_to_the_buyer(new_registry: Svc) -> None:
    seller, buyer = await open_account(new_registry), await open_account(new_registry)
    project = await register_project(new_registry)
    await issue(new_registry, project, seller, 500)
    await new_registry.handle(to_trading(seller, project, 300), seller.principal)

    trade = await new_registry.handle(
        SettleTrade(
            seller_account_id=seller.account_id,
            buyer_account_id=buyer.account_id,
            project_number=project,
            quantity=120,
        ),
        CBGEX,
    )

    assert (trade.from_account_id, trade.to_account_id, trade.quantity) == (seller.account_id, buyer.account_id, 120)
    assert trade.serial_ranges == [[f"CCER-{project}-2024-1", f"CCER-{project}-2024-120"]]
    assert (await quantities(new_registry, seller, project))["trading"] == 180
    assert (await quantities(new_registry, buyer, project))["trading"] == 120


async def test_a_trade_settled_by_another_exchange_is_forbidden(new_registry: Svc) -> None:
    seller, buyer = await open_account(new_registry), await open_account(new_registry)
    project = await register_project(new_registry)

    with pytest.raises(Forbidden) as refused:
        await new_registry.handle(
            SettleTrade(
                seller_account_id=seller.account_id,
                buyer_account_id=buyer.account_id,
                project_number=project,
                quantity=1,
            ),
            as_("exchange_operator", exchange="SEEE"),
        )

    assert refused.value.code == "NOT_CCER_EXCHANGE"


async def test_a_trade_with_an_unknown_buyer_and_project_is_refused_with_every_finding(new_registry: Svc) -> None:
    seller = await open_account(new_registry)

    with pytest.raises(Invalid) as refused:
        await new_registry.handle(
            SettleTrade(
                seller_account_id=seller.account_id,
                buyer_account_id="NCR-missing",
                project_number="P-none",
                quantity=5,
            ),
            CBGEX,
        )

    assert {f.code for f in refused.value.findings} == {"BUYER_ACCOUNT_NOT_FOUND", "PROJECT_NOT_FOUND"}


async def test_holdings_are_shown_to_the_holder_and_ncsc_and_not_found_for_a_stranger(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    project = await register_project(new_registry)
    await issue(new_registry, project, account, 70)

    for viewer in (account.principal, NCSC):
        (row,) = await new_registry.handle(GetHoldings(account_id=account.account_id), viewer)
        assert (row.project_number, row.origin, row.vintage, row.quantities["available"]) == (project, "new", 2024, 70)
    with pytest.raises(NotFound):
        await new_registry.handle(GetHoldings(account_id=account.account_id), as_("enterprise", org=new_uscc()))


async def test_a_new_project_has_nothing_issued_and_an_unknown_one_is_not_found(new_registry: Svc) -> None:
    project = await register_project(new_registry)

    shown = await new_registry.handle(GetProject(number=project), NCSC)

    assert (shown.issued, shown.project.methodology) == (0, "CCER-14-001-V01")
    with pytest.raises(NotFound):
        await new_registry.handle(GetProject(number="P-never"), NCSC)
