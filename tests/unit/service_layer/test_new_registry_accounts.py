"""Accounts of the new registry and their binding to the allowance registry, through the service's
handlers and its consumer."""

from __future__ import annotations

import pytest

from services.new_ccer_registry.service_layer.commands import GetAccount, GetBinding, RequestBinding
from shared.errors import Conflict, NotFound
from shared.events.contracts import BindingConfirmedV1, BindingRejectedV1, Reason
from tests.service_layer import as_
from tests.unit.service_layer.test_new_registry_support import (
    NCSC,
    Svc,
    bind,
    envelope,
    new_uscc,
    open_account,
)


async def test_ncsc_opens_an_account_whose_trading_account_is_active_only_for_key_emitters(new_registry: Svc) -> None:
    emitter = await open_account(new_registry, account_type="national_key_emitter")
    other = await open_account(new_registry, account_type="other")

    shown = await new_registry.handle(GetAccount(account_id=emitter.account_id), emitter.principal)
    other_shown = await new_registry.handle(GetAccount(account_id=other.account_id), NCSC)

    assert (shown.account.holder_uscc, shown.account.status, shown.binding) == (emitter.org, "active", None)
    assert shown.trading is not None and shown.trading.status == "active"
    assert other_shown.trading is not None and other_shown.trading.status == "awaiting_fees"


async def test_an_account_is_seen_by_its_holder_its_province_and_ncsc_and_is_not_found_for_anyone_else(
    new_registry: Svc,
) -> None:
    account = await open_account(new_registry, province="440000")

    for viewer in (account.principal, as_("province_confirmer", province="440000"), NCSC):
        assert (await new_registry.handle(GetAccount(account_id=account.account_id), viewer)).account.id == (
            account.account_id
        )
    for stranger in (
        as_("enterprise", org=new_uscc()),
        as_("province_initiator", province="110000"),
        as_("exchange_operator", exchange="CBGEX"),
        as_("sim_admin"),
    ):
        with pytest.raises(NotFound):
            await new_registry.handle(GetAccount(account_id=account.account_id), stranger)


async def test_a_binding_request_waits_for_the_allowance_registry_and_tells_it_who_holds_the_account(
    new_registry: Svc,
) -> None:
    account = await open_account(new_registry)

    binding = await new_registry.handle(
        RequestBinding(account_id=account.account_id, allowance_account_id="ALW-42"), account.principal
    )

    sent = await new_registry.sent()
    assert [p.event_type for p in sent] == ["new_ccer_registry.binding.requested"]
    payload = sent[0].envelope.payload
    assert (payload["binding_id"], payload["allowance_account_id"], payload["holder"]["uscc"]) == (
        binding.id,
        "ALW-42",
        account.org,
    )
    shown = await new_registry.handle(GetBinding(account_id=account.account_id), account.principal)
    assert shown.status == "requested"


async def test_a_confirmed_binding_is_active_and_a_second_request_is_refused_as_a_conflict(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    await bind(new_registry, account)

    shown = await new_registry.handle(GetBinding(account_id=account.account_id), NCSC)
    with pytest.raises(Conflict) as refused:
        await new_registry.handle(
            RequestBinding(account_id=account.account_id, allowance_account_id="ALW-2"), account.principal
        )

    assert shown.status == "active"
    assert refused.value.code == "BINDING_ALREADY_ACTIVE"


async def test_a_binding_still_waiting_refuses_another_request(new_registry: Svc) -> None:
    account = await open_account(new_registry)
    ask = RequestBinding(account_id=account.account_id, allowance_account_id="ALW-1")
    await new_registry.handle(ask, account.principal)

    with pytest.raises(Conflict) as refused:
        await new_registry.handle(ask, account.principal)

    assert [f.code for f in refused.value.findings] == ["BINDING_PENDING"]


async def test_a_rejected_binding_keeps_the_allowance_registrys_reasons_and_a_new_request_may_follow(
    new_registry: Svc,
) -> None:
    account = await open_account(new_registry)
    binding = await new_registry.handle(
        RequestBinding(account_id=account.account_id, allowance_account_id="ALW-1"), account.principal
    )

    await new_registry.deliver(
        BindingRejectedV1(
            binding_id=binding.id,
            allowance_account_id="ALW-1",
            registry_account_id=account.account_id,
            reasons=[Reason(code="HOLDER_USCC_MISMATCH", message="holder differs", message_zh="持有人不一致")],
        )
    )

    shown = await new_registry.handle(GetBinding(account_id=account.account_id), account.principal)
    assert shown.status == "rejected"
    assert [r["code"] for r in shown.reasons] == ["HOLDER_USCC_MISMATCH"]
    again = await new_registry.handle(
        RequestBinding(account_id=account.account_id, allowance_account_id="ALW-2"), account.principal
    )
    assert again.status == "requested"


async def test_a_binding_answer_delivered_twice_has_one_effect_and_a_later_contrary_answer_none(
    new_registry: Svc,
) -> None:
    account = await open_account(new_registry)
    binding = await new_registry.handle(
        RequestBinding(account_id=account.account_id, allowance_account_id="ALW-1"), account.principal
    )
    ids = {"binding_id": binding.id, "allowance_account_id": "ALW-1", "registry_account_id": account.account_id}
    confirmed = envelope(new_registry, BindingConfirmedV1(**ids))

    first = await new_registry.deliver(envelope=confirmed)
    second = await new_registry.deliver(envelope=confirmed)
    await new_registry.deliver(
        BindingRejectedV1(**ids, reasons=[Reason(code="LATE", message="late", message_zh="迟到")])
    )

    assert (first, second) == ("applied", "duplicate")
    shown = await new_registry.handle(GetBinding(account_id=account.account_id), account.principal)
    assert (shown.status, shown.reasons) == ("active", [])


async def test_an_account_that_never_asked_to_bind_has_no_binding_to_show(new_registry: Svc) -> None:
    account = await open_account(new_registry)

    with pytest.raises(NotFound):
        await new_registry.handle(GetBinding(account_id=account.account_id), account.principal)


async def test_the_newest_binding_is_shown_when_several_were_requested_at_one_simulated_instant(
    new_registry: Svc,
) -> None:
    # The simulated clock stands still here: every request below carries the same requested_at.
    account = await open_account(new_registry)
    for n in range(1, 7):
        binding = await new_registry.handle(
            RequestBinding(account_id=account.account_id, allowance_account_id=f"ALW-{n}"), account.principal
        )
        shown = await new_registry.handle(GetBinding(account_id=account.account_id), account.principal)
        assert (shown.id, shown.allowance_account_id, shown.status) == (binding.id, f"ALW-{n}", "requested")
        account_view = await new_registry.handle(GetAccount(account_id=account.account_id), account.principal)
        assert account_view.binding is not None and account_view.binding.id == binding.id
        await new_registry.deliver(
            BindingRejectedV1(
                binding_id=binding.id,
                allowance_account_id=f"ALW-{n}",
                registry_account_id=account.account_id,
                reasons=[Reason(code="HOLDER_USCC_MISMATCH", message="holder differs", message_zh="持有人不一致")],
            )
        )
    assert (await new_registry.handle(GetBinding(account_id=account.account_id), account.principal)).status == (
        "rejected"
    )
