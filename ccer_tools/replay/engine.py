"""Replays a scenario against the running stack over REST and RabbitMQ.

Before the first step it resets all four services (``POST /api/v1/admin/reset``) and purges their
queues. Each ``at`` moves the clock of all four services forward (``PUT /api/v1/admin/clock``). Before
every request and every expectation that follows a change (a POST/PUT/DELETE or a clock move), it waits
until the system is quiet: every outbox empty with nothing in flight in a consumer, and every
``<service>.events`` queue empty, twice in a row. A message that lands in a dead-letter queue fails the
replay at once: an event the system could not handle is never a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TextIO

import httpx

from ccer_tools.reconcile import RegistryUnavailable, reconcile
from ccer_tools.replay.matching import (
    ExtractError,
    UnboundVariable,
    extract,
    match,
    problem_codes,
    serial_problems,
    substitute,
)
from ccer_tools.replay.report import Failure, ReplayResult, Report
from ccer_tools.replay.scenario import Call, Check, Scenario, Step
from shared.auth import mint_token
from shared.messaging.topology import consuming_services, dlq_name, queue_name
from shared.settings import SERVICES, Settings

__all__ = ["AmqpBus", "Bus", "Endpoints", "Replayer", "replay_scenarios"]

ADMIN = "/api/v1/admin"


class Bus(Protocol):
    """The broker as the replay sees it: queue depths, and purging before a run."""

    async def depths(self) -> dict[str, int | None]:
        """Ready messages per queue (``<service>.events`` and its DLQ); None for a queue that does not exist."""
        ...

    async def purge(self) -> int:
        """Drop every ready message of those queues; returns how many were dropped."""
        ...

    async def close(self) -> None: ...


class AmqpBus:
    """Passive declarations on the stack's vhost: they read a queue's depth without changing it."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.queues = [q for s in consuming_services() for q in (queue_name(s), dlq_name(s))]
        self._connection: Any = None
        self._channel: Any = None

    async def _chan(self) -> Any:
        import aio_pika

        if self._connection is None or self._connection.is_closed:
            self._connection = await aio_pika.connect(self.amqp_url)
            self._channel = None
        if self._channel is None or self._channel.is_closed:
            self._channel = await self._connection.channel()
        return self._channel

    async def _each(self, purge: bool) -> dict[str, int | None]:
        import aiormq

        found: dict[str, int | None] = {}
        for name in self.queues:
            channel = await self._chan()
            try:
                queue = await channel.declare_queue(name, passive=True)
            except (aiormq.exceptions.ChannelNotFoundEntity, aiormq.exceptions.ChannelClosed):
                # A passive declaration of a missing queue closes the channel; the next one reopens it.
                found[name] = None
                continue
            if purge:
                answer = await queue.purge()
                found[name] = int(getattr(answer, "message_count", 0) or 0)
            else:
                found[name] = int(queue.declaration_result.message_count or 0)
        return found

    async def depths(self) -> dict[str, int | None]:
        return await self._each(purge=False)

    async def purge(self) -> int:
        return sum(n or 0 for n in (await self._each(purge=True)).values())

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()


@dataclass(frozen=True)
class Endpoints:
    """Where the four services and the broker are, and the secret tokens are signed with."""

    urls: dict[str, str]
    amqp_url: str
    secret: str

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        base_url_template: str = "http://{host}:{port}",
        amqp_url: str | None = None,
    ) -> Endpoints:
        settings = settings or Settings()
        urls = {
            name: base_url_template.format(host=settings.host, port=settings.port(name), service=name).rstrip("/")
            for name in SERVICES
        }
        return cls(urls=urls, amqp_url=amqp_url or settings.amqp_url, secret=settings.secret)


