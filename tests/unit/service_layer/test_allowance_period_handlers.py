"""Instruments and compliance periods: proposed by one registry operator, approved by another, with
the recall of unused pending offsets scheduled on approval."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.allowance_registry.service_layer.commands import (
    ApprovePeriod,
    CreateInstrument,
    GetPeriod,
    ListInstruments,
    ListPeriods,
    ProposePeriod,
)
from shared.errors import Conflict, ErrorKind, Forbidden, Invalid, NotFound
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_allowance_support import CHECKER, MAKER, active_period

Svc = ServiceUnderTest[Any]


async def test_a_builtin_period_is_proposed_pending_then_approved_by_another_person_with_its_recall(
    allowance: Svc,
) -> None:
    proposed = await allowance.handle(ProposePeriod(builtin="2024", overrides={"code": "Y2024"}), MAKER)
    assert (proposed.status, proposed.proposed_by, proposed.recall_at) == ("pending_approval", "maker", None)

    approved = await allowance.handle(ApprovePeriod(code="Y2024"), CHECKER)

    assert (approved.status, approved.approved_by) == ("active", "checker")
    # 2025-12-31 + 15 working days is 2026-01-22 (2026-01-04 is a make-up working day).
    assert approved.recall_at == datetime(2026, 1, 23, tzinfo=CST)
    seen = await allowance.handle(GetPeriod(code="Y2024"), as_("enterprise", org="x"))
    assert (seen.cap_bp, seen.allowance_instruments) == (500, ["PE2025000001"])


async def test_the_proposer_cannot_approve_their_own_period_whatever_roles_they_hold(allowance: Svc) -> None:
    await allowance.handle(
        ProposePeriod(builtin="2024", overrides={"code": "OWN"}), as_("registry_initiator", sub="u1")
    )

    with pytest.raises(Forbidden) as refused:
        await allowance.handle(ApprovePeriod(code="OWN"), as_("registry_confirmer", sub="u1"))

    assert refused.value.code == "TWO_PERSON_RULE"
    assert (await allowance.handle(GetPeriod(code="OWN"), MAKER)).status == "pending_approval"


async def test_a_period_is_approved_once(allowance: Svc) -> None:
    period = await active_period(allowance)

    with pytest.raises(Conflict) as refused:
        await allowance.handle(ApprovePeriod(code=period.code), CHECKER)

    assert refused.value.code == "PERIOD_NOT_PENDING"
    with pytest.raises(NotFound):
        await allowance.handle(ApprovePeriod(code="NO-SUCH-PERIOD"), CHECKER)


async def test_a_full_definition_reports_every_missing_field_at_once(allowance: Svc) -> None:
    with pytest.raises(Invalid) as refused:
        await allowance.handle(ProposePeriod(overrides={"code": "P-FULL", "name": "full"}), MAKER)

    assert refused.value.code == "PERIOD_DEFINITION_INVALID"
    missing = {f.field for f in refused.value.findings if f.code == "PERIOD_FIELD_MISSING"}
    assert missing == {"allowance_instruments", "cap_bp", "eligibility", "application_deadline"}


async def test_unknown_builtins_unknown_instruments_and_duplicate_codes_are_refused(allowance: Svc) -> None:
    with pytest.raises(Invalid) as unknown_builtin:
        await allowance.handle(ProposePeriod(builtin="2030"), MAKER)
    with pytest.raises(Invalid) as unknown_instrument:
        await allowance.handle(
            ProposePeriod(builtin="2024", overrides={"code": "P-X", "allowance_instruments": ["PE2099000001"]}), MAKER
        )
    await allowance.handle(ProposePeriod(builtin="2024", overrides={"code": "P-TWICE"}), MAKER)
    with pytest.raises(Conflict) as twice:
        await allowance.handle(ProposePeriod(builtin="2024", overrides={"code": "P-TWICE"}), MAKER)

    assert (unknown_builtin.value.code, unknown_builtin.value.findings[0].field) == (
        "UNKNOWN_BUILTIN_PERIOD",
        "builtin",
    )
    assert unknown_instrument.value.code == "PERIOD_DEFINITION_INVALID"
    assert [f.code for f in unknown_instrument.value.findings] == ["INSTRUMENT_UNKNOWN"]
    assert twice.value.code == "PERIOD_EXISTS"


async def test_an_instrument_is_created_once_and_listed(allowance: Svc) -> None:
    create = CreateInstrument(code="PE2026000001", name="2025年度配额", kind="allowance", vintage=2025)

    instrument = await allowance.handle(create, MAKER)
    with pytest.raises(Conflict) as twice:
        await allowance.handle(create, MAKER)

    assert (instrument.code, instrument.created_by) == ("PE2026000001", MAKER.actor)
    assert twice.value.code == "INSTRUMENT_EXISTS" and twice.value.kind is ErrorKind.conflict
    listed = await allowance.handle(ListInstruments(), as_("exchange_operator", exchange="CBGEX"))
    assert [i.code for i in listed] == ["PE2026000001"]


async def test_approval_creates_the_builtin_instruments_the_period_names(allowance: Svc) -> None:
    await active_period(allowance, "2024")

    listed = await allowance.handle(ListInstruments(), MAKER)

    assert [(i.code, i.vintage) for i in listed] == [("PE2025000001", 2024)]


async def test_periods_are_listed_by_status_and_page(allowance: Svc) -> None:
    await allowance.handle(ProposePeriod(builtin="2024", overrides={"code": "A-PENDING"}), MAKER)
    active = await active_period(allowance, "2024", code="B-ACTIVE")

    pending = await allowance.handle(ListPeriods(status="pending_approval"), CHECKER)
    approved = await allowance.handle(ListPeriods(status="active"), CHECKER)
    first_page = await allowance.handle(ListPeriods(limit=1), CHECKER)

    assert [p.code for p in pending] == ["A-PENDING"]
    assert [p.code for p in approved] == [active.code]
    assert [p.code for p in first_page] == ["A-PENDING"]


async def test_a_reset_forgets_the_periods_read_before_it(allowance: Svc) -> None:
    """Active periods are cached; after a reset the same code proposed again is pending, not the old active one."""
    await allowance.handle(ProposePeriod(builtin="2024", overrides={"code": "R2024"}), MAKER)
    await allowance.handle(ApprovePeriod(code="R2024"), CHECKER)
    assert (await allowance.handle(GetPeriod(code="R2024"), MAKER)).status == "active"

    await allowance.runtime.reset()
    with pytest.raises(NotFound):
        await allowance.handle(GetPeriod(code="R2024"), MAKER)
    await allowance.handle(ProposePeriod(builtin="2024", overrides={"code": "R2024"}), MAKER)
    assert (await allowance.handle(GetPeriod(code="R2024"), MAKER)).status == "pending_approval"
