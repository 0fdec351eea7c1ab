"""``Idempotency-Key`` on POST/PUT: a repeat with the same key and body returns the first response
and changes nothing; the same key with another body answers 409."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import insert_or_ignore, one_statement
from shared.problems import Problem

__all__ = ["IdempotencyMiddleware", "RejectNulMiddleware", "send_problem"]

log = logging.getLogger(__name__)

FINALISE_ATTEMPTS = 5


IN_PROGRESS = Problem(
    409,
    "IDEMPOTENCY_KEY_IN_USE",
    "a request with this Idempotency-Key is in progress",
    "使用该幂等键的请求正在处理中",
)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        # Header values are bytes; latin-1 decodes any of them (the bounds middleware admits only
        # printable ASCII in the headers read here).
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        state = scope["app"].state if "app" in scope else None
        if not key or state is None or not hasattr(state, "runtime"):
            await self.app(scope, receive, send)
            return
        runtime = state.runtime
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        caller = hashlib.sha256(headers.get("authorization", "").encode()).hexdigest()[:64]
        body_hash = hashlib.sha256(scope["method"].encode() + scope["path"].encode() + body).hexdigest()
        table = runtime.infra.idempotency

        # One statement claims the key; only a repeat (or a concurrent twin) reads the first answer.
        async with one_statement(runtime.engine) as conn:
            claimed = await conn.execute(
                insert_or_ignore(table, conn.dialect.name).values(
                    key=key,
                    caller=caller,
                    method=scope["method"],
                    path=scope["path"][:500],  # the column's width; body_hash has all of it
                    body_hash=body_hash,
                    created_at=datetime.now(UTC),
                )
            )
            row = None
            if claimed.rowcount == 0:
                row = (await conn.execute(select(table).where(table.c.key == key, table.c.caller == caller))).first()
                if row is None:  # the first request failed and gave the key back meanwhile
                    await send_problem(send, IN_PROGRESS)
                    return
        if row is not None:
            if row.body_hash != body_hash:
                await send_problem(
                    send,
                    Problem(
                        409,
                        "IDEMPOTENCY_KEY_REUSED",
                        "this Idempotency-Key was used with another request body",
                        "该幂等键已用于不同的请求内容",
                    ),
                )
                return
            if row.status_code is None:
                await send_problem(send, IN_PROGRESS)
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": row.status_code,
                    "headers": [
                        (b"content-type", (row.content_type or "application/json").encode()),
                        (b"idempotent-replay", b"true"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": (row.response_body or "").encode()})
            return

        captured: dict[str, Any] = {"status": 500, "body": b"", "content_type": "application/json"}
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for k, v in message.get("headers", []):
                    if k.decode().lower() == "content-type":
                        captured["content_type"] = v.decode()
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            await self._record_outcome(runtime, table, key, caller, captured)

    @staticmethod
    async def _record_outcome(runtime: Any, table: Any, key: str, caller: str, captured: dict[str, Any]) -> None:
        """Store the answer for replays, or free the key after a 5xx. Retried on a fresh connection:
        when the database connection was cut mid-request, the first attempt may meet a dead
        connection too, and a key left "in progress" would refuse every retry of the request."""
        for attempt in range(1, FINALISE_ATTEMPTS + 1):
            try:
                async with one_statement(runtime.engine) as conn:
                    if captured["status"] >= 500:
                        # Nothing was changed (the request failed): the key may be used again.
                        await conn.execute(delete(table).where(table.c.key == key, table.c.caller == caller))
                    else:
                        await conn.execute(
                            update(table)
                            .where(table.c.key == key, table.c.caller == caller)
                            .values(
                                status_code=captured["status"],
                                response_body=captured["body"].decode("utf-8", "replace"),
                                content_type=captured["content_type"],
                            )
                        )
                return
            except (DBAPIError, OSError) as exc:
                if attempt == FINALISE_ATTEMPTS:
                    raise
                log.warning("idempotency key: recording the outcome failed (%s); retrying", exc)
                await asyncio.sleep(0.1 * attempt)


async def send_problem(send: Send, problem: Problem) -> None:
    """Answer ``problem`` from a pure ASGI middleware."""
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [(b"content-type", b"application/problem+json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(problem.body(), ensure_ascii=False).encode()})


class RejectNulMiddleware:
    """NUL is never valid in any field (PostgreSQL text cannot hold it): a 422, not a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        where = []
        if b"%00" in raw_path or b"\x00" in raw_path or "\x00" in scope["path"]:
            where.append("path")
        if b"%00" in scope.get("query_string", b""):
            where.append("query")
        body = b""
        if scope["method"] in ("POST", "PUT", "PATCH"):
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            if b"\x00" in body or b"\\u0000" in body:
                where.append("body")
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
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed and scope["method"] in ("POST", "PUT", "PATCH"):
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
