"""The first period's offset application form (申请表) in the provincial review, through its bootstrap:
the unit submits inside the window (to the second), the province checks it against the unit's notice
with every problem at once, confirms it or returns it with reasons, the unit corrects and resubmits,
hands in the stamped cancellation screenshot; NCSC's daily cancellation records are set beside the
confirmed quantity, in whatever order they arrive; each party sees only its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.provincial_review.domain.offset_forms import CancellationCheck, FormDecision, FormStatus
from services.provincial_review.service_layer.commands import (
    AttachCancellationProof,
    DecideOffsetForm,
    GetOffsetForm,
    ListOffsetForms,
    SubmitOffsetForm,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.timeutil import CST
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_review_forms_support import (
    Unit,
    confirm,
    review_at,
    send_back,
)

OPENS = datetime(2021, 10, 26, 0, 0, tzinfo=CST)
CLOSES = datetime(2021, 12, 11, 0, 0, tzinfo=CST)
SHA = "a" * 64


@pytest.fixture
async def review(backend: str) -> AsyncIterator[ServiceUnderTest[Any]]:
    """The provincial review on Tuesday 2021-11-02, inside the form window."""
    async with review_at(backend) as service:
        yield service


def codes(error: pytest.ExceptionInfo[Any]) -> list[str]:
    return [f.code for f in error.value.findings]


async def test_the_form_is_accepted_from_2021_10_26_00_00_00_to_2021_12_10_23_59_59(backend: str) -> None:
    async with review_at(backend, now=OPENS - timedelta(seconds=1)) as review:
        early, first, last, late = [await Unit(name=f"单位{i}").issued(review) for i in range(4)]

        with pytest.raises(Conflict) as refused:
            await early.submit(review)
        assert codes(refused) == ["FORM_WINDOW_NOT_OPEN"]

        await review.set_clock(OPENS)
        assert (await first.submit(review)).form.status == FormStatus.submitted

        await review.set_clock(CLOSES - timedelta(seconds=1))
        assert (await last.submit(review)).form.status == FormStatus.submitted

        await review.set_clock(CLOSES)
        with pytest.raises(Conflict) as closed:
            await late.submit(review)
        assert codes(closed) == ["FORM_WINDOW_CLOSED"]
        # A refused submission leaves nothing behind.
        listed = await review.handle(ListOffsetForms(), first.initiator())
        assert sorted(v.form.unit_name for v in listed.forms) == ["单位1", "单位2"]


async def test_a_submitted_form_carries_the_notice_it_was_checked_against_and_its_history(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)

    view = await unit.submit(review)

    form = view.form
    assert (form.status, form.revision, form.province, form.notice_id) == ("submitted", 1, "420000", unit.notice_id)
    assert (form.obligation, form.requested_quantity) == (1_000_000, 50_000)
    assert (view.confirmed_quantity, view.cancelled_quantity, view.cancellation_mismatch) == (0, 0, False)
    assert [h.action for h in view.history] == ["submitted"]
    assert await review.sent_types() == []


async def test_a_request_above_floor_5_percent_of_the_notices_obligation_is_refused(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit(obligation=999_999).issued(review)

    with pytest.raises(Invalid) as refused:
        await unit.submit(review, requested_quantity=50_000)
    assert codes(refused) == ["OFFSET_CAP_EXCEEDED"]
    assert refused.value.findings[0].field == "requested_quantity"

    assert (await unit.submit(review, requested_quantity=49_999)).form.requested_quantity == 49_999


async def test_every_problem_of_the_form_is_reported_at_once_in_english_and_chinese(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)

    with pytest.raises(Invalid) as refused:
        await unit.submit(
            review, unit_name="另一家企业", province="110000", obligation=1_200_000, requested_quantity=60_000
        )

    assert codes(refused) == ["UNIT_NAME_MISMATCH", "PROVINCE_MISMATCH", "OBLIGATION_MISMATCH", "OFFSET_CAP_EXCEEDED"]
    assert all(f.message and f.message_zh for f in refused.value.findings)


async def test_a_form_outside_the_window_reports_its_other_problems_too(backend: str) -> None:
    async with review_at(backend, now=CLOSES) as review:
        unit = await Unit().issued(review)
        with pytest.raises(Conflict) as refused:
            await unit.submit(review, requested_quantity=0)
        assert codes(refused) == ["FORM_WINDOW_CLOSED", "QUANTITY_NOT_POSITIVE"]


async def test_a_unit_without_a_2019_2020_notice_cannot_submit_a_form(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()  # no notice.issued received
    await review.deliver(unit.notice_issued(period_code="2023"))

    with pytest.raises(Invalid) as refused:
        await unit.submit(review)
    assert codes(refused) == ["NOTICE_NOT_FOUND"]


async def test_only_the_first_period_has_a_form(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    with pytest.raises(Invalid) as refused:
        await unit.submit(review, period_code="2023")
    assert codes(refused) == ["FORM_PERIOD_UNKNOWN"]


async def test_a_unit_submits_its_own_form_only(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    other = Unit()

    with pytest.raises(Forbidden) as refused:
        await review.handle(SubmitOffsetForm(**unit.fields()), other.enterprise())
    assert refused.value.code == "FORM_NOT_OWN_UNIT"


async def test_a_unit_has_one_form_per_period(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    first = await unit.submit(review)

    with pytest.raises(Conflict) as refused:
        await unit.submit(review, requested_quantity=10_000)
    assert codes(refused) == ["FORM_EXISTS"]
    assert first.form.id in refused.value.findings[0].message


async def test_the_province_confirms_a_submitted_form_once(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    submitted = await unit.submit(review)

    confirmed = await confirm(review, unit, submitted.form.id)

    assert confirmed.form.status == FormStatus.confirmed
    assert confirmed.form.confirmed_at == review.now
    assert confirmed.confirmed_quantity == 50_000
    assert [h.action for h in confirmed.history] == ["submitted", "confirmed"]
    with pytest.raises(Conflict) as again:
        await confirm(review, unit, submitted.form.id)
    assert codes(again) == ["FORM_NOT_SUBMITTED"]
    with pytest.raises(Conflict) as returned:
        await send_back(review, unit, submitted.form.id, "迟到的退回")
    assert codes(returned) == ["FORM_NOT_SUBMITTED"]


async def test_a_returned_form_carries_reasons_and_comes_back_corrected_as_revision_2(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review, requested_quantity=40_000)).form.id

    returned = await send_back(review, unit, form_id, "申请抵销量与CCER持有量不符", "请核对")
    assert (returned.form.status, returned.form.reasons) == ("returned", ["申请抵销量与CCER持有量不符", "请核对"])

    corrected = await unit.resubmit(review, form_id, requested_quantity=50_000)
    assert (corrected.form.status, corrected.form.revision) == (FormStatus.submitted, 2)
    assert (corrected.form.requested_quantity, corrected.form.reasons) == (50_000, [])
    assert (await confirm(review, unit, form_id)).confirmed_quantity == 50_000

    history = (await review.handle(GetOffsetForm(form_id=form_id), unit.initiator())).history
    assert [(h.action, h.status) for h in history] == [
        ("submitted", "submitted"),
        ("returned", "returned"),
        ("resubmitted", "submitted"),
        ("confirmed", "confirmed"),
    ]
    assert history[1].reasons == ["申请抵销量与CCER持有量不符", "请核对"]
    assert history[2].detail["requested_quantity"] == 50_000


async def test_a_return_without_reasons_is_refused(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id

    with pytest.raises(Invalid) as refused:
        await send_back(review, unit, form_id, "   ")
    assert codes(refused) == ["REASONS_REQUIRED"]


async def test_a_corrected_form_is_checked_again_and_only_a_returned_one_can_be_corrected(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id

    with pytest.raises(Conflict) as not_returned:
        await unit.resubmit(review, form_id, requested_quantity=10_000)
    assert codes(not_returned) == ["FORM_NOT_RETURNED"]

    await send_back(review, unit, form_id, "请修改")
    with pytest.raises(Invalid) as still_wrong:
        await unit.resubmit(review, form_id, obligation=900_000, requested_quantity=60_000)
    assert codes(still_wrong) == ["OBLIGATION_MISMATCH", "OFFSET_CAP_EXCEEDED"]
    view = await review.handle(GetOffsetForm(form_id=form_id), unit.enterprise())
    assert (view.form.status, view.form.revision) == ("returned", 1)


async def test_a_returned_form_cannot_be_resubmitted_after_the_window(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    await send_back(review, unit, form_id, "请修改")

    await review.set_clock(CLOSES)
    with pytest.raises(Conflict) as refused:
        await unit.resubmit(review, form_id)
    assert codes(refused) == ["FORM_WINDOW_CLOSED"]


async def test_the_province_may_decide_after_the_window_closes(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id

    await review.set_clock(CLOSES + timedelta(days=2))
    assert (await confirm(review, unit, form_id)).form.status == FormStatus.confirmed


async def test_a_form_that_no_longer_matches_a_reissued_notice_cannot_be_confirmed(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    await review.deliver(unit.notice_issued(obligation=800_000))

    with pytest.raises(Conflict) as refused:
        await confirm(review, unit, form_id)
    assert refused.value.code == "FORM_CHECKS_FAILING"
    assert codes(refused) == ["OBLIGATION_MISMATCH", "OFFSET_CAP_EXCEEDED"]
    assert (await send_back(review, unit, form_id, "履约通知书已更新")).form.status == FormStatus.returned


async def test_the_stamped_cancellation_screenshot_follows_the_confirmed_form_and_is_kept_once(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    proof = AttachCancellationProof(form_id=form_id, file_name="注销截图（盖章）.pdf", sha256=SHA.upper())

    with pytest.raises(Conflict) as early:
        await review.handle(proof, unit.enterprise())
    assert codes(early) == ["FORM_NOT_CONFIRMED"]

    await confirm(review, unit, form_id)
    first = await review.handle(proof, unit.enterprise())
    again = await review.handle(proof, unit.enterprise())

    assert [(p.file_name, p.sha256) for p in again.proofs] == [("注销截图（盖章）.pdf", SHA)]
    assert [h.action for h in first.history][-1] == "proof_attached"
    assert [h.action for h in again.history].count("proof_attached") == 1
    seen_by_province = await review.handle(GetOffsetForm(form_id=form_id), unit.initiator())
    assert [p.sha256 for p in seen_by_province.proofs] == [SHA]


async def test_a_province_sees_and_decides_only_its_own_forms_and_a_unit_only_its_own(
    review: ServiceUnderTest[Any],
) -> None:
    hubei = await Unit(province="420000").issued(review)
    beijing = await Unit(province="110000", name="北京电厂").issued(review)
    hubei_form = (await hubei.submit(review)).form.id
    beijing_form = (await beijing.submit(review)).form.id

    for outsider in (beijing.initiator(), beijing.enterprise(), as_("ncsc_operator")):
        with pytest.raises(NotFound):
            await review.handle(GetOffsetForm(form_id=hubei_form), outsider)
    with pytest.raises(NotFound):
        await confirm(review, beijing, hubei_form)
    with pytest.raises(NotFound):
        await review.handle(
            AttachCancellationProof(form_id=hubei_form, file_name="x.png", sha256=SHA), beijing.enterprise()
        )
    with pytest.raises(NotFound):
        await beijing.resubmit(review, hubei_form)

    hubei_list = await review.handle(ListOffsetForms(), hubei.confirmer())
    assert [v.form.id for v in hubei_list.forms] == [hubei_form]
    own = await review.handle(ListOffsetForms(), beijing.enterprise())
    assert [v.form.id for v in own.forms] == [beijing_form]


async def test_forms_are_listed_by_status_and_by_the_week_they_were_confirmed_in(
    review: ServiceUnderTest[Any],
) -> None:
    units = [await Unit(name=f"单位{i}").issued(review) for i in range(3)]
    ids = []
    for minute, unit in enumerate(units):  # oldest first: one a minute
        await review.set_clock(datetime(2021, 11, 2, 9, minute + 1, tzinfo=CST))
        ids.append((await unit.submit(review)).form.id)
    await confirm(review, units[0], ids[0])  # Tuesday 2021-11-02: the week ending Friday 11-05
    await review.set_clock(datetime(2021, 11, 5, 17, 0, tzinfo=CST))
    await confirm(review, units[1], ids[1])  # Friday 17:00:00: the week ending 11-12
    await send_back(review, units[2], ids[2], "请修改")

    async def listed(**kw: Any) -> list[str]:
        page = await review.handle(ListOffsetForms(**kw), units[0].initiator())
        return [v.form.id for v in page.forms]

    assert await listed(status=FormStatus.confirmed) == ids[:2]
    assert await listed(status=FormStatus.returned) == [ids[2]]
    assert await listed(week=date(2021, 11, 5)) == [ids[0]]
    assert await listed(week=date(2021, 11, 12)) == [ids[1]]
    assert await listed(week=date(2021, 10, 29)) == []
    assert await listed(limit=2) == ids[:2]
    assert await listed(offset=2, limit=2) == [ids[2]]
    with pytest.raises(Invalid) as refused:
        await listed(week=date(2021, 11, 4))
    assert codes(refused) == ["WEEK_NOT_FRIDAY"]


async def test_cancellations_recorded_before_the_form_show_beside_it_and_a_difference_is_flagged(
    review: ServiceUnderTest[Any],
) -> None:
    unit = await Unit().issued(review)
    assert await review.deliver(unit.cancellation(30_000)) == "applied"

    submitted = await unit.submit(review)
    assert (submitted.confirmed_quantity, submitted.cancelled_quantity) == (0, 30_000)
    assert (submitted.cancellation_mismatch, submitted.cancellation_check) == (True, CancellationCheck.excess)

    confirmed = await confirm(review, unit, submitted.form.id)
    assert (confirmed.confirmed_quantity, confirmed.cancelled_quantity) == (50_000, 30_000)
    assert confirmed.cancellation_check is CancellationCheck.short

    await review.deliver(unit.cancellation(20_000))
    view = await review.handle(GetOffsetForm(form_id=submitted.form.id), unit.initiator())
    assert (view.cancelled_quantity, view.cancellation_mismatch) == (50_000, False)
    assert view.cancellation_check is CancellationCheck.matched


async def test_cancellations_recorded_after_the_confirmation_close_the_gap(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    confirmed = await confirm(review, unit, form_id)
    assert (confirmed.cancellation_mismatch, confirmed.cancellation_check) == (True, CancellationCheck.not_cancelled)

    await review.deliver(unit.cancellation(50_000))

    view = await review.handle(GetOffsetForm(form_id=form_id), unit.enterprise())
    assert (view.confirmed_quantity, view.cancelled_quantity, view.cancellation_mismatch) == (50_000, 50_000, False)


async def test_a_cancellation_record_delivered_twice_counts_once(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id
    await confirm(review, unit, form_id)
    record = unit.cancellation(50_000, cancellation_id="LC-ONCE")

    # The same record as two events (a replayed batch): one cancellation.
    assert [await review.deliver(record) for _ in range(2)] == ["applied", "applied"]

    view = await review.handle(GetOffsetForm(form_id=form_id), unit.initiator())
    assert (view.cancelled_quantity, view.cancellation_mismatch) == (50_000, False)
    assert [(c.cancellation_id, c.quantity) for c in view.cancellations] == [("LC-ONCE", 50_000)]


async def test_cancellations_for_other_purposes_or_other_units_do_not_count(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    other = await Unit(name="另一家企业").issued(review)
    form_id = (await unit.submit(review)).form.id
    await confirm(review, unit, form_id)

    await review.deliver(unit.cancellation(50_000, purpose="voluntary"))
    await review.deliver(unit.cancellation(50_000, purpose="offset_2023"))
    await review.deliver(other.cancellation(50_000))

    view = await review.handle(GetOffsetForm(form_id=form_id), unit.initiator())
    assert (view.cancelled_quantity, view.cancellation_check) == (0, CancellationCheck.not_cancelled)


async def test_either_provincial_reviewer_may_decide_a_form(review: ServiceUnderTest[Any]) -> None:
    unit = await Unit().issued(review)
    form_id = (await unit.submit(review)).form.id

    view = await review.handle(DecideOffsetForm(form_id=form_id, decision=FormDecision.confirm), unit.confirmer())

    assert view.form.status == FormStatus.confirmed
    assert view.form.decided_by is not None and view.form.decided_by.startswith("province_confirmer:")
