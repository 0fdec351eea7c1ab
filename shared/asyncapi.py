"""AsyncAPI 3.0 for the events, generated from the event catalogue (``shared.events.contracts``) and
the topology (``shared.messaging.topology``): the machine-readable contract integration teams read.

One channel per routing key on the ``ccer.events`` topic exchange, with its AMQP binding (the exchange,
and for each consuming service its quorum queue, delivery limit, dead-letter exchange and DLQ); one
message per event class (the envelope, its AMQP properties and headers, the payload's JSON Schema);
one ``send`` operation by the producing service and one ``receive`` operation per consuming service.
``ccer asyncapi`` writes it to docs/asyncapi.yaml; each service serves its own part at
``GET /asyncapi.json``.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from shared.events.contracts import EVENTS, Event
from shared.events.envelope import Envelope
from shared.messaging.topology import DLQ_ARGUMENTS, DLX, EXCHANGE, dlq_name, queue_arguments, queue_name
from shared.settings import SERVICES

__all__ = ["ASYNCAPI_VERSION", "document", "document_for", "to_yaml"]

ASYNCAPI_VERSION = "3.0.0"
BINDING_VERSION = "0.3.0"
SCHEMAS = "#/components/schemas/"
DEFAULT_DELIVERY_LIMIT = 5

DESCRIPTION = """\
Events between the four registries of the CCER offset simulator. Every event is a JSON envelope
published persistently, with publisher confirms and the mandatory flag, to the topic exchange
`ccer.events` under its routing key (the envelope's `event_type`). Each consuming service has one
quorum queue (`<service>.events`) bound to exactly the routing keys it handles; a message its
handler refuses, or that keeps failing up to the queue's delivery limit, is dead-lettered through
`ccer.events.dlx` to `<service>.events.dlq`. Consumers are idempotent by `event_id` (an inbox), and
events of one aggregate (the payload field named by `x-aggregate`) are applied in delivery order.

AMQP message properties: `message_id` = `event_id`, `type` = the routing key, `content_type` =
`application/json`, `delivery_mode` = 2 (persistent), `timestamp` = `occurred_at`.

An optional payload field may be added within a version; any other change is a new
`schema_version` of the same routing key, sent beside the old one for a release.
"""


def _ref(path: str) -> dict[str, str]:
    return {"$ref": path}


def _asyncapi_schema(node: Any) -> Any:
    """Pydantic's JSON Schema (2020-12) as the AsyncAPI Schema Object accepts it: a discriminator is the
    property's name (not an OpenAPI discriminator object), tuples use draft-07 ``items`` arrays."""
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _asyncapi_schema(value) for key, value in node.items()}
    discriminator = out.get("discriminator")
    if isinstance(discriminator, dict):
        out["discriminator"] = discriminator["propertyName"]
    if "prefixItems" in out:
        out["items"] = out.pop("prefixItems")
        out["additionalItems"] = False
    return out


