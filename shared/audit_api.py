"""``GET /api/v1/admin/audit``: the audit log, readable by operators on every service — who, when
(service clock and wall clock), what, and the request or event that caused it — and the request id
each request carries into that log (``X-Request-Id``, echoed back)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from shared.auth import Principal, require
from shared.listing import Page, PageParams, page_params, respond_list
from shared.timeutil import LocalDateTime, LocalJSON, local

__all__ = ["AUDIT_READERS", "audit_router", "cause_with_request_id", "install_audit", "request_id_of"]

# The roles that read every service's audit log: the simulation's operator and the registries' operators.
AUDIT_READERS = ("sim_admin", "ncsc_operator", "registry_initiator", "registry_confirmer")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,36}$")
# The cause column holds 120 characters: the request line is cut so the request id always fits.
_CAUSE_ROOM = 120 - len(" #") - 36
_EVENT_CAUSE = re.compile(r"^event:(?P<type>[^:]+):(?P<id>.+)$")
_REQUEST_CAUSE = re.compile(r"^(?P<line>.*) #(?P<id>[A-Za-z0-9._-]{1,36})$")
_NAME = r"^[a-z0-9_.]+$"


class AuditEntryOut(BaseModel):
    id: int
    at: LocalDateTime = Field(description="the service clock (simulated time) — 服务时钟")
    at_wall: LocalDateTime = Field(description="the wall clock — 实际时间")
    actor: str = Field(description="role:sub of the person, or scheduler/consumer — 操作人")
    action: str
    entity: str
    entity_id: str
    detail: LocalJSON
    cause: str | None = Field(description="the request line, event or job that caused it — 起因")
    request_id: str | None = Field(None, description="the causing request's X-Request-Id — 请求编号")
    event_id: str | None = Field(None, description="the causing event's id — 事件编号")


def _entry(row: Any) -> AuditEntryOut:
    cause = row.cause or ""
    request, event = _REQUEST_CAUSE.match(cause), _EVENT_CAUSE.match(cause)
    return AuditEntryOut(
        id=row.id,
        at=local(row.at),
        at_wall=local(row.at_wall),
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        detail=row.detail if isinstance(row.detail, dict) else {"value": row.detail},
        cause=row.cause,
        request_id=request.group("id") if request else None,
        event_id=event.group("id") if event else None,
    )


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

    @router.get(
        "/audit",
        response_model=Page[AuditEntryOut],
        summary="Audit log, newest first: who, when, what, and its cause — 审计日志",
    )
    async def audit(
        request: Request,
        page: Annotated[PageParams, Depends(page_params)],
        _: Annotated[Principal, Depends(require(*AUDIT_READERS))],
        entity: Annotated[
            str | None, Query(max_length=60, pattern=_NAME, description="e.g. offset_lot — 对象类型")
        ] = None,
        entity_id: Annotated[str | None, Query(min_length=1, max_length=100, description="对象编号")] = None,
        action: Annotated[str | None, Query(max_length=80, pattern=_NAME, description="操作")] = None,
    ) -> Any:
        runtime = request.app.state.runtime
        table = runtime.infra.audit
        query = select(table)
        for column, value in ((table.c.entity, entity), (table.c.entity_id, entity_id), (table.c.action, action)):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(table.c.id.desc()).limit(page.limit + 1).offset(page.offset)
        async with runtime.sessions() as session:
            rows = (await session.execute(query)).all()
        return respond_list(request, [_entry(r) for r in rows[: page.limit]], page, len(rows) > page.limit)

    return router


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The request's id: the caller's ``X-Request-Id`` when well formed, else a new one."""
    given = next((v.decode("latin-1") for k, v in headers if k == b"x-request-id"), "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def cause_with_request_id(cause: str, request_id: str) -> str:
    """The audit cause of a request, cut so that its id always fits the column."""
    return f"{cause[:_CAUSE_ROOM]} #{request_id}"


def install_audit(app: FastAPI) -> None:
    """The audit route (the request id is given by ``shared.webapp.RequestGate``)."""
    app.include_router(audit_router())