class _Stop(Exception):
    """The first unmet expectation: stops the replay."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.what)
        self.failure = failure
        self.reported = False


@dataclass
class _Answer:
    status: int | None
    body: Any
    millis: float
    request: str

    @property
    def line(self) -> str:
        return f"{self.request} → {self.status}"


_METRIC = re.compile(r"^(ccer_events_(?:published|consumed)_total)\{[^}]*\}\s+([0-9.eE+-]+)$", re.M)


class Replayer:
    """Replays scenarios one after the other against one running stack."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        quiet_timeout: float = 60.0,
        out: TextIO | None = None,
        http: httpx.AsyncClient | None = None,
        bus: Bus | None = None,
        poll_seconds: float = 0.05,
        request_timeout: float = 120.0,
    ) -> None:
        self.endpoints = endpoints
        self.quiet_timeout = quiet_timeout
        self.report = Report(out or sys.stdout)
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends: a connection the server
        # is closing is never reused (that fails the request with a ReadError).
        self.http = http or httpx.AsyncClient(timeout=request_timeout, limits=httpx.Limits(keepalive_expiry=2.0))
        self.bus: Bus = bus or AmqpBus(endpoints.amqp_url)
        self.poll_seconds = poll_seconds
        self.admin = {"Authorization": f"Bearer {mint_token(endpoints.secret, 'sim_admin', sub='scenario-replay')}"}
        # State of the scenario being replayed (set afresh by run()).
        self.variables: dict[str, Any] = {}
        self.clock: datetime | None = None
        self.dirty = True
        self.result = ReplayResult(name="", source="", ok=False, steps_total=0)

    async def close(self) -> None:
        await self.http.aclose()
        await self.bus.close()

    async def __aenter__(self) -> Replayer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------------------------------- run

    async def run(self, scenario: Scenario) -> ReplayResult:
        started = time.perf_counter()
        result = ReplayResult(name=scenario.name, source=scenario.source, ok=False, steps_total=len(scenario.steps))
        self.report.start(scenario.name, scenario.source, scenario.description)
        self.variables = dict(scenario.vars)
        self.clock = None
        self.dirty = True
        self.result = result
        before: dict[str, int] | None = None
        step: Step | None = None
        try:
            tokens = self._tokens(scenario)
            try:
                await self._ready()
                before = await self._event_counts()
                await self._reset()
            except (httpx.HTTPError, OSError, ConnectionError) as exc:
                raise _Stop(Failure(f"cannot reach the stack: {type(exc).__name__}: {exc}")) from exc
            active: list[Check] = []
            for step in scenario.steps:
                active += [inv for inv in scenario.invariants if inv.starts_at(step)]
                await self._step(step, tokens, active)
                result.steps_done += 1
            result.ok = True
        except _Stop as stop:
            result.failure = stop.failure
            result.failed_step = step.number if step else None
            if not stop.reported:
                for text in stop.failure.lines():
                    self.report.line(f"  {text}")
        finally:
            with contextlib.suppress(Exception):
                if before is not None:
                    after = await self._event_counts()
                    result.events_published = after["published"] - before["published"]
                    result.events_consumed = after["consumed"] - before["consumed"]
            result.wall_seconds = time.perf_counter() - started
            self.report.end(result)
        return result

    def _tokens(self, scenario: Scenario) -> dict[str, str]:
        tokens = {}
        for actor in scenario.actors.values():
            try:
                claims = {
                    k: substitute(getattr(actor, k), self.variables) for k in ("sub", "org", "province", "exchange")
                }
                tokens[actor.name] = mint_token(self.endpoints.secret, actor.role, **claims)
            except (ValueError, UnboundVariable) as exc:
                raise _Stop(Failure(f"actor {actor.name}: cannot mint a token: {exc}")) from exc
        return tokens

    async def _step(self, step: Step, tokens: dict[str, str], invariants: list[Check]) -> None:
        t0 = time.perf_counter()
        answer: _Answer | None = None
        checked: list[str] = []
        failure: Failure | None = None
        failed_check: str | None = None
        extra = ""
        try:
            if step.at is not None and step.at != self.clock:
                jobs = await self._set_clock(step.at)
                extra = f"clock moved, {jobs} job(s) run" if jobs else "clock moved"
            if step.call is not None:
                answer = await self._request(step.call, tokens)
                problems = self._verify(step.call, answer)
                if problems:
                    raise _Stop(Failure(step.title, answer.line, problems, self._expected(step.call), answer.body))
                self._save(step.call, answer)
            for check in step.expect:
                failed_check = check.that
                await self._check(check, tokens)
                checked.append(check.that)
            for inv in invariants:
                failed_check = f"invariant: {inv.that}"
                await self._check(inv, tokens)
            failed_check = None
            if invariants:
                extra = " · ".join(filter(None, [extra, f"invariants ✓ ({len(invariants)})"]))
        except _Stop as stop:
            failure = stop.failure
            stop.reported = True
            raise
        except Exception as exc:  # a broken connection, an unreadable answer: report it like a failed check
            failure = Failure(f"{type(exc).__name__}: {exc}")
            stopped = _Stop(failure)
            stopped.reported = True
            raise stopped from exc
        finally:
            millis = (time.perf_counter() - t0) * 1000
            self.report.step(
                step.number,
                step.section,
                step.title,
                failure is None,
                at=self.clock,
                actor=step.call.actor if step.call else None,
                request=answer.request if answer else None,
                status=answer.status if answer else None,
                millis=millis,
                extra=extra,
            )
            for that in checked:
                self.report.check(that, True)
            if failure is not None:
                if failed_check is not None:
                    self.report.check(failed_check, False)
                self.report.failure(failure)

    async def _check(self, check: Check, tokens: dict[str, str]) -> None:
        self.result.checks += 1
        if check.reconcile:
            if self.dirty:
                await self._wait_quiet()
            try:
                report = await reconcile(self.endpoints.urls, secret=self.endpoints.secret)
            except RegistryUnavailable as exc:
                raise _Stop(Failure(check.that, "ccer reconcile", [str(exc)])) from exc
            if not report.ok:
                problems = [f"{d.invariant}: {d.message} {d.objects}" for d in report.discrepancies]
                raise _Stop(Failure(check.that, "ccer reconcile", problems, {"discrepancies": []}, report.as_dict()))
            return
        if check.serials is not None:
            s = check.serials
            try:
                accounts = substitute(s.accounts, self.variables)
                issued = {str(k): v for k, v in substitute(s.issued, self.variables).items()}
            except UnboundVariable as exc:
                raise _Stop(Failure(check.that, problems=[str(exc)])) from exc
            rows: list[dict[str, Any]] = []
            for account in accounts:
                call = Call(actor=s.actor, service=s.service, method="get", path=f"/api/v1/accounts/{account}/holdings")
                answer = await self._request(call, tokens)
                if answer.status != 200 or not isinstance(answer.body, dict):
                    raise _Stop(
                        Failure(
                            check.that,
                            answer.line,
                            [f"expected 200 with holdings, saw {answer.status}"],
                            None,
                            answer.body,
                        )
                    )
                rows += answer.body.get("items") or []
            problems = serial_problems(rows, issued)
            if problems:
                raise _Stop(
                    Failure(
                        check.that, f"holdings of {', '.join(map(str, accounts))}", problems, {"issued": issued}, rows
                    )
                )
            return
        assert check.call is not None
        answer = await self._request(check.call, tokens)
        problems = self._verify(check.call, answer)
        if problems:
            raise _Stop(Failure(check.that, answer.line, problems, self._expected(check.call), answer.body))
        self._save(check.call, answer)

    # ------------------------------------------------------------------------------------ requests

    async def _request(self, call: Call, tokens: dict[str, str]) -> _Answer:
        try:
            path = substitute(call.path, self.variables)
            body = substitute(call.body, self.variables)
            headers = {str(k): str(v) for k, v in substitute(call.headers, self.variables).items()}
        except UnboundVariable as exc:
            raise _Stop(Failure(f"{call.describe()}: {exc}")) from exc
        described = f"{call.method.upper()} {call.service} {path}"
        if self.dirty:
            await self._wait_quiet()
        headers["Authorization"] = f"Bearer {tokens[call.actor]}"
        t0 = time.perf_counter()
        try:
            response = await self.http.request(
                call.method.upper(), self.endpoints.urls[call.service] + path, json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise _Stop(Failure(f"{described}: no answer ({type(exc).__name__}: {exc})", described)) from exc
        finally:
            if call.method != "get":
                self.dirty = True
        return _Answer(response.status_code, _body(response), (time.perf_counter() - t0) * 1000, described)

    def _verify(self, call: Call, answer: _Answer) -> list[str]:
        status = answer.status or 0
        if call.expect_status is None and not 200 <= status < 300:
            return [f"expected a 2xx status, saw {status}" + _codes_hint(answer.body)]
        if call.expect_status is not None and status != call.expect_status:
            return [f"expected status {call.expect_status}, saw {status}" + _codes_hint(answer.body)]
        problems = []
        if call.expect_codes is not None:
            seen = problem_codes(answer.body)
            if sorted(set(seen)) != sorted(set(call.expect_codes)):
                problems.append(f"expected problem codes {sorted(set(call.expect_codes))}, saw {sorted(set(seen))}")
        if call.match is not None:
            try:
                expected = substitute(call.match, self.variables)
            except UnboundVariable as exc:
                return [str(exc)]
            problems += [str(m) for m in match(expected, answer.body)]
        return problems

    def _expected(self, call: Call) -> Any:
        expected: dict[str, Any] = {"status": call.expect_status or "2xx"}
        if call.expect_codes is not None:
            expected["codes"] = call.expect_codes
        if call.match is not None:
            with contextlib.suppress(UnboundVariable):
                expected["match"] = substitute(call.match, self.variables)
        return expected

    def _save(self, call: Call, answer: _Answer) -> None:
        for name, path in call.save.items():
            try:
                self.variables[name] = extract(answer.body, path)
            except ExtractError as exc:
                # As a problem line too: under a named check the first line is the check's sentence.
                what = f"save {name}: {exc}"
                raise _Stop(Failure(what, answer.line, [what], seen=answer.body)) from exc

    # ---------------------------------------------------------------------------------- the system

    async def _admin(self, method: str, service: str, path: str, json: Any = None) -> httpx.Response:
        try:
            return await self.http.request(method, self.endpoints.urls[service] + path, json=json, headers=self.admin)
        except httpx.HTTPError as exc:
            raise _Stop(
                Failure(
                    f"{service} at {self.endpoints.urls[service]} does not answer "
                    f"({type(exc).__name__}: {exc}); is the stack running?"
                )
            ) from exc

    async def _ready(self) -> None:
        for service in SERVICES:
            answer = await self._admin("GET", service, "/readyz")
            if answer.status_code != 200:
                raise _Stop(
                    Failure(
                        f"{service} is not ready", f"GET {service} /readyz → {answer.status_code}", seen=_body(answer)
                    )
                )

    async def _reset(self) -> None:
        purged = await self.bus.purge()
        for service in SERVICES:
            answer = await self._admin("POST", service, f"{ADMIN}/reset")
            if answer.status_code != 200:
                raise _Stop(
                    Failure(
                        f"reset of {service} refused",
                        f"POST {service} {ADMIN}/reset → {answer.status_code}",
                        seen=_body(answer),
                    )
                )
        purged += await self.bus.purge()
        self.dirty = True
        await self._wait_quiet()
        self.report.note(f"reset {len(SERVICES)} services, purged {purged} queued message(s)")

    async def _set_clock(self, at: datetime) -> int:
        jobs = 0
        # One service after the other, in SERVICES order: a job run by one (a recall in the allowance
        # registry) is consumed by services whose clocks have already moved.
        for service in SERVICES:
            answer = await self._admin("PUT", service, f"{ADMIN}/clock", {"now": at.isoformat()})
            if answer.status_code != 200:
                raise _Stop(
                    Failure(
                        f"moving the clock of {service} to {at.isoformat()} was refused",
                        f"PUT {service} {ADMIN}/clock → {answer.status_code}",
                        seen=_body(answer),
                    )
                )
            jobs += int((_body(answer) or {}).get("jobs_run") or 0)
        self.clock = at
        self.dirty = True
        self.result.jobs_run += jobs
        return jobs

    async def _busy(self) -> list[str]:
        answers = await asyncio.gather(*(self._admin("GET", s, f"{ADMIN}/outbox") for s in SERVICES))
        busy = []
        for service, answer in zip(SERVICES, answers, strict=True):
            body = _body(answer)
            if answer.status_code != 200 or not isinstance(body, dict):
                busy.append(f"{service} outbox unreadable ({answer.status_code})")
                continue
            if body.get("pending"):
                busy.append(f"{service} outbox pending {body['pending']}")
            if body.get("in_flight"):
                busy.append(f"{service} consumer has {body['in_flight']} in flight")
        depths = await self.bus.depths()
        for queue, depth in depths.items():
            if queue.endswith(".dlq"):
                if depth:
                    raise _Stop(
                        Failure(
                            f"{depth} event(s) were dead-lettered into {queue}: a consumer could not "
                            "handle them (see that service's log and its DLQ)"
                        )
                    )
            elif depth is None:
                busy.append(f"queue {queue} does not exist")
            elif depth:
                busy.append(f"queue {queue} holds {depth}")
        return busy

    async def _wait_quiet(self) -> None:
        deadline = time.monotonic() + self.quiet_timeout
        calm = 0
        while True:
            busy = await self._busy()
            calm = 0 if busy else calm + 1
            if calm >= 2:
                self.dirty = False
                return
            if time.monotonic() > deadline:
                raise _Stop(Failure(f"the system is not quiet after {self.quiet_timeout:g} s", problems=busy))
            await asyncio.sleep(self.poll_seconds)

    async def _event_counts(self) -> dict[str, int]:
        counts = {"published": 0, "consumed": 0}
        for service in SERVICES:
            answer = await self.http.get(self.endpoints.urls[service] + "/metrics")
            for name, value in _METRIC.findall(answer.text):
                counts["published" if "published" in name else "consumed"] += int(float(value))
        return counts


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _codes_hint(body: Any) -> str:
    codes = problem_codes(body)
    return f" ({', '.join(codes)})" if codes else ""


async def replay_scenarios(
    scenarios: Sequence[Scenario], endpoints: Endpoints, *, quiet_timeout: float = 60.0, out: TextIO | None = None
) -> list[ReplayResult]:
    """Replay ``scenarios`` in order, stopping after the first that fails; returns their results."""
    results = []
    async with Replayer(endpoints, quiet_timeout=quiet_timeout, out=out) as replayer:
        for scenario in scenarios:
            results.append(await replayer.run(scenario))
            if not results[-1].ok:
                break
    return results
