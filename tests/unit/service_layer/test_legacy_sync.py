"""The sync application (the appendix form of seed 000): every refusal at once, the deadline to the
second, the SLA over holidays, at most one sync per record, NCSC's decision and auto-processing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest

from services.legacy_ccer_registry.domain.accounts import Decision
from services.legacy_ccer_registry.domain.holdings import Purpose
from services.legacy_ccer_registry.domain.sync import SyncStatus
from services.legacy_ccer_registry.service_layer.commands import (
    DecideSyncApplication,
    GetCancellation,
    GetSerialHistory,
    GetSyncApplication,
    ListSyncApplications,
    Reason,
)
from shared.errors import Conflict, DomainError, InconsistentEvent, Invalid, NotFound
from shared.events.contracts import Reason as ContractReason
from shared.events.contracts import SyncAcceptedV1, SyncRefusedV1
from shared.timeutil import CST
from tests.harness import uscc
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_legacy_support import (
    Unit,
    cancel,
    cancelled_units,
    form,
    issue,
    legacy_at,
    ncsc,
    open_unit,
    record_project,
    to_registry,
)


@pytest.fixture
async def auto_legacy(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    async with legacy_at(backend, legacy_auto_sync=True) as service:
        yield service


async def unit_with_record(svc: ServiceUnderTest[Any], quantity: int = 100, **kwargs: Any) -> tuple[Unit, str]:
    unit = await open_unit(svc)
    await record_project(svc)
    record = await cancelled_units(svc, unit, quantity, **kwargs)
    return unit, record.id


async def decide(svc: ServiceUnderTest[Any], application_id: str, decision: Decision, *reasons: str) -> Any:
    command = DecideSyncApplication(
        application_id=application_id,
        decision=decision,
        reasons=tuple(Reason(code="NOT_ELIGIBLE", message=r) for r in reasons),
    )
    return await svc.handle(command, ncsc())


async def record_of(svc: ServiceUnderTest[Any], cancellation_id: str) -> Any:
    return await svc.handle(GetCancellation(cancellation_id=cancellation_id), ncsc())


async def accept(svc: ServiceUnderTest[Any], application_id: str, quantity: int, legacy_sync_id: str = "LGS-x") -> str:
    """The new registry received the units of the form."""
    payload = SyncAcceptedV1(
        sync_application_id=application_id,
        legacy_sync_id=legacy_sync_id,
        new_account_id="NA-000000000001",
        quantity=quantity,
        accepted_at=svc.now,
    )
    return await svc.deliver(payload)


async def refuse(svc: ServiceUnderTest[Any], application_id: str, *codes: str) -> str:
    """The new registry refused the form, with a finding for each code."""
    payload = SyncRefusedV1(
        sync_application_id=application_id,
        new_account_id="NA-000000000001",
        reasons=[ContractReason(code=c, message=f"{c} (en)", message_zh=f"{c}（中文）") for c in codes],
        refused_at=svc.now,
    )
    return await svc.deliver(payload)


async def test_a_valid_form_is_submitted_with_its_sla_and_claims_the_quantity_on_the_record(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy)
    application = await legacy.handle(form(unit, (record, "P1001", 60)), unit.me)

    assert (application.status, application.quantity, application.province) == (SyncStatus.submitted, 60, "440000")
    # Sent Monday 2024-09-02: the 5th working day from the 3rd is Monday 09-09, due by its end.
    assert application.sla_due_at == datetime(2024, 9, 10, 0, 0, tzinfo=CST)
    assert application.auto_approve_at is None
    stored = await record_of(legacy, record)
    assert (stored.claimed, stored.synced) == (60, 0)


async def test_every_problem_of_a_form_is_reported_at_once(legacy: ServiceUnderTest[Any]) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    await record_project(legacy, "P2002")
    voluntary = await cancelled_units(legacy, unit, 5, project="P2002", purpose=Purpose.voluntary)
    stranger, foreign = await unit_with_record_of_other(legacy)

    bad = form(
        unit,
        (record, "P2002", 11),  # wrong project and more than the record holds
        (voluntary.id, "P2002", 5),  # not cancelled for the 2023 offset
        (foreign, "P1001", 1),  # another unit's record
        (record, "P1001", 1),  # the same record twice
        uscc=stranger.uscc,
        legacy_account_id=stranger.account_id,
    )
    with pytest.raises(Invalid) as refused:
        await legacy.handle(bad, unit.me)
    found = [(f.code, f.field) for f in refused.value.findings]
    assert found == [
        ("USCC_NOT_OWN", "uscc"),
        ("LEGACY_ACCOUNT_NOT_OWN", "legacy_account_id"),
        ("CANCELLATION_NOT_FOUND", "lines.0.cancellation_id"),
        ("CANCELLATION_NOT_FOUND", "lines.1.cancellation_id"),
        ("CANCELLATION_NOT_FOUND", "lines.2.cancellation_id"),
        ("CANCELLATION_TWICE_IN_FORM", "lines.3.cancellation_id"),
    ]
    assert all(f.message and f.message_zh for f in refused.value.findings)

    # With the account right, each line's own problems show; one of them is about the record's
    # state (what is left of it), so the answer is a conflict.
    with pytest.raises(Conflict) as refused:
        await legacy.handle(
            form(unit, (record, "P2002", 11), (voluntary.id, "P2002", 5), (foreign, "P1001", 1)), unit.me
        )
    assert [f.code for f in refused.value.findings] == [
        "LINE_PROJECT_MISMATCH",
        "QUANTITY_EXCEEDS_UNSYNCED",
        "CANCELLATION_PURPOSE_NOT_2023",
        "CANCELLATION_NOT_FOUND",
    ]
    assert (await record_of(legacy, record)).claimed == 0


async def unit_with_record_of_other(svc: ServiceUnderTest[Any]) -> tuple[Unit, str]:
    other = await open_unit(svc)
    record = await cancelled_units(svc, other, 3)
    return other, record.id


async def test_the_form_is_accepted_until_17_00_00_and_refused_from_17_00_01_on_2024_12_23(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy)
    await legacy.set_clock(datetime(2024, 12, 23, 16, 59, 59, tzinfo=CST))
    accepted = await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)
    assert accepted.status == SyncStatus.submitted

    await legacy.set_clock(datetime(2024, 12, 23, 17, 0, 0, 999_999, tzinfo=CST))  # "17点前": the last second
    assert (await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)).status == SyncStatus.submitted

    await legacy.set_clock(datetime(2024, 12, 23, 17, 0, 1, tzinfo=CST))
    with pytest.raises(Conflict) as refused:
        await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)
    assert [f.code for f in refused.value.findings] == ["SYNC_DEADLINE_PASSED"]


async def test_the_sla_counts_the_make_up_working_day_and_skips_the_national_day_holiday(
    auto_legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(auto_legacy)
    # Sent Friday 2024-09-27. From the 28th: Sun 09-29 is a make-up working day (1), 09-30 (2),
    # 10-01..10-07 are the National Day holiday, 10-08 (3), 10-09 (4), 10-10 (5).
    await auto_legacy.set_clock(datetime(2024, 9, 27, 15, 0, tzinfo=CST))
    application = await auto_legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    assert application.sla_due_at == datetime(2024, 10, 11, 0, 0, tzinfo=CST)
    assert application.auto_approve_at == datetime(2024, 10, 10, 17, 0, tzinfo=CST)


async def test_auto_processing_approves_a_waiting_form_at_17_00_on_its_sla_day(
    auto_legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(auto_legacy)
    await auto_legacy.set_clock(datetime(2024, 9, 27, 15, 0, tzinfo=CST))
    application = await auto_legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    await auto_legacy.sent()

    assert await auto_legacy.set_clock(datetime(2024, 10, 10, 16, 59, 59, tzinfo=CST)) == 0
    assert await auto_legacy.set_clock(datetime(2024, 10, 10, 17, 0, tzinfo=CST)) == 1

    approved = await auto_legacy.handle(GetSyncApplication(application_id=application.id), unit.me)
    assert (approved.status, approved.decided_by) == (SyncStatus.awaiting_new_registry, "auto-processing")
    assert await auto_legacy.sent_types() == ["legacy_ccer_registry.sync.approved"]
    stored = await record_of(auto_legacy, record)
    assert (stored.synced, stored.claimed, stored.in_transit) == (0, 10, 10)


async def test_auto_processing_leaves_a_form_ncsc_already_decided_alone(auto_legacy: ServiceUnderTest[Any]) -> None:
    unit, record = await unit_with_record(auto_legacy)
    application = await auto_legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    await decide(auto_legacy, application.id, Decision.reject, "联系人信息有误")
    await auto_legacy.sent()

    # The auto-approval job runs (NCSC sends no daily records in 2024: its window was 2021's).
    assert await auto_legacy.set_clock(datetime(2024, 9, 30, 0, 0, tzinfo=CST)) == 1
    still = await auto_legacy.handle(GetSyncApplication(application_id=application.id), ncsc())
    assert still.status == SyncStatus.rejected
    assert await auto_legacy.sent_types() == []
    assert (await record_of(auto_legacy, record)).synced == 0


async def test_without_auto_processing_nothing_is_approved_by_itself(legacy: ServiceUnderTest[Any]) -> None:
    unit, record = await unit_with_record(legacy)
    application = await legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    assert await legacy.set_clock(datetime(2024, 11, 1, tzinfo=CST)) == 0  # no job at all
    assert (await legacy.handle(GetSyncApplication(application_id=application.id), ncsc())).status == "submitted"


async def test_approval_sends_each_lines_lowest_unsynced_serials_with_their_record_dates(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy)
    await record_project(legacy, recorded_at=date(2013, 5, 6))
    await issue(legacy, unit, 4, recorded_at=date(2015, 1, 1))
    await issue(legacy, unit, 6, recorded_at=date(2016, 2, 2))
    await to_registry(legacy, unit, 10)
    record = await cancel(legacy, unit, 10)
    first = await legacy.handle(form(unit, (record.id, "P1001", 3)), unit.me)
    second = await legacy.handle(form(unit, (record.id, "P1001", 5)), unit.me)
    await legacy.sent()

    # The later form is decided first: it gets the lowest serials not yet synced.
    await decide(legacy, second.id, Decision.approve)
    await decide(legacy, first.id, Decision.approve)

    events = await legacy.sent()
    assert [e.event_type for e in events] == ["legacy_ccer_registry.sync.approved"] * 2
    assert [e.envelope.correlation_id for e in events] == [second.id, first.id]
    [item] = events[0].envelope.payload["items"]
    assert (item["cancellation_id"], item["quantity"]) == (record.id, 5)
    assert item["serial_ranges"] == [["VER-P1001-2015-1", "VER-P1001-2015-5"]]
    assert item["recorded_ranges"] == [
        {"first": "VER-P1001-2015-1", "last": "VER-P1001-2015-4", "units_recorded_at": "2015-01-01"},
        {"first": "VER-P1001-2015-5", "last": "VER-P1001-2015-5", "units_recorded_at": "2016-02-02"},
    ]
    assert item["units_recorded_at"] == "2016-02-02" and item["project"]["recorded_at"] == "2013-05-06"
    payload = events[0].envelope.payload
    assert (payload["legacy_account_id"], payload["new_account_id"], payload["purpose"]) == (
        unit.account_id,
        "NA-000000000001",
        "offset_2023",
    )
    assert payload["holder"] == {"name": unit.name, "uscc": unit.uscc}
    [later] = events[1].envelope.payload["items"]
    assert later["serial_ranges"] == [["VER-P1001-2015-6", "VER-P1001-2015-8"]]
    stored = await record_of(legacy, record.id)
    assert (stored.synced, stored.claimed, stored.in_transit) == (0, 8, 8)
    await accept(legacy, second.id, 5)
    await accept(legacy, first.id, 3)
    stored = await record_of(legacy, record.id)
    assert (stored.synced, stored.claimed, stored.in_transit) == (8, 0, 0)
    approved = await legacy.handle(GetSyncApplication(application_id=first.id), unit.me)
    assert approved.lines[0]["serial_ranges"] == [["VER-P1001-2015-6", "VER-P1001-2015-8"]]


async def test_rejection_gives_reasons_and_releases_the_claim_so_the_record_can_be_synced_again(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    application = await legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    with pytest.raises(Invalid) as no_reason:
        await decide(legacy, application.id, Decision.reject)
    assert no_reason.value.code == "REASONS_REQUIRED"

    rejected = await decide(legacy, application.id, Decision.reject, "新CCER注登系统账户ID有误")
    assert rejected.status == SyncStatus.rejected
    assert rejected.reasons == [{"code": "NOT_ELIGIBLE", "message": "新CCER注登系统账户ID有误"}]
    assert (await record_of(legacy, record)).claimed == 0
    assert await legacy.sent_types() == []  # a rejection tells no other registry

    again = await legacy.handle(form(unit, (record, "P1001", 10), new_account_id="NA-000000000002"), unit.me)
    assert again.status == SyncStatus.submitted
    with pytest.raises(Conflict) as decided:
        await decide(legacy, application.id, Decision.approve)
    assert decided.value.code == "SYNC_ALREADY_DECIDED"


async def test_a_record_claimed_by_one_form_is_not_synced_again_by_a_second(legacy: ServiceUnderTest[Any]) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    first = await legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    with pytest.raises(Conflict) as refused:
        await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)
    assert [f.code for f in refused.value.findings] == ["QUANTITY_EXCEEDS_UNSYNCED"]
    await decide(legacy, first.id, Decision.approve)
    with pytest.raises(Conflict):  # in transit
        await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)
    await accept(legacy, first.id, 10)
    with pytest.raises(Conflict):  # synced
        await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)
    assert (await record_of(legacy, record)).synced == 10


async def test_two_parallel_forms_for_one_record_sync_it_once(legacy: ServiceUnderTest[Any]) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    results = await asyncio.gather(
        legacy.handle(form(unit, (record, "P1001", 10)), unit.me),
        legacy.handle(form(unit, (record, "P1001", 10), new_account_id="NA-000000000009"), unit.me),
        return_exceptions=True,
    )
    submitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(submitted) == 1 and len(refused) == 1 and isinstance(refused[0], DomainError)
    stored = await record_of(legacy, record)
    assert (stored.claimed, stored.synced) == (10, 0)
    page = await legacy.handle(ListSyncApplications(), unit.me)
    assert [a.id for a in page.applications] == [submitted[0].id]


async def test_sync_applications_are_seen_by_their_holder_its_province_and_ncsc_only(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy)
    application = await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)

    for outsider in (as_("enterprise", org=uscc()), as_("province_initiator", province="110000")):
        with pytest.raises(NotFound):
            await legacy.handle(GetSyncApplication(application_id=application.id), outsider)
        assert (await legacy.handle(ListSyncApplications(), outsider)).applications == ()
    guangdong = as_("province_confirmer", province="440000")
    assert (await legacy.handle(GetSyncApplication(application_id=application.id), guangdong)).id == application.id
    listed = await legacy.handle(ListSyncApplications(status=SyncStatus.submitted), ncsc())
    assert application.id in {a.id for a in listed.applications}
    with pytest.raises(NotFound):
        await legacy.handle(DecideSyncApplication(application_id="LS-000000000000", decision=Decision.approve), ncsc())


async def test_a_synced_serials_history_shows_its_sync_application_and_decision(legacy: ServiceUnderTest[Any]) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    application = await legacy.handle(form(unit, (record, "P1001", 4)), unit.me)
    await decide(legacy, application.id, Decision.approve)
    await accept(legacy, application.id, 4, legacy_sync_id="LGS-1")

    history = await legacy.handle(GetSerialHistory(serial="VER-P1001-2015-2"), unit.me)
    assert [m.kind for m in history.movements] == ["issuance", "transfer", "cancellation", "sync_sent", "sync"]
    sent, sync = history.movements[-2:]
    assert (sent.reference_id, sent.detail["decision"]) == (application.id, "approved")
    assert (sync.reference_id, sync.detail["legacy_sync_id"]) == (application.id, "LGS-1")
    untouched = await legacy.handle(GetSerialHistory(serial="VER-P1001-2015-5"), unit.me)
    assert [m.kind for m in untouched.movements] == ["issuance", "transfer", "cancellation"]


# --- the new registry's answer -------------------------------------------------------------------
async def test_approval_is_a_request_the_units_are_synced_only_once_the_new_registry_accepts(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    application = await legacy.handle(form(unit, (record, "P1001", 6)), unit.me)
    await legacy.sent()

    sent = await decide(legacy, application.id, Decision.approve)

    assert sent.status == SyncStatus.awaiting_new_registry
    [request] = await legacy.sent()
    assert request.event_type == "legacy_ccer_registry.sync.approved"
    assert request.envelope.payload["unit_name"] == unit.name
    stored = await record_of(legacy, record)
    assert (stored.synced, stored.claimed, stored.in_transit) == (0, 6, 6)
    waiting = await legacy.handle(ListSyncApplications(status=SyncStatus.awaiting_new_registry), unit.me)
    assert [a.id for a in waiting.applications] == [application.id]
    history = await legacy.handle(GetSerialHistory(serial="VER-P1001-2015-1"), unit.me)
    assert (history.movements[-1].kind, history.movements[-1].reference_id) == ("sync_sent", application.id)

    assert await accept(legacy, application.id, 6, legacy_sync_id="LGS-42") == "applied"

    synced = await legacy.handle(GetSyncApplication(application_id=application.id), unit.me)
    assert (synced.status, synced.legacy_sync_id, synced.answered_at) == (SyncStatus.synced, "LGS-42", legacy.now)
    stored = await record_of(legacy, record)
    assert (stored.synced, stored.claimed, stored.in_transit) == (6, 0, 0)
    # The same answer again (another event id) changes nothing.
    assert await accept(legacy, application.id, 6) == "applied"
    assert (await record_of(legacy, record)).synced == 6
    assert await legacy.sent_types() == []


async def test_a_record_synced_over_two_forms_sends_disjoint_parts_with_its_whole_quantity_and_ends_synced(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy, quantity=50)
    first = await legacy.handle(form(unit, (record, "P1001", 30)), unit.me)
    await decide(legacy, first.id, Decision.approve)
    await accept(legacy, first.id, 30, legacy_sync_id="LGS-1")
    second = await legacy.handle(form(unit, (record, "P1001", 20)), unit.me)
    await decide(legacy, second.id, Decision.approve)
    await accept(legacy, second.id, 20, legacy_sync_id="LGS-2")

    parts = [e.envelope.payload["items"][0] for e in await legacy.sent()]
    # Each part says the record's whole quantity: the new registry takes parts up to it, each serial once.
    assert [(p["quantity"], p["cancellation_quantity"], p["serial_ranges"]) for p in parts] == [
        (30, 50, [["VER-P1001-2015-1", "VER-P1001-2015-30"]]),
        (20, 50, [["VER-P1001-2015-31", "VER-P1001-2015-50"]]),
    ]
    stored = await record_of(legacy, record)
    assert (stored.synced, stored.claimed, stored.in_transit) == (50, 0, 0)
    with pytest.raises(Conflict):  # the whole record is synced: nothing is left for a third form
        await legacy.handle(form(unit, (record, "P1001", 1)), unit.me)


async def test_a_refusal_shows_every_finding_frees_the_units_traceably_and_a_corrected_form_syncs_them(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    wrong = await legacy.handle(form(unit, (record, "P1001", 10), new_account_id="NA-0000000000FF"), unit.me)
    await decide(legacy, wrong.id, Decision.approve)
    await legacy.sent()

    await refuse(legacy, wrong.id, "SYNC_ACCOUNT_MISMATCH", "SYNC_UNIT_NAME_MISMATCH")

    refused = await legacy.handle(GetSyncApplication(application_id=wrong.id), unit.me)
    assert refused.status == SyncStatus.refused_by_new_registry
    assert [r["code"] for r in refused.reasons] == ["SYNC_ACCOUNT_MISMATCH", "SYNC_UNIT_NAME_MISMATCH"]
    assert all(r["message"] and r["message_zh"] for r in refused.reasons)
    assert refused.lines[0]["serial_ranges"] == [["VER-P1001-2015-1", "VER-P1001-2015-10"]]  # what was sent
    stored = await record_of(legacy, record)
    assert (stored.synced, stored.claimed, stored.in_transit) == (0, 0, 0)
    history = await legacy.handle(GetSerialHistory(serial="VER-P1001-2015-7"), unit.me)
    assert history.block.state == "cancelled"
    assert [(m.kind, m.reference_id) for m in history.movements[-2:]] == [
        ("sync_sent", wrong.id),
        ("sync_refused", wrong.id),
    ]
    assert history.movements[-1].detail["codes"] == ["SYNC_ACCOUNT_MISMATCH", "SYNC_UNIT_NAME_MISMATCH"]
    assert await legacy.sent_types() == []

    corrected = await legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    await decide(legacy, corrected.id, Decision.approve)
    [again] = await legacy.sent()
    assert again.envelope.payload["items"][0]["serial_ranges"] == [["VER-P1001-2015-1", "VER-P1001-2015-10"]]
    await accept(legacy, corrected.id, 10)
    assert (await record_of(legacy, record)).synced == 10
    # A late or repeated refusal of the old form changes nothing; one of the synced form is inconsistent.
    assert await refuse(legacy, wrong.id, "SYNC_ACCOUNT_MISMATCH") == "applied"
    with pytest.raises(InconsistentEvent):
        await refuse(legacy, corrected.id, "SYNC_ACCOUNT_MISMATCH")
    assert (await record_of(legacy, record)).synced == 10


async def test_a_refused_forms_serials_go_to_the_next_form_below_those_still_awaiting_an_answer(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    first = await legacy.handle(form(unit, (record, "P1001", 3)), unit.me)
    second = await legacy.handle(form(unit, (record, "P1001", 5)), unit.me)
    await decide(legacy, first.id, Decision.approve)  # 1-3
    await decide(legacy, second.id, Decision.approve)  # 4-8
    await refuse(legacy, first.id, "SYNC_ACCOUNT_MISMATCH")
    await legacy.sent()

    third = await legacy.handle(form(unit, (record, "P1001", 5)), unit.me)
    await decide(legacy, third.id, Decision.approve)

    [request] = await legacy.sent()
    assert request.envelope.payload["items"][0]["serial_ranges"] == [
        ["VER-P1001-2015-1", "VER-P1001-2015-3"],
        ["VER-P1001-2015-9", "VER-P1001-2015-10"],
    ]
    stored = await record_of(legacy, record)
    assert (stored.synced, stored.claimed, stored.in_transit) == (0, 10, 10)


async def test_an_answer_for_a_form_not_awaiting_one_is_an_inconsistent_event(legacy: ServiceUnderTest[Any]) -> None:
    unit, record = await unit_with_record(legacy, quantity=10)
    submitted = await legacy.handle(form(unit, (record, "P1001", 10)), unit.me)
    with pytest.raises(InconsistentEvent):
        await accept(legacy, submitted.id, 10)
    with pytest.raises(InconsistentEvent):
        await refuse(legacy, "LS-unknown", "SYNC_ACCOUNT_MISMATCH")
    assert (await legacy.handle(GetSyncApplication(application_id=submitted.id), unit.me)).status == "submitted"


async def test_the_unit_name_is_the_legacy_account_holders_width_and_spacing_aside(
    legacy: ServiceUnderTest[Any],
) -> None:
    unit = await open_unit(legacy, name="华能（北京）热电有限公司")
    await record_project(legacy)
    record = await cancelled_units(legacy, unit, 10)

    with pytest.raises(Conflict) as refused:  # reported with the form's other problems
        await legacy.handle(form(unit, (record.id, "P1001", 20), unit_name="华能北京热电有限公司"), unit.me)
    assert [(f.code, f.field) for f in refused.value.findings] == [
        ("UNIT_NAME_MISMATCH", "unit_name"),
        ("QUANTITY_EXCEEDS_UNSYNCED", "lines.0.quantity"),
    ]
    assert "华能（北京）热电有限公司" in refused.value.findings[0].message_zh

    accepted = await legacy.handle(form(unit, (record.id, "P1001", 10), unit_name=" 华能(北京)热电有限公司 "), unit.me)
    assert accepted.status == SyncStatus.submitted
