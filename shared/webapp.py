"""One FastAPI application factory for all four services: the lifespan starts the service's
:class:`~shared.runtime.Runtime` (migrations, broker, relay, consumer, scheduler); ops and admin
endpoints, the one error mapping, idempotency and the audit cause of each request."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import select, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asyncapi import document_for
from shared.audit_api import cause_with_request_id, install_audit, request_id_of
from shared.auth import Principal, get_principal, require
from shared.bounds import Id, Instant
from shared.bus import MessageBus
from shared.events import Envelope
from shared.findings import Finding
from shared.idempotency import IdempotencyMiddleware, send_problem
from shared.observability import cause_var, configure_logging
from shared.problems import Problem, ProblemBody, install_error_handlers
from shared.runtime import Runtime
from shared.settings import Settings
from shared.timeutil import LocalDateTime, LocalJSON, local
from shared.tracing import SpanKind, annotate_current_span, configure_tracing, span

__all__ = [
    "ERROR_RESPONSES",
    "ApiSpec",
    "BusDep",
    "RequestGate",
    "RuntimeDep",
    "create_service_app",
    "get_bus",
    "get_runtime",
    "service_main",
]

log = logging.getLogger(__name__)

OPERATORS = ("sim_admin", "ncsc_operator", "registry_initiator", "registry_confirmer")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemBody, "description": desc}
    for code, desc in (
        (401, "no or bad token — 未认证"),
        (403, "wrong role — 无权限"),
        (404, "not found or not yours — 未找到"),
        (405, "method not allowed on this path — 方法不允许"),
        (409, "wrong state — 状态冲突"),
        (413, "body too large — 请求体过大"),
        (422, "invalid input, every problem listed (a body that is not JSON in UTF-8 too) — 输入无效"),
    )
}


PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemBody"}


def problem_json_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The app's OpenAPI with every 4xx/5xx answer documented as ``application/problem+json``, the
    content type the error handlers send (FastAPI documents a response model as application/json)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in (operation.get("responses") or {}).items():
                    if status[:1] in ("4", "5") and response.get("content"):
                        response["content"] = {"application/problem+json": {"schema": PROBLEM_SCHEMA}}
        app.openapi_schema = schema
        return schema

    return openapi


@dataclass
class ApiSpec:
    """A service's REST face: its title, routers and OpenAPI tags."""

    title: str
    description: str
    routers: list[APIRouter] = field(default_factory=list)
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)


async def get_runtime(request: Request) -> Runtime[Any]:
    # async: a plain ``def`` dependency runs in the thread pool, a thread hand-off per request.
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime[Any], Depends(get_runtime)]


async def get_bus(request: Request) -> MessageBus[Any]:
    return request.app.state.runtime.bus


BusDep = Annotated[MessageBus[Any], Depends(get_bus)]


class ClockOut(BaseModel):
    now: LocalDateTime
    mode: str


class ClockIn(BaseModel):
    now: Instant


class ClockSetOut(BaseModel):
    now: LocalDateTime
    jobs_run: int


class OutboxOut(BaseModel):
    pending: int
    oldest_pending_at: LocalDateTime | None
    in_flight: int = 0


class EventRecord(BaseModel):
    direction: str
    event_id: str
    event_type: str
    correlation_id: str
    occurred_at: LocalDateTime
    recorded_at: LocalDateTime
    published_at: LocalDateTime | None = None
    # The W3C traceparent the event was sent with (produced events; see shared.tracing).
    traceparent: str | None = None
    envelope: LocalJSON