def _add_schema(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in schemas and schemas[name] != schema:
        raise ValueError(f"two different schemas are both called {name!r}")
    schemas[name] = schema


def _payload_schemas(event: type[Event], schemas: dict[str, Any]) -> None:
    """The payload's schema and those it refers to, under components/schemas (no ``$defs``)."""
    schema = event.model_json_schema(ref_template=SCHEMAS + "{model}")
    for name, sub in schema.pop("$defs", {}).items():
        _add_schema(schemas, name, _asyncapi_schema(sub))
    _add_schema(schemas, event.__name__, _asyncapi_schema(schema))


def _envelope_schema(event: type[Event]) -> dict[str, Any]:
    schema = _asyncapi_schema(Envelope.model_json_schema())
    schema["title"] = f"{event.__name__} envelope"
    props = schema["properties"]
    props["event_type"] = {"type": "string", "const": event.routing_key, "description": "The routing key."}
    props["schema_version"] = {"type": "integer", "const": event.version}
    props["producer"] = {"type": "string", "const": event.producer(), "description": "The sending service."}
    props["correlation_id"]["description"] = "The business process the event belongs to (e.g. a lot id)."
    props["causation_id"]["description"] = "The event whose handling sent this one, if any."
    props["payload"] = _ref(SCHEMAS + event.__name__)
    schema["required"] = sorted(set(schema.get("required", [])) | {"schema_version", "payload"})
    return schema


def _message_id(event: type[Event]) -> str:
    return event.__name__


def _channel_id(event: type[Event]) -> str:
    return event.routing_key


def _queue(service: str, delivery_limit: int) -> dict[str, Any]:
    return {
        "name": queue_name(service),
        "service": service,
        "durable": True,
        "exclusive": False,
        "autoDelete": False,
        "arguments": queue_arguments(service, delivery_limit),
        "deadLetterQueue": {
            "name": dlq_name(service),
            "exchange": {"name": DLX, "type": "direct", "routingKey": dlq_name(service)},
            "arguments": DLQ_ARGUMENTS,
        },
    }


def _summary(event: type[Event]) -> str:
    doc = (event.__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else event.routing_key


def document(delivery_limit: int = DEFAULT_DELIVERY_LIMIT) -> dict[str, Any]:
    """The whole AsyncAPI document: every event, every service."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for event in EVENTS:
        _payload_schemas(event, schemas)
        envelope_name = f"{event.__name__}Envelope"
        schemas[envelope_name] = _envelope_schema(event)
        message_id = _message_id(event)
        messages[message_id] = {
            "name": event.routing_key,
            "title": f"{event.routing_key} v{event.version}",
            "summary": _summary(event),
            "contentType": "application/json",
            "headers": _ref(SCHEMAS + "AmqpHeaders"),
            "payload": _ref(SCHEMAS + envelope_name),
            "correlationId": _ref("#/components/correlationIds/correlationId"),
            "bindings": {"amqp": {"messageType": event.routing_key, "bindingVersion": BINDING_VERSION}},
            "x-schema-version": event.version,
            "x-aggregate": event.aggregate,
        }
        channel_id = _channel_id(event)
        channel = channels.setdefault(
            channel_id,
            {
                "address": event.routing_key,
                "title": event.routing_key,
                "description": (
                    f"Sent by {event.producer()}; received by {', '.join(event.consumers)} "
                    f"(queue{'s' if len(event.consumers) > 1 else ''} "
                    f"{', '.join(queue_name(s) for s in event.consumers)})."
                ),
                "messages": {},
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": EXCHANGE,
                            "type": "topic",
                            "durable": True,
                            "autoDelete": False,
                            "vhost": "/",
                        },
                        "x-queues": [_queue(s, delivery_limit) for s in event.consumers],
                        "bindingVersion": BINDING_VERSION,
                    }
                },
            },
        )
        channel["messages"][message_id] = _ref(f"#/components/messages/{message_id}")
        in_channel = _ref(f"#/channels/{channel_id}/messages/{message_id}")
        operations[f"{event.producer()}.send.{event.__name__}"] = {
            "action": "send",
            "channel": _ref(f"#/channels/{channel_id}"),
            "title": f"{event.producer()} sends {event.routing_key}",
            "summary": f"Published to {EXCHANGE} with routing key {event.routing_key}, from the outbox.",
            "tags": [{"name": event.producer()}],
            "messages": [in_channel],
            "bindings": {
                "amqp": {"deliveryMode": 2, "mandatory": True, "timestamp": True, "bindingVersion": BINDING_VERSION}
            },
        }
        for service in event.consumers:
            operations[f"{service}.receive.{event.__name__}"] = {
                "action": "receive",
                "channel": _ref(f"#/channels/{channel_id}"),
                "title": f"{service} receives {event.routing_key}",
                "summary": f"Consumed from queue {queue_name(service)}, applied once (inbox), acknowledged after commit.",
                "tags": [{"name": service}],
                "messages": [in_channel],
                "bindings": {"amqp": {"ack": True, "bindingVersion": BINDING_VERSION}},
                "x-queue": queue_name(service),
            }
    schemas["AmqpHeaders"] = {
        "type": "object",
        "description": (
            "AMQP application headers. The publisher sends the W3C traceparent of the request, event or job "
            "that wrote the event (the rest of its metadata is in the AMQP properties and the envelope); "
            "RabbitMQ adds x-delivery-count on a quorum queue's redelivery."
        ),
        "properties": {
            "traceparent": {
                "type": "string",
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "W3C Trace Context of the work that wrote the event; the consumer continues this "
                "trace (absent when the event was written outside any trace).",
            },
            "x-delivery-count": {
                "type": "integer",
                "minimum": 0,
                "description": "Deliveries before this one (set by RabbitMQ); at the delivery limit the message is dead-lettered.",
            },
        },
        "additionalProperties": True,
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:ccer-sim:events",
        "info": {
            "title": "CCER registries simulator — events",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "tags": [{"name": s} for s in SERVICES],
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "RabbitMQ (vhost /); the exchanges and queues are declared by every service at start.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": dict(sorted(schemas.items())),
            "correlationIds": {
                "correlationId": {
                    "description": "The business process an event belongs to, carried from the event that caused it.",
                    "location": "$message.payload#/correlation_id",
                }
            },
        },
    }


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def document_for(service: str, delivery_limit: int = DEFAULT_DELIVERY_LIMIT) -> dict[str, Any]:
    """The part of :func:`document` one service takes part in: the operations it sends and receives,
    their channels, messages and schemas."""
    whole = document(delivery_limit)
    doc = copy.deepcopy(whole)
    doc["info"]["title"] = f"{service} — events sent and received"
    doc["info"]["tags"] = [{"name": service}]
    doc["operations"] = {op_id: op for op_id, op in whole["operations"].items() if op["tags"] == [{"name": service}]}
    channel_ids = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in doc["operations"].values()}
    doc["channels"] = {cid: ch for cid, ch in whole["channels"].items() if cid in channel_ids}
    # Keep the components reachable from what is left.
    components = whole["components"]
    kept: dict[str, dict[str, Any]] = {kind: {} for kind in components}
    pending = _refs(doc["channels"]) | _refs(doc["operations"])
    while pending:
        ref = pending.pop()
        parts = ref.split("/")
        if parts[:2] != ["#", "components"] or parts[3] in kept[parts[2]]:
            continue
        kept[parts[2]][parts[3]] = components[parts[2]][parts[3]]
        pending |= _refs(components[parts[2]][parts[3]])
    doc["components"] = {kind: dict(sorted(items.items())) for kind, items in kept.items()}
    return doc


class _Dumper(yaml.SafeDumper):
    """Writes shared values out in full: no YAML anchors and aliases for readers to chase."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(doc: dict[str, Any]) -> str:
    header = "# Generated by `ccer asyncapi` from shared/events/contracts.py and shared/messaging/topology.py: do not edit.\n"
    return header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
