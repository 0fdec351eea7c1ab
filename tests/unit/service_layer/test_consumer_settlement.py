"""How the inbox consumer (``shared/messaging/consumer.py``) settles an event, shown on the provincial
review: applied once and acknowledged; a duplicate acknowledged without a second effect; a refusal
that no retry can cure dead-lettered at once; a concurrent change or an outage retried. Nothing of a
failed delivery is committed, its inbox row included, so the retry starts clean."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel

from services.provincial_review.service_layer.commands import ListCases
from shared.errors import (
    ConcurrentChange,
    Conflict,
    DomainError,
    Forbidden,
    InconsistentEvent,
    Invalid,
    NotFound,
)
from shared.events import Envelope, make_envelope
from shared.events.contracts import ApplicationSubmittedV1, ComplianceCompletedV1
from shared.messaging.consumer import retry_cannot_cure
from tests.service_layer import ServiceUnderTest, as_
from tests.unit.service_layer.test_review_intake import Unit

REFUSALS: list[DomainError] = [
    NotFound.of("review case", "审核案件", "RVW-x"),
    Invalid("BAD", "bad input", "输入无效"),
    Conflict("WRONG_STATE", "wrong state", "状态不符"),
    Forbidden("TWO_PERSON_RULE", "another person", "须由另一人"),
    InconsistentEvent("more than is frozen"),
]


def submission(unit: Unit, now: Any) -> tuple[ApplicationSubmittedV1, Envelope]:
    payload = unit.submitted()
    return payload, make_envelope(payload.routing_key, payload, occurred_at=now, correlation_id=payload.application_id)


def failing_with(error: Exception) -> Any:
    async def handler(uow: Any, envelope: Envelope, payload: BaseModel) -> None:
        raise error

    return handler


async def case_count(review: ServiceUnderTest[Any], unit: Unit) -> int:
    page = await review.handle(ListCases(limit=500), as_("province_initiator", province=unit.province))
    return len(page.cases)


@dataclass
class FakeMessage:
    """What the consumer needs of an incoming RabbitMQ message, recording how it was settled."""

    body: bytes
    message_id: str = "m-1"
    type: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    settled: list[str] = field(default_factory=list)

    async def ack(self) -> None:
        self.settled.append("ack")

    async def reject(self, requeue: bool = False) -> None:
        self.settled.append("requeue" if requeue else "dead-letter")

    async def nack(self, requeue: bool = True) -> None:
        self.settled.append("requeue" if requeue else "dead-letter")


async def settle(review: ServiceUnderTest[Any], envelope: Envelope) -> list[str]:
    message = FakeMessage(envelope.model_dump_json().encode(), type=envelope.event_type)
    review.runtime.consumer.max_backoff = 0  # no back-off sleep in a unit test
    await review.runtime.consumer.on_message(cast(AbstractIncomingMessage, message))
    return message.settled


@pytest.mark.parametrize("error", REFUSALS, ids=lambda e: type(e).__name__)
def test_a_refusal_no_retry_can_cure_goes_to_the_dead_letter_queue(error: DomainError) -> None:
    assert retry_cannot_cure(error)


@pytest.mark.parametrize("error", [ConcurrentChange("review case"), RuntimeError("database down")], ids=repr)
def test_a_concurrent_change_or_an_outage_is_retried(error: Exception) -> None:
    assert not retry_cannot_cure(error)


async def test_a_refused_event_commits_nothing_not_even_its_inbox_row(
    review: ServiceUnderTest[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = Unit()
    _, envelope = submission(unit, review.now)
    monkeypatch.setitem(
        review.runtime.consumer.handlers, ApplicationSubmittedV1, failing_with(InconsistentEvent("unknown lot"))
    )

    with pytest.raises(InconsistentEvent) as refused:
        await review.deliver(envelope=envelope)

    assert retry_cannot_cure(refused.value)
    assert await case_count(review, unit) == 0
    monkeypatch.undo()  # once an operator fixed the cause, the same event applies
    assert await review.deliver(envelope=envelope) == "applied"
    assert await case_count(review, unit) == 1


async def test_a_concurrent_change_leaves_the_event_to_be_applied_on_the_next_delivery(
    review: ServiceUnderTest[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = Unit()
    _, envelope = submission(unit, review.now)
    original = review.runtime.consumer.handlers[ApplicationSubmittedV1]
    attempts: list[int] = []

    async def changed_once(uow: Any, env: Envelope, payload: BaseModel) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConcurrentChange("review case")
        await original(uow, env, payload)

    monkeypatch.setitem(review.runtime.consumer.handlers, ApplicationSubmittedV1, changed_once)

    with pytest.raises(ConcurrentChange) as first:
        await review.deliver(envelope=envelope)
    second = await review.deliver(envelope=envelope)

    assert not retry_cannot_cure(first.value)
    assert (second, len(attempts)) == ("applied", 2)
    assert await case_count(review, unit) == 1


async def test_a_duplicate_envelope_is_acknowledged_as_duplicate_with_one_effect(
    review: ServiceUnderTest[Any],
) -> None:
    unit = Unit()
    _, envelope = submission(unit, review.now)

    outcomes = [await review.deliver(envelope=envelope) for _ in range(3)]

    assert outcomes == ["applied", "duplicate", "duplicate"]
    assert await case_count(review, unit) == 1


async def test_an_event_without_a_handler_is_recorded_and_ignored_once(
    review: ServiceUnderTest[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(review.runtime.consumer.handlers, ComplianceCompletedV1)
    unit = Unit()
    envelope = review.envelope(unit.completed(), correlation_id="t")

    assert [await review.deliver(envelope=envelope) for _ in range(2)] == ["ignored", "duplicate"]


async def test_the_consumer_acknowledges_an_applied_event_and_a_duplicate(review: ServiceUnderTest[Any]) -> None:
    unit = Unit()
    _, envelope = submission(unit, review.now)

    assert await settle(review, envelope) == ["ack"]
    assert await settle(review, envelope) == ["ack"]
    assert await case_count(review, unit) == 1


@pytest.mark.parametrize("error", REFUSALS, ids=lambda e: type(e).__name__)
async def test_the_consumer_dead_letters_a_refused_event_at_once(
    review: ServiceUnderTest[Any], monkeypatch: pytest.MonkeyPatch, error: DomainError
) -> None:
    unit = Unit()
    _, envelope = submission(unit, review.now)
    monkeypatch.setitem(review.runtime.consumer.handlers, ApplicationSubmittedV1, failing_with(error))

    assert await settle(review, envelope) == ["dead-letter"]
    assert await case_count(review, unit) == 0


@pytest.mark.parametrize("error", [ConcurrentChange("review case"), RuntimeError("database down")], ids=repr)
async def test_the_consumer_requeues_an_event_that_may_pass_next_time(
    review: ServiceUnderTest[Any], monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    unit = Unit()
    _, envelope = submission(unit, review.now)
    monkeypatch.setitem(review.runtime.consumer.handlers, ApplicationSubmittedV1, failing_with(error))

    assert await settle(review, envelope) == ["requeue"]
    assert await case_count(review, unit) == 0


async def test_the_consumer_dead_letters_a_message_that_is_no_event(review: ServiceUnderTest[Any]) -> None:
    message = FakeMessage(b'{"not": "an envelope"}', type=ApplicationSubmittedV1.routing_key)

    await review.runtime.consumer.on_message(cast(AbstractIncomingMessage, message))

    assert message.settled == ["dead-letter"]
