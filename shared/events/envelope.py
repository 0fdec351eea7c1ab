"""The JSON envelope every event travels in: its identity, type, version, producer, correlation and payload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ValidationError

from shared.events.contracts import payload_model
from shared.timeutil import local

__all__ = ["Envelope", "InvalidEvent", "make_envelope", "parse_event"]


class InvalidEvent(Exception):
    """A message that does not validate against its contract: it belongs in the DLQ."""


class Envelope(BaseModel):
    event_id: uuid.UUID
    event_type: str
    schema_version: int = 1
    occurred_at: AwareDatetime
    producer: str
    correlation_id: str
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]


def make_envelope(
    event_type: str,
    payload: BaseModel,
    *,
    occurred_at: datetime,
    correlation_id: str,
    causation_id: uuid.UUID | None = None,
    schema_version: int = 1,
) -> Envelope:
    model = payload_model(event_type, schema_version)
    checked = model.model_validate(payload.model_dump(mode="json"))
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=schema_version,
        occurred_at=local(occurred_at),
        producer=event_type.split(".", 1)[0],
        correlation_id=correlation_id,
        causation_id=causation_id,
        payload=checked.model_dump(mode="json"),
    )


def parse_event(body: bytes) -> tuple[Envelope, BaseModel]:
    """Envelope and typed payload, or :class:`InvalidEvent` with the reason."""
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidEvent(f"envelope does not validate: {exc}") from exc
    try:
        model = payload_model(envelope.event_type, envelope.schema_version)
    except KeyError as exc:
        raise InvalidEvent(str(exc)) from exc
    try:
        return envelope, model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise InvalidEvent(
            f"{envelope.event_type} v{envelope.schema_version} payload does not validate: {exc}"
        ) from exc
