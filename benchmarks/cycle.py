"""The 2024 compliance cycle for N units over REST, phase by phase, then a check of every quantity.

Per unit (quantities in whole tonnes): allowance account and new-registry account, a project with
10,000 t issued, 100,000 t of 2024 allowances and a notice of 100,000 t; binding; a lot of 8,000 t;
an application of 95,000 allowances + 5,000 t of the lot (the 5% cap); two reviews; approval →
5,000 t registered and cancelled; the recall of the lot's 3,000 t remainder at 2026-01-23 00:00."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.figures import Phase
from benchmarks.stack import Stack
from ccer_tools.replay.engine import AmqpBus
from shared.auth import mint_token
from shared.reference import PROVINCES
from shared.settings import SERVICES, Settings
from shared.uscc import make_uscc

PERIOD = "2024"
ALLOWANCES = "PE2025000001"
OBLIGATION = 100_000
ISSUED = 10_000
LOT = 8_000
CCER_USED = 5_000  # floor(100,000 × 500 / 10,000)
RECALLED = LOT - CCER_USED
ALLOWANCES_USED = OBLIGATION - CCER_USED
ADMIN = "/api/v1/admin"
CLOCK_TIMEOUT_S = 3600.0
KEEPALIVE_S = 2.0
API = "/api/v1"
CYCLE_PHASES = ("open", "bind", "freeze", "apply", "review", "recall")
INSTANTS = {
    "setup": "2025-03-03T09:00:00+08:00",
    "bind": "2025-04-01T10:00:00+08:00",
    "freeze": "2025-06-04T10:00:00+08:00",
    "apply": "2025-06-05T09:30:00+08:00",
    "review": "2025-06-10T10:00:00+08:00",
    "recall": "2026-01-23T00:00:00+08:00",  # 2025-12-31 + 15 working days, next 00:00
}
_METRIC = re.compile(r"^ccer_events_published_total\{[^}]*\}\s+([0-9.eE+-]+)$", re.M)
# Statements sent by requests, events, jobs and the relay (not the probes of the outbox depth).
_STATEMENTS = re.compile(r'^ccer_db_statements_total\{source="(?!probe")[^"]*"\}\s+([0-9.eE+-]+)$', re.M)
SERVICE_ALIASES = {
    "new": "new_ccer_registry",
    "allowance": "allowance_registry",
    "review": "provincial_review",
    "legacy": "legacy_ccer_registry",
}


class Mismatch(AssertionError):
    """A quantity or a state that is not what the cycle must produce: the run fails."""


@dataclass
class Unit:
    index: int
    uscc: str
    name: str
    province: str
    token: str
    allowance_account: str = ""
    ccer_account: str = ""
    project: str = ""
    notice: str = ""
    lot: str = ""
    application: str = ""
    case: str = ""


class Driver:
    def __init__(self, stack: Stack, units: int, concurrency: int, tag: str) -> None:
        self.stack = stack
        self.secret = Settings().secret
        self.http = httpx.AsyncClient(
            timeout=120,
            limits=httpx.Limits(
                max_connections=concurrency * 2,
                max_keepalive_connections=concurrency * 2,
                # Below uvicorn's 5 s keep-alive: a connection the server is closing is never reused
                # (the probes between phases have no retry).
                keepalive_expiry=KEEPALIVE_S,
            ),
        )
        self.gate = asyncio.Semaphore(concurrency)
        self.bus = AmqpBus(stack.amqp_url)
        self.cycle = itertools.count()
        self.urls = {s: itertools.cycle(stack.urls(s)) for s in SERVICES}
        self.phase: Phase | None = None
        self.last_response = 0.0
        provinces = sorted(PROVINCES)
        self.tokens = {
            "registry_maker": mint_token(self.secret, "registry_initiator", sub="bench-reg-maker"),
            "registry_checker": mint_token(self.secret, "registry_confirmer", sub="bench-reg-checker"),
            "ncsc": mint_token(self.secret, "ncsc_operator", sub="bench-ncsc"),
            "sim": mint_token(self.secret, "sim_admin", sub="bench-sim"),
        }
        for p in provinces:
            self.tokens[f"first-{p}"] = mint_token(self.secret, "province_initiator", province=p, sub=f"ini-{p}")
            self.tokens[f"second-{p}"] = mint_token(self.secret, "province_confirmer", province=p, sub=f"conf-{p}")
        self.units = []
        for i in range(units):
            uscc = make_uscc(f"91{provinces[i % len(provinces)][:4]}MA{tag}{i:06d}")
            province = provinces[i % len(provinces)]
            token = mint_token(self.secret, "enterprise", org=uscc, sub=f"unit-{i}")
            self.units.append(Unit(i, uscc, f"基准测试企业{i:06d}", province, token))

    async def close(self) -> None:
        await self.http.aclose()
        await self.bus.close()

    # ------------------------------------------------------------------------------ requests
    async def call(self, method: str, service: str, path: str, token: str, json: Any = None, expect: int = 200) -> Any:
        service = SERVICE_ALIASES.get(service, service)
        url = next(self.urls[service]) + API + path
        headers = {"Authorization": f"Bearer {token}"}
        if method in ("POST", "PUT"):
            # A keep-alive connection the server closes as we reuse it fails the request before it is
            # read; with an Idempotency-Key the retry is safe even if it was.
            headers["Idempotency-Key"] = uuid.uuid4().hex
        async with self.gate:
            start = time.perf_counter()
            for attempt in range(3):
                try:
                    answer = await self.http.request(method, url, json=json, headers=headers)
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                    if attempt == 2:
                        raise
            end = time.perf_counter()
        if self.phase is not None:
            self.phase.calls += 1
            self.phase.latencies_ms.append(1000 * (end - start))
        self.last_response = max(self.last_response, end)
        if answer.status_code != expect:
            raise Mismatch(f"{method} {service} {path} → {answer.status_code}, expected {expect}: {answer.text[:500]}")
        return answer.json() if answer.content else None

    async def each(self, work: Callable[[Unit], Awaitable[None]], units: Iterable[Unit] | None = None) -> None:
        await asyncio.gather(*(work(u) for u in (self.units if units is None else units)))

    async def set_clock(self, at: str) -> None:
        # Every process, in service order, so that an event raised by a due job is consumed by clocks
        # that have already moved (as the replay engine does).
        for p in self.stack.processes:
            # The answer comes once the jobs that fell due have run: the recall of 10,000 lots takes
            # minutes, beyond the client's usual timeout.
            start = time.perf_counter()
            answer = await self.http.put(
                f"{p.url}{ADMIN}/clock",
                json={"now": at},
                headers={"Authorization": f"Bearer {self.tokens['sim']}"},
                timeout=CLOCK_TIMEOUT_S,
            )
            end = time.perf_counter()
            if self.phase is not None:  # the recall phase is these requests: its drain starts after them
                self.phase.calls += 1
                self.phase.latencies_ms.append(1000 * (end - start))
                self.last_response = max(self.last_response, end)
            if answer.status_code != 200:
                raise Mismatch(f"clock of {p.name} to {at}: {answer.status_code} {answer.text[:300]}")

    # ------------------------------------------------------------------------------ the system
    async def published(self) -> int:
        return (await self.counters())[0]

    async def counters(self) -> tuple[int, int]:
        """Events published and database statements sent so far, over every process."""
        events = statements = 0
        for p in self.stack.processes:
            text = (await self.http.get(f"{p.url}/metrics")).text
            events += sum(int(float(v)) for v in _METRIC.findall(text))
            statements += sum(int(float(v)) for v in _STATEMENTS.findall(text))
        return events, statements

    async def busy(self) -> bool:
        for p in self.stack.processes:
            body = (
                await self.http.get(
                    f"{p.url}{ADMIN}/outbox", headers={"Authorization": f"Bearer {self.tokens['ncsc']}"}
                )
            ).json()
            if body.get("pending") or body.get("in_flight"):
                return True
        for queue, depth in (await self.bus.depths()).items():
            if queue.endswith(".dlq") and depth:
                raise Mismatch(f"{depth} message(s) dead-lettered in {queue}\n{self.stack.log_tail()}")
            if depth:
                return True
        return False

    async def wait_quiet(self, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        calm = 0
        while calm < 2:
            calm = 0 if await self.busy() else calm + 1
            if time.monotonic() > deadline:
                raise Mismatch(f"not quiet after {timeout:g} s\n{self.stack.log_tail()}")
            await asyncio.sleep(0.05)

    async def run_phase(self, name: str, body: Callable[[], Awaitable[None]]) -> Phase:
        phase = Phase(name)
        self.phase = phase
        cpu0, (events0, statements0) = self.stack.cpu(), await self.counters()
        start = time.perf_counter()
        self.last_response = start
        await body()
        last = max(self.last_response, start)
        await self.wait_quiet()
        end = time.perf_counter()
        cpu1 = self.stack.cpu()
        phase.wall_s = end - start
        phase.drain_s = end - last
        events1, statements1 = await self.counters()
        phase.events = events1 - events0
        phase.statements = statements1 - statements0
        phase.cpu_s = {k: cpu1[k] - cpu0.get(k, 0.0) for k in cpu1}
        self.phase = None
        return phase

    # ------------------------------------------------------------------------------ the cycle
    async def setup(self) -> None:
        await self.set_clock(INSTANTS["setup"])
        period = await self.call(
            "POST", "allowance", "/compliance-periods", self.tokens["registry_maker"], {"builtin": PERIOD}, 201
        )
        await self.call(
            "POST", "allowance", f"/compliance-periods/{period['code']}/approve", self.tokens["registry_checker"]
        )
        per_province: dict[str, int] = {}
        for u in self.units:
            per_province[u.province] = per_province.get(u.province, 0) + OBLIGATION
        for province, total in per_province.items():
            await self.call(
                "POST",
                "allowance",
                "/provincial-notices",
                self.tokens["registry_maker"],
                {"period_code": PERIOD, "province": province, "total_obligation": total},
                201,
            )

    async def open_unit(self, u: Unit) -> None:
        holder = {"name": u.name, "uscc": u.uscc}
        a = await self.call(
            "POST",
            "allowance",
            "/accounts",
            self.tokens["registry_maker"],
            {"holder": holder, "province": u.province, "account_type": "national_key_emitter", "sector": "power"},
            201,
        )
        u.allowance_account = a["id"]
        n = await self.call(
            "POST",
            "new",
            "/accounts",
            self.tokens["ncsc"],
            {"holder": holder, "account_type": "national_key_emitter", "province": u.province},
            201,
        )
        u.ccer_account = n["id"]
        u.project = f"B{u.uscc[-8:-1]}{u.index}"
        await self.call(
            "POST",
            "new",
            "/projects",
            self.tokens["ncsc"],
            {
                "number": u.project,
                "name": f"基准风电项目{u.index}",
                "owner_uscc": u.uscc,
                "type": "wind power",
                "methodology": "CCER-01-001-V01",
                "region": u.province,
                "registered_at": "2024-06-14",
            },
            201,
        )
        await self.call(
            "POST",
            "new",
            f"/projects/{u.project}/issuances",
            self.tokens["ncsc"],
            {"vintage": 2024, "quantity": ISSUED, "account_id": u.ccer_account},
            201,
        )
        await self.call(
            "POST",
            "allowance",
            "/allocations",
            self.tokens["registry_maker"],
            {"account_id": u.allowance_account, "instrument": ALLOWANCES, "quantity": OBLIGATION, "side": "registry"},
            201,
        )
        notice = await self.call(
            "POST",
            "allowance",
            "/notices",
            self.tokens[f"first-{u.province}"],
            {"period_code": PERIOD, "account_id": u.allowance_account, "obligation": OBLIGATION},
            201,
        )
        u.notice = notice["id"]

    async def bind(self, u: Unit) -> None:
        await self.call(
            "POST",
            "new",
            f"/accounts/{u.ccer_account}/binding",
            u.token,
            {"allowance_account_id": u.allowance_account},
            202,
        )

    async def freeze(self, u: Unit) -> None:
        lot = await self.call(
            "POST",
            "new",
            "/offset-lots",
            u.token,
            {"account_id": u.ccer_account, "project_number": u.project, "origin": "new", "quantity": LOT},
            201,
        )
        u.lot = lot["lot_id"]

    async def apply(self, u: Unit) -> None:
        app = await self.call(
            "POST",
            "allowance",
            "/applications",
            u.token,
            {
                "notice_id": u.notice,
                "items": [
                    {"kind": "allowance", "instrument": ALLOWANCES, "quantity": ALLOWANCES_USED},
                    {"kind": "ccer", "lot_id": u.lot, "quantity": CCER_USED},
                ],
            },
            201,
        )
        u.application = app["id"]
        await self.call("POST", "allowance", f"/applications/{u.application}/submit", u.token)

    async def review(self, u: Unit) -> None:
        cases = await self.call(
            "GET", "review", f"/reviews?application_id={u.application}", self.tokens[f"first-{u.province}"]
        )
        if len(cases["items"]) != 1:
            raise Mismatch(f"unit {u.index}: {len(cases['items'])} review cases for {u.application}")
        u.case = cases["items"][0]["id"]
        await self.call(
            "POST",
            "review",
            f"/reviews/{u.case}/first-review",
            self.tokens[f"first-{u.province}"],
            {"recommendation": "approve", "findings": []},
        )
        await self.call(
            "POST",
            "review",
            f"/reviews/{u.case}/second-review",
            self.tokens[f"second-{u.province}"],
            {"decision": "confirm", "comment": "同意"},
        )

    async def phases(self) -> list[Phase]:
        """The cycle after ``setup``: open, bind, freeze, apply, review, recall."""
        done = [await self.run_phase("open", lambda: self.each(self.open_unit))]
        for name, work in (
            ("bind", self.bind),
            ("freeze", self.freeze),
            ("apply", self.apply),
            ("review", self.review),
        ):
            await self.set_clock(INSTANTS[name])
            done.append(await self.run_phase(name, lambda work=work: self.each(work)))  # type: ignore[misc]
        done.append(await self.run_phase("recall", lambda: self.set_clock(INSTANTS["recall"])))
        return done

    # ------------------------------------------------------------------------------ the check
    async def listing(self, service: str, path: str, token: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        sep = "&" if "?" in path else "?"
        for _ in range(10_000):  # bounded: 500 per page
            page = await self.call(
                "GET", service, f"{path}{sep}limit=500" + (f"&cursor={cursor}" if cursor else ""), token
            )
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items
        raise Mismatch(f"{path}: more pages than expected")

    async def by_province(self, path: str) -> list[dict[str, Any]]:
        """An allowance-registry list read province by province (the roles that may read it)."""
        rows: list[dict[str, Any]] = []
        for province in sorted({u.province for u in self.units}):
            rows += await self.listing("allowance", path, self.tokens[f"first-{province}"])
        return rows

    async def verify(self) -> list[str]:
        """Every quantity of every unit, in all three registries; returns the problems (empty = exact)."""
        problems: list[str] = []
        notices = {n["id"]: n for n in await self.by_province(f"/notices?period_code={PERIOD}")}
        pending = {p["lot_id"]: p for p in await self.by_province("/pending-offsets")}
        lots = {lot["lot_id"]: lot for lot in await self.listing("new", "/offset-lots", self.tokens["ncsc"])}
        for u in self.units:
            n = notices.get(u.notice, {})
            if (n.get("fulfilled"), n.get("status")) != (OBLIGATION, "complete"):
                problems.append(
                    f"unit {u.index} notice {u.notice}: fulfilled {n.get('fulfilled')} status {n.get('status')}"
                )
            p = pending.get(u.lot, {})
            if (p.get("registered"), p.get("recalled"), p.get("available")) != (CCER_USED, RECALLED, 0):
                problems.append(
                    f"unit {u.index} pending offset {u.lot}: {p.get('registered')}/{p.get('recalled')}/{p.get('available')}"
                )
            lot = lots.get(u.lot, {})
            if (lot.get("cancelled"), lot.get("released")) != (CCER_USED, RECALLED):
                problems.append(
                    f"unit {u.index} lot {u.lot}: cancelled {lot.get('cancelled')} released {lot.get('released')}"
                )

        async def holdings(u: Unit) -> None:
            h = await self.call("GET", "allowance", f"/accounts/{u.allowance_account}/holdings", u.token)
            left = sum(a["registry"] for a in h["allowances"] if a["instrument"] == ALLOWANCES)
            if left != OBLIGATION - ALLOWANCES_USED:
                problems.append(f"unit {u.index}: {left} allowances left, expected {OBLIGATION - ALLOWANCES_USED}")

        await self.each(holdings)
        for service in ("new", "legacy"):
            rec = await self.call("GET", service, f"{ADMIN}/reconciliation".removeprefix(API), self.tokens["ncsc"])
            if not rec.get("consistent"):
                problems.append(f"{service} reconciliation: {str(rec)[:500]}")
        return problems
