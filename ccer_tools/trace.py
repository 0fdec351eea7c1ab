"""``ccer trace <serial>``: one CCER unit's path across the registries, joined from each registry's
``GET /api/v1/serials/{serial}`` (api.md "serials").

For a legacy unit the chain runs: legacy issuance (exchange, record date) → trades and transfers →
voluntary cancellation (purpose) → sync application sent on NCSC's approval → received by the new
registry (or refused there) and counted synced → confirmation in the new registry → offset lot → pending offset, application and offset registration in the allowance
registry → cancellation in the new registry. A new-registry unit starts at its issuance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from ccer_tools.replay.engine import Endpoints
from shared.auth import mint_token

__all__ = ["TraceEvent", "TraceResult", "fetch_trace", "render_trace"]

# Who asks each registry: a role its serials endpoint admits and that sees every holder.
READERS = {
    "legacy_ccer_registry": "ncsc_operator",
    "new_ccer_registry": "ncsc_operator",
    "allowance_registry": "registry_initiator",
}
ORDER = tuple(READERS)
# The chain of seed 000 §一, step by step: at one simulated instant (the clock stands still during a
# step) cause comes before effect — a registration in the allowance registry before the
# cancellation it causes in the new registry, a recall before the release.
STAGES: tuple[tuple[str, str], ...] = (
    ("legacy_ccer_registry", "issuance"),
    ("new_ccer_registry", "issuance"),
    ("legacy_ccer_registry", "trade"),
    ("new_ccer_registry", "trade"),
    ("legacy_ccer_registry", "transfer"),
    ("new_ccer_registry", "transfer"),
    ("legacy_ccer_registry", "cancellation"),
    # NCSC's approval is a request: sent, then refused, or received by the new registry and synced.
    ("legacy_ccer_registry", "sync_sent"),
    ("legacy_ccer_registry", "sync_refused"),
    ("new_ccer_registry", "sync_in"),
    ("legacy_ccer_registry", "sync"),
    ("new_ccer_registry", "confirmation"),
    ("new_ccer_registry", "frozen"),
    ("allowance_registry", "pending_offset"),
    ("allowance_registry", "reserved"),
    ("allowance_registry", "released"),
    ("allowance_registry", "registered"),
    ("new_ccer_registry", "cancellation"),
    ("allowance_registry", "recalled"),
    ("new_ccer_registry", "release"),
)


def _stage(event: TraceEvent) -> int:
    try:
        return STAGES.index((event.registry, event.kind))
    except ValueError:
        return len(STAGES) + ORDER.index(event.registry)


@dataclass(frozen=True)
class TraceEvent:
    at: datetime
    registry: str
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class TraceResult:
    serial: str
    found_in: list[str]
    events: list[TraceEvent]
    summaries: dict[str, dict[str, Any]]


def _events_of(registry: str, body: dict[str, Any]) -> list[TraceEvent]:
    out = []
    for raw in body.get("events") or body.get("history") or []:
        detail = {k: v for k, v in raw.items() if k not in ("at", "kind") and v not in (None, [], {})}
        out.append(TraceEvent(datetime.fromisoformat(str(raw["at"])), registry, str(raw.get("kind", "?")), detail))
    return out


async def fetch_trace(
    serial: str, endpoints: Endpoints, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
) -> TraceResult:
    """Ask every registry that keeps serials about ``serial``; a 404 means it never passed there."""
    events: list[TraceEvent] = []
    found, summaries = [], {}
    async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
        for registry in ORDER:
            token = mint_token(endpoints.secret, READERS[registry], sub="ccer-trace")
            answer = await client.get(
                f"{endpoints.urls[registry]}/api/v1/serials/{serial}", headers={"Authorization": f"Bearer {token}"}
            )
            if answer.status_code == 404:
                continue
            answer.raise_for_status()
            body = answer.json()
            found.append(registry)
            summaries[registry] = {k: v for k, v in body.items() if k not in ("events", "history")}
            events += _events_of(registry, body)
    # One timeline; at equal instants, the order of the chain.
    events.sort(key=lambda e: (e.at, _stage(e)))
    return TraceResult(serial, found, events, summaries)


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def render_trace(result: TraceResult) -> str:
    """The chain as plain text, one line per step."""
    if not result.found_in:
        return f"{result.serial}: no registry knows this serial"
    lines = [f"Trace of {result.serial} — 序列号追溯 (found in: {', '.join(result.found_in)})"]
    for i, event in enumerate(result.events, 1):
        detail = "; ".join(f"{k}={_value(v)}" for k, v in event.detail.items())
        lines.append(
            f"{i:>3}. {event.at.isoformat(timespec='seconds')}  {event.registry:<21} {event.kind:<24} {detail}"
        )
    for registry, summary in result.summaries.items():
        state = summary.get("state")
        if state:
            lines.append(f"     now in {registry}: {state}")
    return "\n".join(lines)
