"""Trading account fees (seed 004 第五步) through the new registry's handlers and its scheduler: paying
makes the trading account active, the annual fee's lapse suspends it (a due job, once), a suspended
account neither trades nor transfers, and a late payment reactivates it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.new_ccer_registry.domain.fees import FeeKind
from services.new_ccer_registry.domain.holdings import TransferDirection
from services.new_ccer_registry.service_layer.commands import (
    GetAccount,
    ListFees,
    PayFee,
    SettleTrade,
    TransferUnits,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.timeutil import CST
from tests.service_layer import DEFAULT_NOW, as_
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

# Paid at DEFAULT_NOW (2025-06-02 09:00): valid through 2026-06-02 (a Tuesday), until 24:00 that day.
ONE_YEAR_ON = datetime(2026, 6, 3, 0, 0, tzinfo=CST)
TWO_YEARS_ON = datetime(2027, 6, 3, 0, 0, tzinfo=CST)


async def pay(svc: Svc, account: Holding, kind: FeeKind, amount: int | None = None) -> object:
    amount = amount if amount is not None else (2000 if kind is FeeKind.opening else 1000)
    return await svc.handle(PayFee(account_id=account.account_id, kind=kind, amount=amount), account.principal)


async def trading(svc: Svc, account: Holding) -> tuple[str, datetime | None]:
    view = await svc.handle(GetAccount(account_id=account.account_id), NCSC)
    assert view.trading is not None
    return view.trading.status, view.trading.annual_fee_valid_until


async def paid_up_owner(svc: Svc, account_type: str = "project_owner") -> Holding:
    owner = await open_account(svc, account_type=account_type)
    await pay(svc, owner, FeeKind.opening)
    await pay(svc, owner, FeeKind.annual)
    return owner


def known_2027(svc: Svc) -> None:
    """The working-day library ships no 2027 data: as an operator would, give it (weekends only here)."""
    svc.runtime.calendar.extra[2027] = (frozenset(), frozenset())


def to_trading(account: Holding, project: str, quantity: int) -> TransferUnits:
    return TransferUnits(
        account_id=account.account_id, direction=TransferDirection.to_trading, project_number=project, quantity=quantity
    )


async def seller_with_units(svc: Svc) -> tuple[Holding, Holding, str]:
    """A paid-up project owner with 100 units on its trading side, and a key emitting buyer."""
    owner = await paid_up_owner(svc)
    buyer = await open_account(svc, account_type="national_key_emitter")
    project = await register_project(svc)
    await issue(svc, project, owner, 100)
    await svc.handle(to_trading(owner, project, 100), owner.principal)
    return owner, buyer, project


def sell(owner: Holding, buyer: Holding, project: str, quantity: int = 10) -> SettleTrade:
    return SettleTrade(
        seller_account_id=owner.account_id, buyer_account_id=buyer.account_id, project_number=project, quantity=quantity
    )


async def test_a_project_owners_trading_account_is_active_once_the_opening_and_first_annual_fees_are_paid(
    new_registry: Svc,
) -> None:
    owner = await open_account(new_registry, account_type="project_owner")

    await pay(new_registry, owner, FeeKind.opening)
    after_opening = await trading(new_registry, owner)
    await pay(new_registry, owner, FeeKind.annual)

    assert after_opening == ("awaiting_fees", None)
    assert await trading(new_registry, owner) == ("active", ONE_YEAR_ON)


async def test_the_annual_fee_may_come_first_and_the_opening_fee_completes_the_pair(new_registry: Svc) -> None:
    other = await open_account(new_registry, account_type="other")

    await pay(new_registry, other, FeeKind.annual)
    first = await trading(new_registry, other)
    await pay(new_registry, other, FeeKind.opening)

    assert first == ("awaiting_fees", ONE_YEAR_ON)
    assert await trading(new_registry, other) == ("active", ONE_YEAR_ON)


async def test_wrong_amounts_fees_of_key_emitters_and_a_second_opening_fee_are_refused(new_registry: Svc) -> None:
    owner = await open_account(new_registry, account_type="project_owner")
    emitter = await open_account(new_registry, account_type="national_key_emitter")
    await pay(new_registry, owner, FeeKind.opening)

    with pytest.raises(Invalid) as wrong_amount:
        await pay(new_registry, owner, FeeKind.annual, 2000)
    with pytest.raises(Invalid) as emitter_pays:
        await pay(new_registry, emitter, FeeKind.opening)
    with pytest.raises(Conflict) as twice:
        await pay(new_registry, owner, FeeKind.opening)

    assert (wrong_amount.value.code, emitter_pays.value.code, twice.value.code) == (
        "FEE_AMOUNT_WRONG",
        "FEES_NOT_APPLICABLE",
        "OPENING_FEE_ALREADY_PAID",
    )
    ledger = await new_registry.handle(ListFees(account_id=owner.account_id), owner.principal)
    assert [(p.kind, p.amount) for p in ledger.items] == [("opening", 2000)]


async def test_the_ledger_is_the_holders_and_ncscs_only(new_registry: Svc) -> None:
    owner = await paid_up_owner(new_registry)

    for reader in (owner.principal, NCSC):
        ledger = await new_registry.handle(ListFees(account_id=owner.account_id), reader)
        assert [(p.kind, p.amount, p.valid_until) for p in ledger.items] == [
            ("opening", 2000, None),
            ("annual", 1000, ONE_YEAR_ON),
        ]
    for stranger in (as_("enterprise", org=new_uscc()), as_("province_initiator", province="110000"), CBGEX):
        with pytest.raises(NotFound):
            await new_registry.handle(ListFees(account_id=owner.account_id), stranger)
    with pytest.raises(NotFound):
        await new_registry.handle(
            PayFee(account_id=owner.account_id, kind=FeeKind.annual, amount=1000), as_("enterprise", org=new_uscc())
        )


async def test_an_annual_fee_paid_before_expiry_extends_from_the_old_expiry_and_the_old_lapse_changes_nothing(
    new_registry: Svc,
) -> None:
    owner = await paid_up_owner(new_registry)

    await new_registry.set_clock(ONE_YEAR_ON - timedelta(days=20))
    await pay(new_registry, owner, FeeKind.annual)
    ran = await new_registry.set_clock(ONE_YEAR_ON + timedelta(days=1))

    assert ran == 1  # the lapse check due at the old expiry ran, and found the fee extended
    assert await trading(new_registry, owner) == ("active", TWO_YEARS_ON)
    ledger = await new_registry.handle(ListFees(account_id=owner.account_id), owner.principal)
    assert (ledger.items[-1].valid_from, ledger.items[-1].valid_until) == (ONE_YEAR_ON, TWO_YEARS_ON)


async def test_the_trading_account_is_active_a_moment_before_expiry_and_suspended_exactly_at_it(
    new_registry: Svc,
) -> None:
    owner = await paid_up_owner(new_registry)

    before = await new_registry.set_clock(ONE_YEAR_ON - timedelta(seconds=1))
    still = await trading(new_registry, owner)
    at = await new_registry.set_clock(ONE_YEAR_ON)

    assert (before, still) == (0, ("active", ONE_YEAR_ON))
    assert (at, await trading(new_registry, owner)) == (1, ("suspended", ONE_YEAR_ON))


async def test_a_jump_of_years_suspends_once(new_registry: Svc) -> None:
    owner = await paid_up_owner(new_registry)

    ran = await new_registry.set_clock(DEFAULT_NOW + timedelta(days=3 * 365))
    again = await new_registry.set_clock(DEFAULT_NOW + timedelta(days=4 * 365))

    assert (ran, again) == (1, 0)
    assert (await trading(new_registry, owner))[0] == "suspended"


async def test_a_suspended_account_neither_sells_nor_buys_nor_transfers_until_a_late_payment_reactivates_it(
    new_registry: Svc,
) -> None:
    owner, buyer, project = await seller_with_units(new_registry)
    await new_registry.handle(sell(owner, buyer, project), CBGEX)
    await new_registry.set_clock(ONE_YEAR_ON + timedelta(days=40))

    with pytest.raises(Conflict) as selling:
        await new_registry.handle(sell(owner, buyer, project), CBGEX)
    with pytest.raises(Conflict) as buying:
        await new_registry.handle(sell(buyer, owner, project, 1), CBGEX)
    with pytest.raises(Conflict) as leaving:
        await new_registry.handle(
            TransferUnits(
                account_id=owner.account_id,
                direction=TransferDirection.to_registry,
                project_number=project,
                quantity=1,
            ),
            owner.principal,
        )
    late = datetime(2026, 7, 14, 14, 30, tzinfo=CST)
    await new_registry.set_clock(late)
    await pay(new_registry, owner, FeeKind.annual)
    await new_registry.handle(sell(owner, buyer, project), CBGEX)

    assert [e.value.code for e in (selling, buying, leaving)] == ["TRADING_ACCOUNT_SUSPENDED"] * 3
    assert "annual fee" in selling.value.message and "年费" in selling.value.message_zh
    assert selling.value.findings[0].field == "seller_account_id"
    assert await trading(new_registry, owner) == ("active", datetime(2027, 7, 15, 0, 0, tzinfo=CST))
    assert (await quantities(new_registry, owner, project))["trading"] == 80
    assert (await quantities(new_registry, buyer, project))["trading"] == 20


async def test_the_reactivated_year_lapses_in_its_turn(new_registry: Svc) -> None:
    owner = await paid_up_owner(new_registry)
    late = datetime(2026, 8, 3, 10, 0, tzinfo=CST)
    await new_registry.set_clock(late)
    await pay(new_registry, owner, FeeKind.annual)
    known_2027(new_registry)

    ran = await new_registry.set_clock(datetime(2027, 8, 4, 0, 0, tzinfo=CST))

    assert ran == 1  # 2027-08-03 is a Tuesday
    assert await trading(new_registry, owner) == ("suspended", datetime(2027, 8, 4, 0, 0, tzinfo=CST))


async def test_only_one_year_may_be_paid_ahead(new_registry: Svc) -> None:
    owner = await paid_up_owner(new_registry)
    await pay(new_registry, owner, FeeKind.annual)  # the next year, paid ahead

    with pytest.raises(Conflict) as refused:
        await pay(new_registry, owner, FeeKind.annual)

    assert refused.value.code == "ANNUAL_FEE_PAID_AHEAD"
    assert (await trading(new_registry, owner))[1] == TWO_YEARS_ON


async def test_an_other_account_opened_directly_by_ncsc_pays_and_then_trades(new_registry: Svc) -> None:
    other = await open_account(new_registry, account_type="other")
    project = await register_project(new_registry)
    await issue(new_registry, project, other, 50)
    with pytest.raises(Conflict) as unpaid:
        await new_registry.handle(to_trading(other, project, 50), other.principal)

    await pay(new_registry, other, FeeKind.opening)
    await pay(new_registry, other, FeeKind.annual)
    moved = await new_registry.handle(to_trading(other, project, 50), other.principal)

    assert unpaid.value.code == "TRADING_ACCOUNT_NOT_ACTIVE"
    assert "opening fee" in unpaid.value.message
    assert moved.quantity == 50


async def test_a_fee_paid_in_the_morning_covers_the_whole_of_the_anniversary_day(new_registry: Svc) -> None:
    owner = await paid_up_owner(new_registry)  # paid 2025-06-02 09:00

    after_the_hour = await new_registry.set_clock(datetime(2026, 6, 2, 23, 59, 59, tzinfo=CST))
    status_late_that_day = await trading(new_registry, owner)
    at_midnight = await new_registry.set_clock(datetime(2026, 6, 3, 0, 0, tzinfo=CST))

    assert (after_the_hour, status_late_that_day) == (0, ("active", ONE_YEAR_ON))
    assert (at_midnight, await trading(new_registry, owner)) == (1, ("suspended", ONE_YEAR_ON))


async def test_a_last_day_on_a_statutory_holiday_extends_the_fee_to_the_first_working_day_after_it(
    new_registry: Svc,
) -> None:
    # Paid on 2025-10-01: the last day, 2026-10-01, is National Day (1-7 October 2026 off).
    await new_registry.set_clock(datetime(2025, 10, 1, 11, 0, tzinfo=CST))
    owner = await paid_up_owner(new_registry)

    ran = await new_registry.set_clock(datetime(2026, 10, 2, 0, 0, tzinfo=CST))
    during_the_holiday = await trading(new_registry, owner)
    on_the_working_day = await new_registry.set_clock(datetime(2026, 10, 8, 23, 59, tzinfo=CST))
    still = await trading(new_registry, owner)
    after_it = await new_registry.set_clock(datetime(2026, 10, 9, 0, 0, tzinfo=CST))

    assert (ran, during_the_holiday) == (1, ("active", datetime(2026, 10, 9, 0, 0, tzinfo=CST)))
    assert (on_the_working_day, still[0]) == (0, "active")
    assert (after_it, await trading(new_registry, owner)) == (1, ("suspended", datetime(2026, 10, 9, 0, 0, tzinfo=CST)))


async def test_the_year_paid_ahead_during_a_holiday_extension_follows_the_anniversary_not_the_extension(
    new_registry: Svc,
) -> None:
    await new_registry.set_clock(datetime(2025, 10, 1, 11, 0, tzinfo=CST))
    owner = await paid_up_owner(new_registry)
    await new_registry.set_clock(datetime(2026, 10, 8, 10, 0, tzinfo=CST))  # extended to 8 October

    await pay(new_registry, owner, FeeKind.annual)

    # Through 2027-10-01 (not 2027-10-08); its own holiday extension comes at its lapse check.
    assert await trading(new_registry, owner) == ("active", datetime(2027, 10, 2, 0, 0, tzinfo=CST))


async def test_without_working_day_data_for_the_year_the_lapse_is_deferred_not_guessed(new_registry: Svc) -> None:
    await new_registry.set_clock(datetime(2026, 3, 10, 10, 0, tzinfo=CST))
    owner = await paid_up_owner(new_registry)  # through 2027-03-10, a year the library does not know

    deferred = await new_registry.set_clock(datetime(2027, 3, 11, 0, 0, tzinfo=CST))
    still = await trading(new_registry, owner)
    known_2027(new_registry)
    ran = await new_registry.set_clock(datetime(2027, 3, 12, 0, 0, tzinfo=CST))

    assert (deferred, still[0]) == (1, "active")
    assert (ran, await trading(new_registry, owner)) == (1, ("suspended", datetime(2027, 3, 11, 0, 0, tzinfo=CST)))
