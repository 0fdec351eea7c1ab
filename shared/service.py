"""One FastAPI application factory for all four services: lifespan (migrations, broker, relay,
consumer, scheduler), ops endpoints, admin endpoints, error mapping and idempotency."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import MetaData, delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import Principal, require
from shared.clock import Clock
from shared.db import InfraTables, create_engine_for, ensure_database, run_migrations, session_factory
from shared.errors import Problem, ProblemBody, install_error_handlers
from shared.events import Envelope
from shared.idempotency import IdempotencyMiddleware, RejectNulMiddleware
from shared.messaging.broker import Broker
from shared.messaging.consumer import EventConsumer, EventHandler
from shared.messaging.relay import OutboxRelay
from shared.observability import Metrics, configure_logging
from shared.scheduler import JobHandler, Scheduler
from shared.settings import Settings
from shared.timeutil import local
from shared.uow import UnitOfWork, UnitOfWorkFactory
from shared.workdays import WorkdayCalendar

__all__ = ["Runtime", "ServiceSpec", "create_service_app", "get_runtime", "uow_for"]

log = logging.getLogger(__name__)

OPERATORS = ("sim_admin", "ncsc_operator", "registry_initiator", "registry_confirmer")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemBody, "description": desc}
    for code, desc in (
        (401, "no or bad token — 未认证"),
        (403, "wrong role — 无权限"),
        (404, "not found or not yours — 未找到"),
        (409, "wrong state — 状态冲突"),
        (422, "invalid input, every problem listed — 输入无效"),
    )
}


@dataclass
class ServiceSpec:
    name: str
    title: str
    description: str
    metadata: MetaData
    infra: InfraTables
    migrations_dir: Path
    routers: list[APIRouter] = field(default_factory=list)
    event_handlers: dict[str, EventHandler] = field(default_factory=dict)
    job_handlers: dict[str, JobHandler] = field(default_factory=dict)
    # Called after the tables were created/migrated, e.g. to load reference data.
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)


class Runtime:
    """What a running service holds: its database, clock, broker, relay, consumer and scheduler."""

    def __init__(self, spec: ServiceSpec, settings: Settings, *, clock: Clock | None = None) -> None:
        self.spec = spec
        self.settings = settings
        self.infra = spec.infra
        self.url = settings.database_url(spec.name)
        self.engine: AsyncEngine = create_engine_for(self.url)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.clock = clock or Clock(settings.clock)
        self.wake = asyncio.Event()
        self.uow = UnitOfWorkFactory(self.sessions, self.infra, self.clock, self.wake)
        self.metrics = Metrics(spec.name)
        self.calendar = WorkdayCalendar.from_file(settings.holidays_file)
        self.broker = Broker(settings.amqp_url, delivery_limit=settings.delivery_limit, prefetch=settings.prefetch)
        self.relay = OutboxRelay(
            self.sessions,
            self.infra,
            self.broker,
            self.wake,
            batch=settings.relay_batch,
            poll_seconds=settings.relay_poll_seconds,
            metrics=self.metrics,
        )
        self.consumer = EventConsumer(spec.name, self.uow, spec.event_handlers, metrics=self.metrics)
        self.scheduler = Scheduler(self.uow, spec.job_handlers)
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []
        self.clock_lock = asyncio.Lock()

    async def start(self) -> None:
        await ensure_database(self.url)
        await run_migrations(self.engine, self.spec.migrations_dir)
        await self.clock.load(self.sessions, self.infra)
        if self.spec.on_start:
            await self.spec.on_start(self)
        self.tasks = [
            asyncio.create_task(self._broker_then_consume(), name=f"{self.spec.name}-broker"),
            asyncio.create_task(self.relay.run(self.stop), name=f"{self.spec.name}-relay"),
            asyncio.create_task(self._scheduler_loop(), name=f"{self.spec.name}-scheduler"),
        ]

    async def _broker_then_consume(self) -> None:
        await self.broker.connect_forever(self.stop)
        if not self.stop.is_set() and self.spec.event_handlers:
            await self.broker.consume(self.spec.name, self.consumer.on_message)

    async def _scheduler_loop(self) -> None:
        while not self.stop.is_set():
            try:
                async with self.clock_lock:
                    await self.scheduler.run_due(self.clock.now())
            except Exception:
                log.exception("scheduler round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.settings.scheduler_poll_seconds)

    async def shutdown(self) -> None:
        self.stop.set()
        self.wake.set()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.broker.close()
        await self.engine.dispose()

    async def set_clock(self, new: datetime) -> int:
        """Move the simulated clock forward and run what fell due; returns the number of jobs run."""
        async with self.clock_lock:
            self.clock.check_forward(new)
            async with self.sessions() as session, session.begin():
                await self.clock.persist(session, self.infra, new)
            self.clock.adopt(new)
            return await self.scheduler.run_due(new)

    async def reset(self) -> None:
        async with self.clock_lock, self.relay.lock, self.consumer._lock, self.sessions() as session, session.begin():
            for table in reversed(self.spec.metadata.sorted_tables):
                await session.execute(delete(table))
        self.clock.reset()
        if self.spec.on_start:
            await self.spec.on_start(self)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def uow_for(runtime: Runtime, principal: Principal, request: Request | None = None) -> UnitOfWork:
    cause = f"{request.method} {request.url.path}" if request is not None else None
    return runtime.uow(actor=f"{principal.role}:{principal.sub}", cause=cause)


class ClockOut(BaseModel):
    now: datetime
    mode: str


class ClockIn(BaseModel):
    now: AwareDatetime


class ClockSetOut(BaseModel):
    now: datetime
    jobs_run: int


class OutboxOut(BaseModel):
    pending: int
    oldest_pending_at: datetime | None
    in_flight: int = 0


class EventRecord(BaseModel):
    direction: str
    event_id: str
    event_type: str
    correlation_id: str
    occurred_at: datetime
    recorded_at: datetime
    published_at: datetime | None = None
    envelope: dict[str, Any]


def _admin_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=ERROR_RESPONSES)

    @router.get("/clock", response_model=ClockOut, summary="Service clock — 服务时钟")
    async def get_clock(runtime: RuntimeDep) -> ClockOut:
        return ClockOut(now=runtime.clock.now(), mode=runtime.settings.clock)

    @router.put("/clock", response_model=ClockSetOut, summary="Move the simulated clock forward — 推进模拟时钟")
    async def put_clock(
        body: ClockIn, runtime: RuntimeDep, _: Annotated[Principal, Depends(require("sim_admin"))]
    ) -> ClockSetOut:
        if not runtime.settings.simulation:
            raise Problem(409, "CLOCK_NOT_SIMULATED", "the clock is real; it cannot be set", "时钟为真实时钟，不能设置")
        jobs = await runtime.set_clock(body.now)
        return ClockSetOut(now=local(body.now), jobs_run=jobs)

    @router.post("/reset", summary="Wipe this service's data (simulation only) — 清空数据（仅模拟模式）")
    async def reset(runtime: RuntimeDep, _: Annotated[Principal, Depends(require("sim_admin"))]) -> dict[str, str]:
        if not runtime.settings.simulation:
            raise Problem(409, "NOT_SIMULATION", "reset is only allowed in simulation mode", "仅模拟模式可重置")
        await runtime.reset()
        return {"status": "reset"}

    @router.get("/outbox", response_model=OutboxOut, summary="Unpublished events — 待发布事件")
    async def outbox(runtime: RuntimeDep, _: Annotated[Principal, Depends(require(*OPERATORS))]) -> OutboxOut:
        pending, oldest = await runtime.relay.pending()
        return OutboxOut(
            pending=pending,
            oldest_pending_at=local(oldest) if oldest else None,
            in_flight=runtime.consumer.in_flight,
        )

    @router.get(
        "/events", response_model=list[EventRecord], summary="Events of one thread, in order — 按关联号查询事件"
    )
    async def events(
        correlation_id: str, runtime: RuntimeDep, _: Annotated[Principal, Depends(require(*OPERATORS))]
    ) -> list[EventRecord]:
        out, inb = runtime.infra.outbox, runtime.infra.inbox
        records: list[EventRecord] = []
        async with runtime.sessions() as session:
            for r in await session.execute(select(out).where(out.c.correlation_id == correlation_id)):
                env = Envelope.model_validate_json(r.body)
                records.append(
                    EventRecord(
                        direction="produced",
                        event_id=r.event_id,
                        event_type=r.event_type,
                        correlation_id=r.correlation_id,
                        occurred_at=local(r.occurred_at),
                        recorded_at=local(r.recorded_at),
                        published_at=local(r.published_at) if r.published_at else None,
                        envelope=env.model_dump(mode="json"),
                    )
                )
            for r in await session.execute(select(inb).where(inb.c.correlation_id == correlation_id)):
                env = Envelope.model_validate_json(r.body)
                records.append(
                    EventRecord(
                        direction="consumed",
                        event_id=r.event_id,
                        event_type=r.event_type,
                        correlation_id=r.correlation_id,
                        occurred_at=local(env.occurred_at),
                        recorded_at=local(r.recorded_at),
                        envelope=env.model_dump(mode="json"),
                    )
                )
        records.sort(key=lambda e: e.recorded_at)
        return records

    return router


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz", summary="Process up — 进程存活")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Database and broker reachable — 数据库与消息代理可用",
        responses={503: {"model": ProblemBody, "description": "not ready — 未就绪"}},
    )
    async def readyz(runtime: RuntimeDep) -> Any:
        checks = {"database": False, "broker": runtime.broker.ready}
        try:
            async with runtime.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception as exc:
            log.warning("readiness: database unreachable: %s", exc)
        if all(checks.values()):
            return {"status": "ready", "checks": checks}
        down = [k for k, ok in checks.items() if not ok]
        body = Problem(
            503, "NOT_READY", f"not ready: {', '.join(down)} unreachable", f"未就绪：{'、'.join(down)} 不可用"
        ).body()
        body["checks"] = checks
        return JSONResponse(body, status_code=503, media_type="application/problem+json")

    @router.get("/metrics", summary="Prometheus metrics — 监控指标")
    async def metrics(runtime: RuntimeDep) -> Response:
        with contextlib.suppress(Exception):
            pending, _ = await runtime.relay.pending()
            runtime.metrics.outbox_pending.set(pending)
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(spec: ServiceSpec, settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(spec, settings, clock=clock)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.shutdown()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=spec.openapi_tags,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    # Added last, so it runs first: nothing with a NUL reaches a handler or the idempotency store.
    app.add_middleware(RejectNulMiddleware)

    @app.middleware("http")
    async def _metrics(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is not None:
            runtime.metrics.requests.labels(request.method, route, str(response.status_code)).inc()
            runtime.metrics.latency.labels(route).observe(time.perf_counter() - start)
        return response

    app.include_router(_ops_router())
    app.include_router(_admin_router())
    for router in spec.routers:
        app.include_router(router, prefix="/api/v1", responses=ERROR_RESPONSES)
    return app


def service_main(spec_factory: Callable[[], ServiceSpec]) -> None:
    """Run one service with uvicorn on its configured port."""
    import uvicorn

    settings = Settings()
    spec = spec_factory()
    configure_logging(settings.log_format, settings.log_level, spec.name)
    app = create_service_app(spec, settings)
    uvicorn.run(app, host=settings.host, port=settings.port(spec.name), log_level="warning", lifespan="on")
