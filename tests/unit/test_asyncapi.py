"""The AsyncAPI document integration teams read is generated from the event catalogue and the topology:
the committed docs/asyncapi.yaml is the generator's output, each channel carries its AMQP exchange,
queues and dead-lettering, and each service serves its own part at GET /asyncapi.json."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from shared.asyncapi import document, document_for, to_yaml
from shared.clock import Clock
from shared.events.contracts import EVENTS
from shared.messaging.memory import InMemoryBroker
from shared.messaging.topology import bindings_for
from shared.settings import SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
FROZEN = "new_ccer_registry.offset.frozen"


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def walk(node: Any, path: str = "") -> list[tuple[str, str, Any]]:
    """Every (path, key, value) pair of the document."""
    found: list[tuple[str, str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((path, key, value))
            found += walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += walk(value, f"{path}/{i}")
    return found


def test_the_committed_asyncapi_file_is_the_generators_output() -> None:
    on_disk = (ROOT / "docs" / "asyncapi.yaml").read_text()

    assert on_disk == to_yaml(document()), "docs/asyncapi.yaml is stale: run `ccer asyncapi` to regenerate it"


def test_the_offset_frozen_channel_names_its_exchange_its_consumers_queue_and_its_dead_lettering() -> None:
    doc = document()
    channel = doc["channels"][FROZEN]
    amqp = channel["bindings"]["amqp"]

    assert channel["address"] == FROZEN
    assert (amqp["is"], amqp["exchange"]["name"], amqp["exchange"]["type"]) == ("routingKey", "ccer.events", "topic")
    [queue] = amqp["x-queues"]
    assert (queue["name"], queue["service"]) == ("allowance_registry.events", "allowance_registry")
    assert queue["arguments"]["x-queue-type"] == "quorum"
    assert queue["arguments"]["x-delivery-limit"] == 5
    assert queue["arguments"]["x-dead-letter-exchange"] == "ccer.events.dlx"
    assert queue["deadLetterQueue"]["name"] == "allowance_registry.events.dlq"
    sends = [o for o in doc["operations"].values() if o["channel"]["$ref"] == f"#/channels/{FROZEN}"]
    assert sorted((o["action"], o["tags"][0]["name"]) for o in sends) == [
        ("receive", "allowance_registry"),
        ("send", "new_ccer_registry"),
    ]
    message = resolve(doc, resolve(doc, sends[0]["messages"][0]["$ref"])["$ref"])
    envelope = resolve(doc, message["payload"]["$ref"])
    assert envelope["properties"]["event_type"]["const"] == FROZEN
    assert envelope["properties"]["payload"] == {"$ref": "#/components/schemas/OffsetFrozenV1"}
    payload = resolve(doc, envelope["properties"]["payload"]["$ref"])
    assert {"lot_id", "quantity", "serial_ranges", "frozen_at"} <= set(payload["required"])


def test_every_routing_key_has_one_channel_one_sender_and_a_receiver_per_bound_service() -> None:
    doc = document()
    operations = doc["operations"].values()

    assert sorted(doc["channels"]) == sorted(e.routing_key for e in EVENTS)
    for service in SERVICES:
        received = sorted(
            o["channel"]["$ref"].rsplit("/", 1)[1]
            for o in operations
            if o["action"] == "receive" and o["tags"][0]["name"] == service
        )
        assert received == bindings_for(service)
    assert sorted(o["channel"]["$ref"].rsplit("/", 1)[1] for o in operations if o["action"] == "send") == sorted(
        doc["channels"]
    )


def test_schemas_are_in_the_form_asyncapi_accepts_and_every_reference_resolves() -> None:
    doc = document()
    pairs = walk(doc)

    assert [p for p, key, _ in pairs if key in ("$defs", "prefixItems")] == []
    assert [p for p, key, v in pairs if key == "discriminator" and not isinstance(v, str)] == []
    for _, key, value in pairs:
        if key == "$ref":
            assert resolve(doc, value) is not None
    items = doc["components"]["schemas"]["ApplicationSubmittedV1"]["properties"]["items"]["items"]
    assert items["discriminator"] == "kind"


@pytest.mark.parametrize("service", SERVICES)
def test_a_services_part_holds_only_its_own_operations_and_everything_they_refer_to(service: str) -> None:
    doc = document_for(service)

    assert {o["tags"][0]["name"] for o in doc["operations"].values()} == {service}
    sent = {o["channel"]["$ref"] for o in doc["operations"].values() if o["action"] == "send"}
    assert sent == {f"#/channels/{e.routing_key}" for e in EVENTS if e.producer() == service}
    for _, key, value in walk(doc):
        if key == "$ref":
            assert resolve(doc, value) is not None


async def test_each_service_serves_its_part_at_asyncapi_json_without_a_token(tmp_path: Path) -> None:
    bootstrap = importlib.import_module("services.provincial_review.bootstrap").bootstrap
    api = importlib.import_module("services.provincial_review.entrypoints.api").API
    from shared.webapp import create_service_app

    settings = Settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/review.db")
    app = create_service_app(lambda s: bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker()), api, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            served = await http.get("/asyncapi.json")
            openapi = await http.get("/openapi.json")

    assert served.status_code == 200
    body = served.json()
    assert body["asyncapi"] == "3.0.0"
    assert sorted(body["channels"]) == sorted(
        [
            *bindings_for("provincial_review"),
            "provincial_review.application.approved",
            "provincial_review.application.rejected",
        ]
    )
    assert "/asyncapi.json" not in openapi.json()["paths"]


def test_the_yaml_file_parses_back_to_the_document() -> None:
    assert yaml.safe_load(to_yaml(document())) == document()
