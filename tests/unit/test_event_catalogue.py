"""The event catalogue: one class per event type carries its routing key, version, aggregate field and
consumers; a service whose handler table disagrees with its queue's bindings refuses to start."""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import pytest

from shared.clock import Clock
from shared.events import Envelope
from shared.events.contracts import (
    EVENTS,
    PAYLOADS,
    BindingConfirmedV1,
    Event,
    OffsetFrozenV1,
    OffsetRegisteredV1,
    SyncAcceptedV1,
)
from shared.messaging.consumer import HandlersDisagreeWithBindings, aggregate_key
from shared.messaging.memory import InMemoryBroker
from shared.messaging.topology import bindings_for
from shared.settings import SERVICES, Settings


def bootstrap_module(service: str) -> Any:
    return importlib.import_module(f"services.{service}.bootstrap")


def build(service: str, definition: Any) -> Any:
    settings = Settings(db_url="sqlite+aiosqlite:///:memory:")
    return bootstrap_module(service).bootstrap(
        settings, clock=Clock("simulated"), broker=InMemoryBroker(), service=definition
    )


async def handler(uow: Any, envelope: Envelope, payload: Any) -> None:
    return None


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_handles_exactly_the_events_its_queue_is_bound_to(service: str) -> None:
    handled = sorted(event.routing_key for event in bootstrap_module(service).EVENT_HANDLERS)

    assert handled == bindings_for(service)


async def test_a_service_refuses_to_start_with_a_handler_for_an_event_its_queue_is_not_bound_to() -> None:
    definition = bootstrap_module("new_ccer_registry").definition()
    definition.event_handlers = {**definition.event_handlers, OffsetFrozenV1: handler}

    with pytest.raises(HandlersDisagreeWithBindings) as refused:
        build("new_ccer_registry", definition)

    assert "handles new_ccer_registry.offset.frozen but its queue is not bound to it" in str(refused.value)


async def test_a_service_refuses_to_start_when_its_queue_is_bound_to_an_event_it_has_no_handler_for() -> None:
    definition = bootstrap_module("legacy_ccer_registry").definition()
    definition.event_handlers = {k: v for k, v in definition.event_handlers.items() if k is not SyncAcceptedV1}

    with pytest.raises(HandlersDisagreeWithBindings) as refused:
        build("legacy_ccer_registry", definition)

    assert "is bound to new_ccer_registry.sync.accepted but has no handler for it" in str(refused.value)


async def test_a_service_refuses_a_handler_keyed_by_another_class_than_the_one_it_takes() -> None:
    definition = bootstrap_module("new_ccer_registry").definition()
    handlers = dict(definition.event_handlers)
    handlers[BindingConfirmedV1], handlers[OffsetRegisteredV1] = (
        handlers[OffsetRegisteredV1],
        handlers[BindingConfirmedV1],
    )
    definition.event_handlers = handlers

    with pytest.raises(HandlersDisagreeWithBindings) as refused:
        build("new_ccer_registry", definition)

    assert "keys on_offset_registered by BindingConfirmedV1" in str(refused.value)


def test_every_event_class_is_registered_once_with_a_consumer_and_a_required_aggregate_field() -> None:
    assert len(EVENTS) == len(PAYLOADS) == 18
    for event in EVENTS:
        assert PAYLOADS[(event.routing_key, event.version)] is event
        assert event.producer() in SERVICES
        assert set(event.consumers) <= set(SERVICES) - {event.producer()}, event.__name__
        assert event.model_fields[event.aggregate].is_required()


def test_an_event_class_without_a_routing_key_or_with_an_unknown_aggregate_field_is_refused() -> None:
    with pytest.raises(TypeError, match="declares no routing_key"):

        class NoKeyV1(Event):
            aggregate: ClassVar[str] = "lot_id"
            lot_id: str

    with pytest.raises(TypeError, match="is not a required payload field"):

        class BadAggregateV1(Event):
            routing_key: ClassVar[str] = "new_ccer_registry.test.bad"
            aggregate: ClassVar[str] = "lot"
            lot_id: str

    assert ("new_ccer_registry.test.bad", 1) not in PAYLOADS


def test_events_of_one_lot_share_one_ordering_key_whichever_class_they_are() -> None:
    frozen = OffsetFrozenV1.model_construct(lot_id="LOT-1")
    registered = OffsetRegisteredV1.model_construct(lot_id="LOT-1", application_id="APP-9")

    assert aggregate_key(frozen) == aggregate_key(registered) == "lot_id=LOT-1"


async def test_a_second_version_of_a_bound_event_needs_its_own_handler_entry() -> None:
    class SyncAcceptedV2(SyncAcceptedV1):
        routing_key: ClassVar[str] = "new_ccer_registry.sync.accepted"
        version: ClassVar[int] = 2

    try:
        with pytest.raises(HandlersDisagreeWithBindings) as refused:
            build("legacy_ccer_registry", bootstrap_module("legacy_ccer_registry").definition())
    finally:
        del PAYLOADS[("new_ccer_registry.sync.accepted", 2)]

    assert "has no handler for it (v2, SyncAcceptedV2)" in str(refused.value)
