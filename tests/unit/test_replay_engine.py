"""The replay engine and the scenario format against a fake stack (httpx MockTransport, a fake bus):
what it sends, when it waits, what it reports, and where it stops."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from ccer_tools.replay import Endpoints, Replayer, ScenarioError, parse_scenario
from shared.settings import SERVICES

ENDPOINTS = Endpoints(urls={s: f"http://{s}" for s in SERVICES}, amqp_url="amqp://unused", secret="test-secret")
USCC = "91110000MA01JNRC0Q"


class FakeStack:
    """Four services answering the admin endpoints, and a tiny 'lots' resource on the new registry."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, Any]] = []
        self.lots: dict[str, dict[str, Any]] = {}
        self.outbox_busy_polls = 0  # how many outbox reads still show pending work
        self.published = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        service, path, method = request.url.host, request.url.path, request.method
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        self.calls.append((method, service, path, body))
        if path == "/readyz":
            return httpx.Response(200, json={"status": "ready"})
        if path == "/metrics":
            published = self.published if service == "new_ccer_registry" else 0
            return httpx.Response(200, text=f'ccer_events_published_total{{event_type="x"}} {published}.0\n')
        if path == "/api/v1/admin/reset":
            self.lots.clear()
            return httpx.Response(200, json={"status": "reset"})
        if path == "/api/v1/admin/clock":
            return httpx.Response(
                200, json={"now": body["now"], "jobs_run": 1 if service == "allowance_registry" else 0}
            )
        if path == "/api/v1/admin/outbox":
            if self.outbox_busy_polls:
                self.outbox_busy_polls -= 1
                return httpx.Response(200, json={"pending": 1, "in_flight": 0})
            return httpx.Response(200, json={"pending": 0, "in_flight": 0})
        if service == "new_ccer_registry" and path == "/api/v1/offset-lots" and method == "POST":
            if body["quantity"] > 100:
                return httpx.Response(
                    422,
                    json={"code": "VALIDATION_FAILED", "errors": [{"code": "INSUFFICIENT_UNITS"}, {"code": "OTHER"}]},
                )
            lot = {"lot_id": f"LOT-{len(self.lots) + 1}", "quantity": body["quantity"], "status": "frozen"}
            self.lots[lot["lot_id"]] = lot
            self.outbox_busy_polls = 3
            self.published += 1
            return httpx.Response(201, json=lot)
        if service == "new_ccer_registry" and path.startswith("/api/v1/offset-lots/"):
            found = self.lots.get(path.rsplit("/", 1)[1])
            return httpx.Response(200, json=found) if found else httpx.Response(404, json={"code": "NOT_FOUND"})
        return httpx.Response(404, json={"code": "NOT_FOUND"})


class FakeBus:
    def __init__(self, dead: int = 0) -> None:
        self.dead = dead
        self.purges = 0

    async def depths(self) -> dict[str, int | None]:
        return {"allowance_registry.events": 0, "allowance_registry.events.dlq": self.dead}

    async def purge(self) -> int:
        self.purges += 1
        return 0

    async def close(self) -> None:
        pass


def scenario(*steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "lots",
        "description": "a fake cycle",
        "vars": {"uscc": USCC},
        "actors": {"plant": {"role": "enterprise", "org": "${uscc}"}, "ncsc": {"role": "ncsc_operator"}},
        "steps": list(steps),
        **extra,
    }


FREEZE = {
    "step": "The plant freezes 30 units",
    "at": "2025-06-02T10:00:00+08:00",
    "as": "plant",
    "service": "new",
    "post": "/api/v1/offset-lots",
    "body": {"quantity": 30},
    "expect_status": 201,
    "save": {"lot": "$.lot_id"},
    "expect": [{"that": "the lot is frozen", "get": "/api/v1/offset-lots/${lot}", "match": {"status": "frozen"}}],
}


async def replay(document: dict[str, Any], stack: FakeStack, bus: FakeBus | None = None) -> tuple[Any, str]:
    out = io.StringIO()
    http = httpx.AsyncClient(transport=httpx.MockTransport(stack.handler))
    async with Replayer(ENDPOINTS, out=out, http=http, bus=bus or FakeBus(), poll_seconds=0, quiet_timeout=5) as r:
        result = await r.run(parse_scenario(document))
    return result, out.getvalue()


