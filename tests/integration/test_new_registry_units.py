"""Projects, issuance, exchange trades, transfers and holdings in the new CCER registry, on real
PostgreSQL and RabbitMQ; the serial ranges are reconciled after every step."""

from __future__ import annotations

import asyncio

import pytest

from tests.harness import Stack, uscc
from tests.integration.new_registry_fixtures import (
    BASE,
    Unit,
    assert_reconciled,
    issue,
    project_number,
    register_project,
    s,
)

pytestmark = pytest.mark.integration


async def test_issuance_creates_contiguous_ranges_that_continue_per_project_and_vintage(stack: Stack) -> None:
    owner = await Unit(stack, account_type="national_key_emitter").open()
    project = await register_project(stack)

    first = await issue(stack, project, owner.account_id, 1000, 2023)
    second = await issue(stack, project, owner.account_id, 500, 2023)
    other_vintage = await issue(stack, project, owner.account_id, 200, 2024)

    assert first["serial_ranges"] == [[s(project, 2023, 1), s(project, 2023, 1000)]]
    assert second["serial_ranges"] == [[s(project, 2023, 1001), s(project, 2023, 1500)]]
    assert other_vintage["serial_ranges"] == [[s(project, 2024, 1), s(project, 2024, 200)]]
    holdings = await owner.holdings()
    assert holdings[(project, "new", 2023)]["available"] == 1500
    assert holdings[(project, "new", 2023)]["serial_ranges"] == {
        "available": [[s(project, 2023, 1), s(project, 2023, 1500)]]
    }
    assert holdings[(project, "new", 2024)]["available"] == 200
    assert {
        k: holdings[(project, "new", 2024)][k] for k in ("trading", "frozen", "cancelled", "awaiting_confirmation")
    } == dict.fromkeys(("trading", "frozen", "cancelled", "awaiting_confirmation"), 0)
    shown = await owner.client.get(f"{BASE}/projects/{project}", headers=owner.headers)
    assert shown.status_code == 200 and shown.json()["issued"] == 1700
    await assert_reconciled(stack, project)


async def test_project_registration_and_issuance_refuse_bad_input_with_stable_codes(stack: Stack) -> None:
    client, ncsc = stack["new_ccer_registry"].client, stack.token("ncsc_operator")
    owner = await Unit(stack).open()
    project = await register_project(stack)

    again = await client.post(
        f"{BASE}/projects",
        headers=ncsc,
        json={
            "number": project,
            "name": "x",
            "owner_uscc": uscc(),
            "type": "wind",
            "methodology": "m",
            "region": "r",
            "registered_at": "2024-06-01",
        },
    )
    bad = await client.post(
        f"{BASE}/projects",
        headers=ncsc,
        json={
            "number": "has space",
            "name": "x",
            "owner_uscc": "91110000000000000X",
            "type": "wind",
            "methodology": "m",
            "region": "r",
            "registered_at": "2024-06-01",
        },
    )
    by_enterprise = await client.post(f"{BASE}/projects", headers=owner.headers, json={})
    unknown_project = await client.post(
        f"{BASE}/projects/NOPE-{project}/issuances",
        headers=ncsc,
        json={"vintage": 2023, "quantity": 10, "account_id": owner.account_id},
    )
    refused = await client.post(
        f"{BASE}/projects/{project}/issuances",
        headers=ncsc,
        json={"vintage": 2099, "quantity": 10, "account_id": "NCR-missing"},
    )
    not_whole = await client.post(
        f"{BASE}/projects/{project}/issuances",
        headers=ncsc,
        json={"vintage": 2023, "quantity": 10.5, "account_id": owner.account_id},
    )
    zero = await client.post(
        f"{BASE}/projects/{project}/issuances",
        headers=ncsc,
        json={"vintage": 2023, "quantity": 0, "account_id": owner.account_id},
    )

    assert (again.status_code, again.json()["code"]) == (409, "PROJECT_EXISTS")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"number", "owner_uscc"}
    assert by_enterprise.status_code == 403
    assert unknown_project.status_code == 404
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["ACCOUNT_NOT_FOUND", "VINTAGE_IN_FUTURE"]
    assert all(e["message_zh"] for e in refused.json()["errors"])
    assert not_whole.status_code == 422 and zero.status_code == 422
    assert await owner.holdings() == {}
    await assert_reconciled(stack, project)


async def test_a_trade_moves_the_sellers_lowest_trading_serials_to_the_buyer(stack: Stack) -> None:
    seller, buyer = await Unit(stack).open(), await Unit(stack).open()
    project = await register_project(stack)
    await issue(stack, project, seller.account_id, 1000)
    exchange = stack.token("exchange_operator", exchange="CBGEX")

    to_trading = await seller.transfer("to_trading", project, 600)
    assert to_trading.status_code == 201, to_trading.text
    assert to_trading.json()["serial_ranges"] == [[s(project, 2023, 1), s(project, 2023, 600)]]
    await assert_reconciled(stack, project)

    trade = await seller.client.post(
        f"{BASE}/trades",
        headers=exchange,
        json={
            "seller_account_id": seller.account_id,
            "buyer_account_id": buyer.account_id,
            "project_number": project,
            "quantity": 250,
        },
    )
    assert trade.status_code == 201, trade.text
    assert trade.json()["serial_ranges"] == [[s(project, 2023, 1), s(project, 2023, 250)]]
    await assert_reconciled(stack, project)

    to_registry = await buyer.transfer("to_registry", project, 100)
    assert to_registry.status_code == 201, to_registry.text
    await assert_reconciled(stack, project)

    sold = await seller.holding(project, 2023)
    bought = await buyer.holding(project, 2023)
    assert (sold["trading"], sold["available"]) == (350, 400)
    assert sold["serial_ranges"] == {
        "trading": [[s(project, 2023, 251), s(project, 2023, 600)]],
        "available": [[s(project, 2023, 601), s(project, 2023, 1000)]],
    }
    assert (bought["trading"], bought["available"]) == (150, 100)
    assert bought["serial_ranges"] == {
        "available": [[s(project, 2023, 1), s(project, 2023, 100)]],
        "trading": [[s(project, 2023, 101), s(project, 2023, 250)]],
    }


