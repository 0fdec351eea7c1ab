"""Offset CCER generated for the first period (seed 002 Part 2): NCSC's cancellation records draft
creation requests, a registry initiator submits them, another registry confirmer approves (the unit
receives a CCER21000nnn instrument) or rejects them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from services.allowance_registry.adapters.repositories import OffsetCcerRequestRepository
from services.allowance_registry.service_layer.commands import (
    AllocateAllowances,
    ApproveOffsetCcerRequest,
    ApprovePeriod,
    GetHoldings,
    GetOffsetCcerRequest,
    ListInstruments,
    ListOffsetCcerRequests,
    ListUnmatchedCancellations,
    ProposePeriod,
    RejectionReason,
    RejectOffsetCcerRequest,
    SubmitOffsetCcerRequest,
    TransferAllowances,
)
from shared.errors import ConcurrentChange, Conflict, Forbidden, Invalid, NotFound
from shared.events.contracts import CancellationRecordedV1, Holder, LegacyProject
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_, changed
from tests.unit.service_layer.test_allowance_support import CHECKER, MAKER, envelope, new_uscc, open_account

Svc = ServiceUnderTest[Any]
UNIT_NAME = "火电测试企业"


def cancellation(org: str, quantity: int = 50_000, **changes: Any) -> CancellationRecordedV1:
    """One of NCSC's daily cancellation records of the 2019-2020 offset (seed 001 第六步)."""
    number = f"{uuid.uuid4().int % 10_000:04d}"
    payload = CancellationRecordedV1(
        cancellation_id=f"CXL-{uuid.uuid4().hex[:10]}",
        legacy_account_id=f"LGA-{uuid.uuid4().hex[:8]}",
        holder=Holder(name=UNIT_NAME, uscc=org),
        project=LegacyProject(
            number=number,
            name="湖北某风电项目",
            type="能源工业",
            region="湖北省",
            recorded_at=date(2015, 6, 30),
            within_national_ets=False,
        ),
        units_recorded_at=date(2016, 3, 1),
        quantity=quantity,
        serial_ranges=[(f"{number}-1", f"{number}-{quantity}")],
        purpose="offset_2019_2020",
        cancelled_at=datetime(2021, 11, 1, 10, 0, tzinfo=CST),
    )
    return changed(payload, **changes)


async def unit_account(svc: Svc, *, province: str = "420000") -> tuple[str, str]:
    """(USCC, allowance account id) of a key emitting unit."""
    org = new_uscc()
    return org, await open_account(svc, org=org, province=province, name=UNIT_NAME)


async def drafted(svc: Svc, org: str, quantity: int = 50_000, **changes: Any) -> Any:
    """Deliver a record of ``org`` and return the request it drafted."""
    payload = cancellation(org, quantity, **changes)
    await svc.deliver(payload)
    [request] = [
        r
        for r in await svc.handle(ListOffsetCcerRequests(limit=500), MAKER)
        if r.cancellation_id == payload.cancellation_id
    ]
    return request


async def generated(svc: Svc, org: str, quantity: int = 50_000, **changes: Any) -> Any:
    """A request drafted, submitted by the maker and approved by the checker."""
    request = await drafted(svc, org, quantity, **changes)
    await svc.handle(SubmitOffsetCcerRequest(request_id=request.id), MAKER)
    return await svc.handle(ApproveOffsetCcerRequest(request_id=request.id), CHECKER)


async def ccer_held(svc: Svc, account_id: str) -> dict[str, tuple[int, int]]:
    """Generated offset CCER of the account: instrument → (quantity, frozen)."""
    view = await svc.handle(GetHoldings(account_id=account_id), MAKER)
    return {h.instrument: (h.quantity, h.frozen) for h in view.ccer}


# --- drafting from NCSC's records ---------------------------------------------------------------
async def test_a_first_period_record_of_a_unit_with_an_account_drafts_one_request(allowance: Svc) -> None:
    org, account_id = await unit_account(allowance)
    payload = cancellation(org)

    assert await allowance.deliver(payload) == "applied"

    [request] = await allowance.handle(ListOffsetCcerRequests(status="draft"), MAKER)
    assert (request.account_id, request.cancellation_id, request.quantity) == (
        account_id,
        payload.cancellation_id,
        50_000,
    )
    assert (request.status, request.instrument, request.province) == ("draft", None, "420000")
    assert request.project["number"] == payload.project.number
    assert request.project["within_national_ets"] is False
    assert request.serial_ranges == [list(r) for r in payload.serial_ranges]
    assert [h["action"] for h in request.history] == ["drafted"]
    assert await allowance.sent_types() == []  # the catalogue has no event for this


async def test_a_record_of_a_unit_without_an_allowance_account_is_listed_as_unmatched(allowance: Svc) -> None:
    org = new_uscc()
    payload = cancellation(org, 3_000)

    await allowance.deliver(payload)

    assert await allowance.handle(ListOffsetCcerRequests(), MAKER) == []
    [unmatched] = await allowance.handle(ListUnmatchedCancellations(), CHECKER)
    assert (unmatched.cancellation_id, unmatched.holder_uscc, unmatched.quantity) == (
        payload.cancellation_id,
        org,
        3_000,
    )


