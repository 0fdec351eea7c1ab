"""The event topology, as data: declared at start by every service, written out as
RabbitMQ definitions for operators (deploy/rabbitmq/definitions.json)."""

from __future__ import annotations

from typing import Any

from shared.events.contracts import EVENT_TYPES, consumers_of
from shared.settings import SERVICES

__all__ = ["DLX", "EXCHANGE", "bindings_for", "definitions", "dlq_name", "queue_arguments", "queue_name"]

EXCHANGE = "ccer.events"
DLX = "ccer.events.dlx"


def queue_name(service: str) -> str:
    return f"{service}.events"


def dlq_name(service: str) -> str:
    return f"{service}.events.dlq"


def bindings_for(service: str) -> list[str]:
    """The routing keys ``service``'s queue is bound to: each event class that names it a consumer."""
    return sorted(key for key in EVENT_TYPES if service in consumers_of(key))


def consuming_services() -> list[str]:
    return [s for s in SERVICES if bindings_for(s)]


def queue_arguments(service: str, delivery_limit: int) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        # RabbitMQ before 4.0 has no default limit: a poison message would loop for ever.
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DLX,
        "x-dead-letter-routing-key": dlq_name(service),
        # At-least-once dead-lettering needs reject-publish overflow; nothing is dropped on the way to the DLQ.
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


DLQ_ARGUMENTS: dict[str, Any] = {"x-queue-type": "quorum"}


def _password_hash(password: str, salt: bytes = b"ccer") -> str:
    """RabbitMQ's rabbit_password_hashing_sha256 format: base64(salt + sha256(salt + password))."""
    import base64
    import hashlib

    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(
    vhost: str = "/", delivery_limit: int = 5, user: str = "guest", password: str = "guest"
) -> dict[str, Any]:
    queues, bindings = [], []
    for service in consuming_services():
        queues.append(
            {
                "name": queue_name(service),
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": queue_arguments(service, delivery_limit),
            }
        )
        queues.append(
            {
                "name": dlq_name(service),
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": DLQ_ARGUMENTS,
            }
        )
        for key in bindings_for(service):
            bindings.append(
                {
                    "source": EXCHANGE,
                    "vhost": vhost,
                    "destination": queue_name(service),
                    "destination_type": "queue",
                    "routing_key": key,
                    "arguments": {},
                }
            )
        bindings.append(
            {
                "source": DLX,
                "vhost": vhost,
                "destination": dlq_name(service),
                "destination_type": "queue",
                "routing_key": dlq_name(service),
                "arguments": {},
            }
        )
    return {
        "rabbit_version": "3.10.8",
        # Loading definitions at boot skips RabbitMQ's default user, so the file carries one.
        "users": [
            {
                "name": user,
                "password_hash": _password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": ["administrator"],
            }
        ],
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}],
        "exchanges": [
            {
                "name": EXCHANGE,
                "vhost": vhost,
                "type": "topic",
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            },
            {
                "name": DLX,
                "vhost": vhost,
                "type": "direct",
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            },
        ],
        "queues": queues,
        "bindings": bindings,
    }