async def test_trades_need_the_ccer_exchange_known_accounts_active_trading_accounts_and_enough_units(
    stack: Stack,
) -> None:
    seller, buyer = await Unit(stack).open(), await Unit(stack).open()
    unpaid = await Unit(stack, account_type="project_owner").open()  # trading account awaits its fees
    project = await register_project(stack)
    await issue(stack, project, seller.account_id, 100)
    assert (await seller.transfer("to_trading", project, 100)).status_code == 201
    body = {
        "seller_account_id": seller.account_id,
        "buyer_account_id": buyer.account_id,
        "project_number": project,
        "quantity": 50,
    }
    post = seller.client.post

    legacy_exchange = await post(f"{BASE}/trades", json=body, headers=stack.token("exchange_operator", exchange="TCX"))
    enterprise = await post(f"{BASE}/trades", json=body, headers=seller.headers)
    cbgex = stack.token("exchange_operator", exchange="CBGEX")
    too_much = await post(f"{BASE}/trades", json={**body, "quantity": 101}, headers=cbgex)
    unknown = await post(
        f"{BASE}/trades", json={**body, "buyer_account_id": "NCR-missing", "project_number": "NOPE-1"}, headers=cbgex
    )
    inactive = await post(f"{BASE}/trades", json={**body, "buyer_account_id": unpaid.account_id}, headers=cbgex)
    same = await post(f"{BASE}/trades", json={**body, "buyer_account_id": seller.account_id}, headers=cbgex)

    assert (legacy_exchange.status_code, legacy_exchange.json()["code"]) == (403, "NOT_CCER_EXCHANGE")
    assert enterprise.status_code == 403
    assert (too_much.status_code, too_much.json()["code"]) == (409, "INSUFFICIENT_TRADING")
    assert unknown.status_code == 422
    assert {e["code"] for e in unknown.json()["errors"]} == {"BUYER_ACCOUNT_NOT_FOUND", "PROJECT_NOT_FOUND"}
    assert (inactive.status_code, inactive.json()["code"]) == (409, "TRADING_ACCOUNT_NOT_ACTIVE")
    assert [e["code"] for e in same.json()["errors"]] == ["SAME_ACCOUNT"]
    assert (await seller.holding(project, 2023))["trading"] == 100
    await assert_reconciled(stack, project)


async def test_transfers_are_the_holders_and_never_move_more_than_is_held(stack: Stack) -> None:
    holder = await Unit(stack).open()
    unpaid = await Unit(stack, account_type="other").open()
    project = await register_project(stack)
    await issue(stack, project, holder.account_id, 100)
    await issue(stack, project, unpaid.account_id, 100)

    too_much = await holder.transfer("to_trading", project, 101)
    nothing_trading = await holder.transfer("to_registry", project, 1)
    stranger = await holder.client.post(
        f"{BASE}/accounts/{holder.account_id}/transfers",
        headers=stack.token("enterprise", org=uscc()),
        json={"direction": "to_trading", "project_number": project, "quantity": 1},
    )
    suspended = await unpaid.transfer("to_trading", project, 1)
    unknown_direction = await holder.transfer("sideways", project, 1)

    assert (too_much.status_code, too_much.json()["code"]) == (409, "INSUFFICIENT_AVAILABLE")
    assert (nothing_trading.status_code, nothing_trading.json()["code"]) == (409, "INSUFFICIENT_TRADING")
    assert stranger.status_code == 404
    assert (suspended.status_code, suspended.json()["code"]) == (409, "TRADING_ACCOUNT_NOT_ACTIVE")
    assert unknown_direction.status_code == 422
    assert (await holder.holding(project, 2023))["available"] == 100
    await assert_reconciled(stack, project)


async def test_holdings_are_shown_to_the_holder_and_ncsc_only(stack: Stack) -> None:
    holder = await Unit(stack).open()
    project = project_number()
    await register_project(stack, project)
    await issue(stack, project, holder.account_id, 10)
    url = f"{BASE}/accounts/{holder.account_id}/holdings"
    get = holder.client.get

    assert (await get(url, headers=stack.token("ncsc_operator"))).json()["items"][0]["available"] == 10
    assert (await get(url, headers=stack.token("enterprise", org=uscc()))).status_code == 404
    assert (await get(url, headers=stack.token("exchange_operator", exchange="CBGEX"))).status_code == 403
    assert (await get(f"{BASE}/accounts/NCR-missing/holdings", headers=holder.headers)).status_code == 404


async def test_parallel_issuances_of_one_project_and_vintage_get_disjoint_contiguous_ranges(stack: Stack) -> None:
    owners = [await Unit(stack).open() for _ in range(3)]
    project = await register_project(stack)
    client, ncsc = stack["new_ccer_registry"].client, stack.token("ncsc_operator")

    answers = await asyncio.gather(
        *(
            client.post(
                f"{BASE}/projects/{project}/issuances",
                headers=ncsc,
                json={"vintage": 2023, "quantity": 100, "account_id": owners[i % 3].account_id},
            )
            for i in range(6)
        )
    )

    assert [a.status_code for a in answers] == [201] * 6
    firsts = sorted(int(a.json()["serial_ranges"][0][0].rsplit("-", 1)[1]) for a in answers)
    assert firsts == [1, 101, 201, 301, 401, 501]
    await assert_reconciled(stack, project)