def _admin_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=ERROR_RESPONSES)

    @router.get("/clock", response_model=ClockOut, summary="Service clock — 服务时钟")
    async def get_clock(runtime: RuntimeDep, _: Annotated[Principal, Depends(get_principal)]) -> ClockOut:
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
        correlation_id: Id, runtime: RuntimeDep, _: Annotated[Principal, Depends(require(*OPERATORS))]
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
                        traceparent=r.traceparent,
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

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi(runtime: RuntimeDep) -> dict[str, Any]:
        """The AsyncAPI 3.0 document of the events this service sends and receives (public, like
        /openapi.json); the whole system's is docs/asyncapi.yaml."""
        return document_for(runtime.name, runtime.settings.delivery_limit)

    @router.get(
        "/metrics",
        summary="Prometheus metrics — 监控指标",
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
    )
    async def metrics(runtime: RuntimeDep) -> Response:
        with contextlib.suppress(Exception):
            pending, _ = await runtime.relay.pending()
            runtime.metrics.outbox_pending.set(pending)
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(
    make_runtime: Callable[[Settings], Runtime[Any]], api: ApiSpec, settings: Settings | None = None
) -> FastAPI:
    """The service's app; ``make_runtime`` is its ``bootstrap`` with any fakes already applied."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = make_runtime(settings)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.shutdown()

    # /docs and /redoc with Swagger UI and ReDoc served by the service itself (no CDN): they work on
    # an isolated network.
    app = FastAPIOffline(
        title=api.title,
        description=api.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=api.openapi_tags,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.openapi = problem_json_openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    install_audit(app)  # GET /api/v1/admin/audit, and the request id each audit row names
    # The one middleware: pure ASGI (no BaseHTTPMiddleware: its task group and streams per request
    # cost about a sixth of a service's CPU under load), reading each body once.
    app.add_middleware(RequestGate, max_body_bytes=settings.max_body_bytes)

    app.include_router(_ops_router())
    app.include_router(_admin_router())
    for router in api.routers:
        app.include_router(router, prefix="/api/v1", responses=ERROR_RESPONSES)
    return app


# The headers the services read, and the longest value each may carry. Idempotency keys are stored
# (a 200-character column) and compared; they are printable ASCII.
HEADER_LIMITS = {
    "authorization": ("Authorization", 8192),
    "idempotency-key": ("Idempotency-Key", 200),
    "accept": ("Accept", 1024),
}
_PRINTABLE_ONLY = frozenset({"idempotency-key"})


class _BodyTooLarge(Exception):
    """Raised into whatever reads the body past the limit, so that nothing acts on a part of it."""


# The methods whose body the gate reads whole before the app runs (any other body is counted as the
# app reads it).
_BUFFERED = frozenset({"POST", "PUT", "PATCH"})


class RequestGate:
    """Everything a request goes through before its route, in one pass, reading its body once.

    In order: the request is counted and timed by route, gets its audit cause ("POST /api/v1/...")
    and runs in its trace (see shared.tracing), whose span the answer names in a ``traceresponse``
    header. The headers the services read are bounded (a 422 problem ``INVALID_HEADER``), and so is
    the body (a 413 problem ``BODY_TOO_LARGE``): a declared Content-Length over the limit is refused
    before a byte of the body is read; a chunked body is counted as it streams and refused as soon
    as it passes the limit. The connection stays open: the server discards the rest of the body, and
    the client, done sending, reads the 413 (closing at once would reset the connection under a
    client still writing, and it would see no answer). NUL is never valid in any field (PostgreSQL
    text cannot hold it): a 422 ``NUL_CHARACTER``, not a 500. A POST or PUT with an
    ``Idempotency-Key`` then goes through :class:`~shared.idempotency.IdempotencyMiddleware`, hashed
    from the same bytes. Last, the request gets its id (the caller's ``X-Request-Id`` when well
    formed), added to its audit cause and to its answer; the route reads the body from the one
    buffer, in one message."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.idempotency = IdempotencyMiddleware(self._with_request_id)

    def too_large(self) -> Problem:
        limit = self.max_body_bytes
        return Problem(
            413,
            "BODY_TOO_LARGE",
            f"the request body is larger than the limit of {limit} bytes",
            f"请求体超过 {limit} 字节的上限",
            field="body",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        token = cause_var.set(f"{scope['method']} {scope['path']}"[:120])
        # The request continues the caller's trace (a valid W3C traceparent header) or starts one;
        # the answer names the request's span in a ``traceresponse`` header.
        incoming = next((v for k, v in scope["headers"] if k == b"traceparent"), None)
        try:
            with span(
                f"{scope['method']} {scope['path']}"[:120],
                parent=incoming,
                root=True,
                kind=SpanKind.SERVER,
                attributes={"http.request.method": scope["method"], "url.path": scope["path"][:500]},
            ) as traceparent:
                trace_header = (b"traceresponse", traceparent.encode())

                async def send_status(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                        message["headers"] = [*message.get("headers", ()), trace_header]
                    await send(message)

                await self._checked(scope, receive, send_status)
                route = getattr(scope.get("route"), "path", None)
                annotate_current_span(
                    f"{scope['method']} {route}" if route else None, **{"http.response.status_code": status}
                )
        finally:
            cause_var.reset(token)
            route = getattr(scope.get("route"), "path", "unmatched")
            runtime = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
            if runtime is not None:
                runtime.metrics.requests.labels(scope["method"], route, str(status)).inc()
                runtime.metrics.latency.labels(route).observe(time.perf_counter() - start)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        findings = header_findings(scope["headers"])
        if findings:
            n = len(findings)
            problem = Problem(
                422, "INVALID_HEADER", f"{n} header(s) not accepted", f"有 {n} 个请求头不被接受", errors=findings
            )
            await send_problem(send, problem)
            return
        declared = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), b"").strip()
        if declared.isdigit() and (len(declared) > 18 or int(declared) > self.max_body_bytes):
            await send_problem(send, self.too_large())
            return
        body: bytes | None = None
        if scope["method"] in _BUFFERED:
            body = await self._read_body(receive)
            if body is None:
                await send_problem(send, self.too_large())
                return
        where = nul_places(scope, body)
        if where:
            problem = Problem(
                422,
                "NUL_CHARACTER",
                f"the NUL character is not allowed (in {', '.join(where)})",
                f"不允许使用空字符（NUL），位置：{'、'.join(where)}",
                field=where[0],
            )
            await send_problem(send, problem)
            return
        if body is None:
            await self._counted(scope, receive, send)
            return
        whole = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()  # after the body: the disconnect, when the client goes

        if self.idempotency.applies(scope):
            await self.idempotency.run(scope, replay, send, whole)
        else:
            await self._with_request_id(scope, replay, send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body in one buffer (one copy of its chunks), or None once it passes the limit
        (the rest is left unread)."""
        parts: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            part = message.get("body", b"")
            size += len(part)
            if size > self.max_body_bytes:
                return None
            parts.append(part)
            more = message.get("more_body", False)
        return b"".join(parts)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request whose body (if any) the app reads itself: counted as it streams."""
        received = 0
        refused = started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    refused = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the app's answer to a body it could not read: the 413 below replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self._with_request_id(scope, counted_receive, guarded_send)
        if refused and not started:
            await send_problem(send, self.too_large())

    async def _with_request_id(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app, with the request's id in its audit cause and its answer."""
        request_id = request_id_of(scope["headers"])
        cause = cause_var.get() or f"{scope['method']} {scope['path']}"
        token = cause_var.set(cause_with_request_id(cause, request_id))
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            cause_var.reset(token)


def nul_places(scope: Scope, body: bytes | None) -> list[str]:
    """Where the request carries a NUL character: "path", "query", "body"."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    where = []
    if b"%00" in raw_path or b"\x00" in raw_path or "\x00" in scope["path"]:
        where.append("path")
    if b"%00" in scope.get("query_string", b""):
        where.append("query")
    if body is not None and (b"\x00" in body or b"\\u0000" in body):
        where.append("body")
    return where


def header_findings(headers: list[tuple[bytes, bytes]]) -> list[Finding]:
    findings = []
    for raw_name, raw_value in headers:
        key = raw_name.decode("latin-1").lower()
        if key not in HEADER_LIMITS:
            continue
        name, longest = HEADER_LIMITS[key]
        if len(raw_value) > longest:
            findings.append(
                Finding(
                    code="HEADER_TOO_LONG",
                    message=f"the {name} header is longer than {longest} characters",
                    message_zh=f"请求头 {name} 超过 {longest} 个字符",
                    field=name,
                )
            )
        elif key in _PRINTABLE_ONLY and not all(0x20 <= b <= 0x7E for b in raw_value):
            findings.append(
                Finding(
                    code="HEADER_NOT_PRINTABLE",
                    message=f"the {name} header may hold only printable ASCII characters",
                    message_zh=f"请求头 {name} 只能包含可打印的 ASCII 字符",
                    field=name,
                )
            )
    return findings


def service_main(name: str, create_app: Callable[[Settings], FastAPI]) -> None:
    """Run one service with uvicorn on its configured port."""
    import uvicorn

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level, name)
    configure_tracing(name)  # spans only when an OpenTelemetry exporter is configured
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port(name),
        log_level="warning",
        lifespan="on",
        loop="uvloop",
        http="httptools",
    )
