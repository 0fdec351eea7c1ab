"""The topology operators load (deploy/) is the one the services declare."""

from __future__ import annotations

import json
from pathlib import Path

from shared.events.contracts import EVENTS
from shared.messaging.topology import bindings_for, definitions, queue_arguments

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_definitions_are_generated_from_the_topology_code() -> None:
    on_disk = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    assert on_disk == definitions(), "run `ccer topology` to regenerate deploy/rabbitmq/definitions.json"


def test_every_catalogued_event_is_bound_to_each_of_its_consumers() -> None:
    for event in EVENTS:
        assert event.consumers, f"{event.__name__} names no consumer"
        for service in event.consumers:
            assert event.routing_key in bindings_for(service)


def test_queues_are_quorum_with_an_explicit_delivery_limit_and_at_least_once_dead_lettering() -> None:
    args = queue_arguments("allowance_registry", 5)
    assert args["x-queue-type"] == "quorum"
    assert args["x-delivery-limit"] == 5
    assert args["x-dead-letter-exchange"] == "ccer.events.dlx"
    assert args["x-dead-letter-strategy"] == "at-least-once"
    assert args["x-overflow"] == "reject-publish"