async def test_a_record_cancelled_for_another_purpose_changes_nothing(allowance: Svc) -> None:
    org, _ = await unit_account(allowance)

    for purpose in ("offset_2023", "voluntary"):
        assert await allowance.deliver(cancellation(org, purpose=purpose)) == "applied"

    assert await allowance.handle(ListOffsetCcerRequests(), MAKER) == []
    assert await allowance.handle(ListUnmatchedCancellations(), MAKER) == []


async def test_a_duplicated_record_drafts_one_request(allowance: Svc) -> None:
    org, _ = await unit_account(allowance)
    payload = cancellation(org)
    same = envelope(allowance, payload)

    assert await allowance.deliver(envelope=same) == "applied"
    assert await allowance.deliver(envelope=same) == "duplicate"
    # The same record again in another envelope (NCSC's batch re-sent): acknowledged, nothing new.
    assert await allowance.deliver(payload) == "applied"

    assert len(await allowance.handle(ListOffsetCcerRequests(), MAKER)) == 1


async def test_one_request_per_record_is_kept_by_the_database_when_two_deliveries_race(
    allowance: Svc, monkeypatch: pytest.MonkeyPatch
) -> None:
    org, _ = await unit_account(allowance)
    payload = cancellation(org)
    await allowance.deliver(payload)

    async def not_seen_yet(self: OffsetCcerRequestRepository, cancellation_id: str) -> bool:
        return False  # as a replica sees it before the other one commits

    monkeypatch.setattr(OffsetCcerRequestRepository, "is_known", not_seen_yet)
    with pytest.raises(ConcurrentChange):  # retried by the consumer, then found known
        await allowance.deliver(payload)

    assert len(await allowance.handle(ListOffsetCcerRequests(), MAKER)) == 1


# --- the two registry steps -----------------------------------------------------------------------
async def test_the_person_who_submitted_may_not_decide_as_with_periods(allowance: Svc) -> None:
    org, _ = await unit_account(allowance)
    request = await drafted(allowance, org)
    await allowance.handle(SubmitOffsetCcerRequest(request_id=request.id), as_("registry_initiator", sub="fei"))

    with pytest.raises(Forbidden) as approving:
        await allowance.handle(ApproveOffsetCcerRequest(request_id=request.id), as_("registry_confirmer", sub="fei"))
    with pytest.raises(Forbidden) as rejecting:
        await allowance.handle(
            RejectOffsetCcerRequest(request_id=request.id, reasons=(RejectionReason(message="x"),)),
            as_("registry_confirmer", sub="fei"),
        )
    await allowance.handle(ProposePeriod(builtin="2019-2020"), as_("registry_initiator", sub="fei"))
    with pytest.raises(Forbidden) as period:
        await allowance.handle(ApprovePeriod(code="2019-2020"), as_("registry_confirmer", sub="fei"))

    assert approving.value.code == rejecting.value.code == period.value.code == "TWO_PERSON_RULE"
    still = await allowance.handle(GetOffsetCcerRequest(request_id=request.id), MAKER)
    assert (still.status, still.instrument) == ("submitted", None)


async def test_steps_out_of_order_are_conflicts(allowance: Svc) -> None:
    org, _ = await unit_account(allowance)
    request = await drafted(allowance, org)

    with pytest.raises(Conflict) as approving_a_draft:
        await allowance.handle(ApproveOffsetCcerRequest(request_id=request.id), CHECKER)
    await allowance.handle(SubmitOffsetCcerRequest(request_id=request.id), MAKER)
    with pytest.raises(Conflict) as submitting_twice:
        await allowance.handle(SubmitOffsetCcerRequest(request_id=request.id), MAKER)
    await allowance.handle(ApproveOffsetCcerRequest(request_id=request.id), CHECKER)
    with pytest.raises(Conflict) as approving_twice:
        await allowance.handle(ApproveOffsetCcerRequest(request_id=request.id), as_("registry_confirmer"))
    with pytest.raises(Conflict) as rejecting_an_approved:
        await allowance.handle(
            RejectOffsetCcerRequest(request_id=request.id, reasons=(RejectionReason(message="late"),)),
            as_("registry_confirmer"),
        )

    assert approving_a_draft.value.code == "OFFSET_CCER_REQUEST_NOT_SUBMITTED"
    assert submitting_twice.value.code == "OFFSET_CCER_REQUEST_NOT_DRAFT"
    assert approving_twice.value.code == rejecting_an_approved.value.code == "OFFSET_CCER_REQUEST_NOT_SUBMITTED"


