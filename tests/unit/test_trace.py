"""The trace command joins the registries' serial histories into one ordered chain."""

from __future__ import annotations

import httpx

from ccer_tools.replay import Endpoints
from ccer_tools.trace import fetch_trace, render_trace

ENDPOINTS = Endpoints(
    urls={
        "legacy_ccer_registry": "http://legacy",
        "new_ccer_registry": "http://new",
        "allowance_registry": "http://allowance",
        "provincial_review": "http://review",
    },
    amqp_url="amqp://unused",
    secret="test-secret",
)

HISTORIES = {
    "legacy": {
        "serial": "VER-1234-2015-7",
        "state": "cancelled",
        "events": [
            {"at": "2024-09-02T10:00:00+08:00", "kind": "issued", "exchange": "HBEX", "recorded_at": "2016-05-01"},
            {"at": "2024-09-20T10:00:00+08:00", "kind": "cancelled", "purpose": "offset_2023"},
        ],
    },
    "new": {
        "serial": "VER-1234-2015-7",
        "state": "cancelled",
        "events": [
            {"at": "2024-10-11T09:00:00+08:00", "kind": "synced_in", "sync_application_id": "SYN-1"},
            {"at": "2024-12-20T10:00:00+08:00", "kind": "cancelled", "registration_id": "REG-1"},
        ],
    },
}


def _registries(request: httpx.Request) -> httpx.Response:
    assert request.headers["authorization"].startswith("Bearer ")
    body = HISTORIES.get(request.url.host)
    known = body is not None and request.url.path == f"/api/v1/serials/{body['serial']}"
    return httpx.Response(200, json=body) if known else httpx.Response(404, json={"code": "NOT_FOUND"})


async def test_the_chain_is_one_timeline_across_registries_and_skips_those_that_never_saw_the_unit() -> None:
    result = await fetch_trace("VER-1234-2015-7", ENDPOINTS, transport=httpx.MockTransport(_registries))

    assert result.found_in == ["legacy_ccer_registry", "new_ccer_registry"]
    assert [(e.registry, e.kind) for e in result.events] == [
        ("legacy_ccer_registry", "issued"),
        ("legacy_ccer_registry", "cancelled"),
        ("new_ccer_registry", "synced_in"),
        ("new_ccer_registry", "cancelled"),
    ]
    text = render_trace(result)
    assert "exchange=HBEX" in text and "purpose=offset_2023" in text and "registration_id=REG-1" in text


async def test_a_serial_no_registry_knows_says_so() -> None:
    result = await fetch_trace("CCER-X-2024-1", ENDPOINTS, transport=httpx.MockTransport(_registries))

    assert result.found_in == [] and result.events == []
    assert "no registry knows this serial" in render_trace(result)