async def test_a_passing_replay_resets_moves_every_clock_and_reports_each_step() -> None:
    stack, bus = FakeStack(), FakeBus()
    result, report = await replay(scenario(FREEZE), stack, bus)

    assert result.ok, report
    assert [c[1] for c in stack.calls if c[2] == "/api/v1/admin/reset"] == list(SERVICES)
    assert bus.purges == 2  # before and after the resets
    clock_moves = [c for c in stack.calls if c[2] == "/api/v1/admin/clock"]
    assert [c[1] for c in clock_moves] == list(SERVICES)
    assert all(c[3] == {"now": "2025-06-02T10:00:00+08:00"} for c in clock_moves)
    assert "✓  1 The plant freezes 30 units" in report
    assert "POST new_ccer_registry /api/v1/offset-lots → 201" in report
    assert "✓ the lot is frozen" in report
    assert result.events_published == 1 and result.jobs_run == 1 and result.checks == 1
    assert report.rstrip().splitlines()[-1].startswith("✓ lots: 1 steps, 1 checks, 1 events published")


async def test_an_expectation_waits_until_the_outboxes_are_empty() -> None:
    stack = FakeStack()
    result, _ = await replay(scenario(FREEZE), stack)

    assert result.ok
    get_lot = next(i for i, c in enumerate(stack.calls) if c[2].startswith("/api/v1/offset-lots/"))
    freeze = next(i for i, c in enumerate(stack.calls) if c[2] == "/api/v1/offset-lots")
    outbox_reads = [c for c in stack.calls[freeze:get_lot] if c[2] == "/api/v1/admin/outbox"]
    # Three busy polls, then two calm rounds of all four services.
    assert len(outbox_reads) >= 3 + 2 * len(SERVICES)


async def test_the_first_unmet_expectation_stops_the_replay_with_what_was_expected_and_seen() -> None:
    wrong = {
        **FREEZE,
        "expect": [
            {
                "that": "the lot is settled",
                "get": "/api/v1/offset-lots/${lot}",
                "match": {"status": "settled", "quantity": 30},
            }
        ],
    }
    never = {
        "step": "never runs",
        "as": "plant",
        "service": "new",
        "post": "/api/v1/offset-lots",
        "body": {"quantity": 1},
    }
    stack = FakeStack()
    result, report = await replay(scenario(wrong, never), stack)

    assert not result.ok and result.failed_step == 1
    assert "✗  1 The plant freezes 30 units" in report
    assert "✗ the lot is settled" in report
    assert "GET new_ccer_registry /api/v1/offset-lots/LOT-1 → 200" in report
    assert '$.status: expected "settled", saw "frozen"' in report
    assert '"status": "frozen"' in report  # the body seen
    assert "never runs" not in report
    assert sum(1 for c in stack.calls if c[2] == "/api/v1/offset-lots") == 1
    assert report.rstrip().splitlines()[-1].startswith("✗ lots: failed at step 1 of 2")


async def test_a_value_an_expectation_cannot_save_is_reported_with_the_path() -> None:
    unsavable = {
        **FREEZE,
        "expect": [
            {
                "that": "the lot is frozen",
                "get": "/api/v1/offset-lots/${lot}",
                "match": {"status": "frozen"},
                "save": {"missing": "$.no_such_field"},
            }
        ],
    }
    result, report = await replay(scenario(unsavable), FakeStack())

    assert not result.ok
    assert "✗ the lot is frozen" in report
    assert "• save missing:" in report and "no_such_field" in report


async def test_a_refusal_is_checked_against_exactly_its_problem_codes() -> None:
    refused = {
        "step": "too much",
        "as": "plant",
        "service": "new",
        "post": "/api/v1/offset-lots",
        "body": {"quantity": 1000},
        "expect_status": 422,
        "expect_codes": ["INSUFFICIENT_UNITS", "OTHER"],
    }
    result, report = await replay(scenario(refused), FakeStack())
    assert result.ok, report

    partial = {**refused, "expect_codes": ["INSUFFICIENT_UNITS"]}
    result, report = await replay(scenario(partial), FakeStack())
    assert not result.ok
    assert "expected problem codes ['INSUFFICIENT_UNITS'], saw ['INSUFFICIENT_UNITS', 'OTHER']" in report


