"""Event envelope and the event catalogue: one versioned payload class per event type."""

from shared.events.contracts import EVENT_TYPES, EVENTS, PAYLOADS, Event, payload_model
from shared.events.envelope import Envelope, InvalidEvent, make_envelope, parse_event

__all__ = [
    "EVENTS",
    "EVENT_TYPES",
    "PAYLOADS",
    "Envelope",
    "Event",
    "InvalidEvent",
    "make_envelope",
    "parse_event",
    "payload_model",
]