async def test_approval_generates_an_instrument_with_the_project_and_credits_the_unit(allowance: Svc) -> None:
    org, account_id = await unit_account(allowance)

    request = await generated(allowance, org, 50_000)

    assert (request.status, request.instrument, request.decided_by) == ("approved", "CCER21000001", CHECKER.sub)
    assert await ccer_held(allowance, account_id) == {"CCER21000001": (50_000, 0)}
    [instrument] = [
        i for i in await allowance.handle(ListInstruments(), as_("enterprise", org=org)) if i.kind != "allowance"
    ]
    assert (instrument.code, instrument.name, instrument.kind) == (
        "CCER21000001",
        "火电测试企业配额抵消清缴CCER",
        "offset_ccer",
    )
    assert instrument.project == request.project
    assert (instrument.account_id, instrument.request_id) == (account_id, request.id)
    assert [(h["action"], h["actor"]) for h in request.history] == [
        ("drafted", "legacy_ccer_registry"),
        ("submitted", MAKER.actor),
        ("approved", CHECKER.actor),
    ]
    assert await allowance.sent_types() == []


async def test_each_approved_request_gets_the_next_number_of_one_registry_wide_sequence(allowance: Svc) -> None:
    first_org, first_account = await unit_account(allowance)
    second_org, second_account = await unit_account(allowance, province="110000")

    codes = [
        (await generated(allowance, first_org, 100)).instrument,
        (await generated(allowance, second_org, 200)).instrument,
        (await generated(allowance, first_org, 300)).instrument,
    ]

    assert codes == ["CCER21000001", "CCER21000002", "CCER21000003"]
    assert await ccer_held(allowance, first_account) == {"CCER21000001": (100, 0), "CCER21000003": (300, 0)}
    assert await ccer_held(allowance, second_account) == {"CCER21000002": (200, 0)}


async def test_a_rejection_gives_its_reasons_and_generates_nothing(allowance: Svc) -> None:
    org, account_id = await unit_account(allowance)
    request = await drafted(allowance, org)
    await allowance.handle(SubmitOffsetCcerRequest(request_id=request.id), MAKER)

    with pytest.raises(Invalid) as without_reasons:
        await allowance.handle(RejectOffsetCcerRequest(request_id=request.id), CHECKER)
    reason = RejectionReason(
        code="PROJECT_MISMATCH", message="project differs from the form", message_zh="项目与申请表不符"
    )
    rejected = await allowance.handle(RejectOffsetCcerRequest(request_id=request.id, reasons=(reason,)), CHECKER)

    assert without_reasons.value.code == "REASONS_REQUIRED"
    assert (rejected.status, rejected.instrument) == ("rejected", None)
    assert rejected.reasons == [
        {"code": "PROJECT_MISMATCH", "message": "project differs from the form", "message_zh": "项目与申请表不符"}
    ]
    assert [h["action"] for h in rejected.history] == ["drafted", "submitted", "rejected"]
    assert await ccer_held(allowance, account_id) == {}


# --- who sees what ------------------------------------------------------------------------------
async def test_requests_are_listed_by_status_for_the_registry_and_only_its_own_for_a_unit(allowance: Svc) -> None:
    org, account_id = await unit_account(allowance)
    other_org, _ = await unit_account(allowance)
    mine = await generated(allowance, org)
    theirs = await drafted(allowance, other_org)
    unit = as_("enterprise", org=org)

    todo = await allowance.handle(ListOffsetCcerRequests(status="draft"), CHECKER)
    done = await allowance.handle(ListOffsetCcerRequests(status="approved", account_id=account_id), MAKER)
    own = await allowance.handle(ListOffsetCcerRequests(), unit)

    assert [r.id for r in todo] == [theirs.id]
    assert [r.id for r in done] == [mine.id]
    assert [r.id for r in own] == [mine.id]
    assert (await allowance.handle(GetOffsetCcerRequest(request_id=mine.id), unit)).instrument == "CCER21000001"
    for outsider in (unit, as_("province_initiator", province="420000"), as_("ncsc_operator")):
        with pytest.raises(NotFound):
            await allowance.handle(GetOffsetCcerRequest(request_id=theirs.id), outsider)
    assert await allowance.handle(ListOffsetCcerRequests(), as_("province_initiator", province="420000")) == []


# --- usable only as an offset_ccer item -------------------------------------------------------------
async def test_a_generated_instrument_cannot_be_allocated_or_transferred(allowance: Svc) -> None:
    org, account_id = await unit_account(allowance)
    code = (await generated(allowance, org)).instrument

    with pytest.raises(Invalid) as allocating:
        await allowance.handle(
            AllocateAllowances(account_id=account_id, instrument=code, quantity=1, side="registry"), MAKER
        )
    with pytest.raises(Invalid) as transferring:
        await allowance.handle(
            TransferAllowances(account_id=account_id, instrument=code, quantity=1, direction="to_trading"),
            as_("enterprise", org=org),
        )

    assert allocating.value.code == transferring.value.code == "INSTRUMENT_UNKNOWN"
    assert await ccer_held(allowance, account_id) == {code: (50_000, 0)}