async def test_an_unexpected_status_shows_the_problem_codes() -> None:
    refused = {
        "step": "too much",
        "as": "plant",
        "service": "new",
        "post": "/api/v1/offset-lots",
        "body": {"quantity": 1000},
    }
    result, report = await replay(scenario(refused), FakeStack())
    assert not result.ok
    assert "expected a 2xx status, saw 422 (INSUFFICIENT_UNITS, OTHER)" in report


async def test_a_dead_lettered_event_fails_the_replay() -> None:
    result, report = await replay(scenario(FREEZE), FakeStack(), FakeBus(dead=1))
    assert not result.ok
    assert "dead-lettered into allowance_registry.events.dlq" in report


# -------------------------------------------------------------------------------------------- format


def test_a_scenario_reads_back_with_inherited_actor_and_service() -> None:
    parsed = parse_scenario(scenario(FREEZE))
    step = parsed.steps[0]
    assert step.call is not None and step.call.service == "new_ccer_registry" and step.call.method == "post"
    assert step.expect[0].call is not None
    assert (step.expect[0].call.actor, step.expect[0].call.service) == ("plant", "new_ccer_registry")
    assert parsed.actors["plant"].sub == "plant"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({**FREEZE, "bodyy": {}}, "unknown key(s) bodyy"),
        ({**FREEZE, "as": "nobody"}, "unknown actor 'nobody'"),
        ({**FREEZE, "service": "ledger"}, "unknown service 'ledger'"),
        ({**FREEZE, "post": "/api/v1/offset-lots/${lot0}"}, "uses ${lot0} before any vars/save defines it"),
        ({**FREEZE, "at": "2025-06-02T10:00:00"}, "needs a UTC offset"),
        ({"step": "nothing to do"}, "a step needs a request"),
        (
            {**FREEZE, "expect": [{"that": "books agree", "reconcile": True, "get": "/x"}]},
            "reconcile: true stands alone",
        ),
    ],
)
def test_mistakes_in_a_scenario_are_reported_with_their_place(step: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match="step 1") as caught:
        parse_scenario(scenario(step))
    assert message in str(caught.value)


def test_a_reconciliation_check_reads_back_as_one() -> None:
    parsed = parse_scenario(scenario({**FREEZE, "expect": [{"that": "the registries reconcile", "reconcile": True}]}))
    check = parsed.steps[0].expect[0]
    assert check.reconcile and check.call is None and check.serials is None


def test_the_clock_may_not_move_backwards_between_steps() -> None:
    earlier = {**FREEZE, "at": "2025-01-01T00:00:00+08:00", "save": {}, "expect": []}
    with pytest.raises(ScenarioError, match="the clock only moves forward"):
        parse_scenario(scenario(FREEZE, earlier))


def test_the_repository_scenarios_parse() -> None:
    from pathlib import Path

    from ccer_tools.replay import load_scenario

    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "scenarios").glob("*.yaml")) + sorted((root / "tests" / "e2e" / "scenarios").glob("*.yaml"))
    assert len(files) >= 3
    for path in files:
        parsed = load_scenario(path)
        assert parsed.steps, path


def test_bodies_in_the_report_keep_short_values_on_one_line() -> None:
    from ccer_tools.replay.report import render_body

    text = render_body({"items": [{"lot_id": "L1", "serial_ranges": [["CCER-P1-2024-1", "CCER-P1-2024-30000"]]}]})
    assert text == '{"items": [{"lot_id": "L1", "serial_ranges": [["CCER-P1-2024-1", "CCER-P1-2024-30000"]]}]}'
    long = render_body({"rows": [{"n": i, "text": "x" * 30} for i in range(100)]}, max_lines=5)
    assert long.splitlines()[-1].startswith("… (")
