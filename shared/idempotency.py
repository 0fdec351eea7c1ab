"""``Idempotency-Key`` on POST/PUT: a repeat with the same key and body returns the first answer
and changes nothing; the same key with another body answers 409.

The first request claims the key (one statement) and runs. Its answer is held in memory until the
answer is stored with the key (or, after a 5xx, the key is freed), and only then sent: no client can
see an answer whose repeat would not return it.

A claim is a lease of :data:`CLAIM_LEASE_SECONDS` (wall time, like the relay's leases; the simulated
clock may stand still). While it runs, a repeat answers 409 ``IDEMPOTENCY_KEY_IN_USE`` with
``Retry-After``. A claim whose lease ran out without an answer means the request died midway (its
process stopped between claim and answer): no answer was ever given, so the next repeat takes the
key over and runs the request as new, against whatever the dead request had committed (until the
key is recorded in the request's own transaction, a request that died after its commit may thus run
twice; its own checks are what refuse the second run).

An answer larger than :data:`MAX_STORED_ANSWER_BYTES` is not kept: the key records its status and
that it was too large, then the answer streams out; a repeat answers 409
``IDEMPOTENT_ANSWER_NOT_STORED`` naming that status, and runs nothing again. An answer the database
would not store (after :data:`FINALISE_ATTEMPTS` tries) is not sent either: the client gets 503
``IDEMPOTENCY_ANSWER_NOT_STORED`` (the request was carried out) and the key is left to its lease."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import insert_or_ignore, one_statement
from shared.problems import Problem

__all__ = [
    "CLAIM_LEASE_SECONDS",
    "MAX_STORED_ANSWER_BYTES",
    "IdempotencyMiddleware",
    "send_problem",
]

log = logging.getLogger(__name__)

FINALISE_ATTEMPTS = 5
# Longer than any request may run (SQLite waits up to 30 s for its write lock): a live request never
# loses its key to a repeat. A request that died frees its key this long after it claimed it.
CLAIM_LEASE_SECONDS = 60.0
# A claim younger than this is told to retry in 1 s; an older one, when its lease runs out.
LIKELY_ALIVE_SECONDS = 5.0
# The largest answer kept for replay (the answers to POST/PUT are one resource, a few KiB).
MAX_STORED_ANSWER_BYTES = 1024 * 1024


def in_progress(retry_after: int) -> Problem:
    return Problem(
        409,
        "IDEMPOTENCY_KEY_IN_USE",
        f"a request with this Idempotency-Key is in progress; repeat it in {retry_after} s",
        f"使用该幂等键的请求正在处理中，请在 {retry_after} 秒后重试",
    )


NOT_STORED = Problem(
    503,
    "IDEMPOTENCY_ANSWER_NOT_STORED",
    "the request was carried out, but its answer could not be stored with its Idempotency-Key "
    "(the database did not answer); read the resource before repeating the request",
    "请求已执行，但其应答未能与幂等键一并保存（数据库无应答）；重试前请先查询相关资源",
)


class _Owner:
    """The claim of the request that runs."""

    def __init__(self, claim: str) -> None:
        self.claim = claim


class IdempotencyMiddleware:
    """Alone, it reads the body itself; in the services, :class:`shared.webapp.RequestGate` reads
    the body once and calls :meth:`run` with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def applies(scope: Scope) -> bool:
        """A POST or PUT with an ``Idempotency-Key``, to an app with a runtime (its database)."""
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            return False
        state = scope["app"].state if "app" in scope else None
        if state is None or not hasattr(state, "runtime"):
            return False
        key = b""
        for name, value in scope["headers"]:
            if name.lower() == b"idempotency-key":
                key = value  # the last one, as the header map the request runs with
        return bool(key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.applies(scope):
            await self.app(scope, receive, send)
            return
        parts = []
        more = True
        while more:
            message = await receive()
            parts.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(parts)
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.run(scope, replay_receive, send, body)

    async def run(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        """The request (one :meth:`applies` to) whose whole body is ``body``; ``receive`` gives the
        app that same body."""
        # Header values are bytes; latin-1 decodes any of them (the request gate admits only
        # printable ASCII in the headers read here).
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers["idempotency-key"]
        runtime = scope["app"].state.runtime
        caller = hashlib.sha256(headers.get("authorization", "").encode()).hexdigest()[:64]
        body_hash = hashlib.sha256(scope["method"].encode() + scope["path"].encode() + body).hexdigest()
        table = runtime.infra.idempotency

        claimed = await self._claim(runtime, table, key, caller, scope, body_hash)
        if not isinstance(claimed, _Owner):
            await self._answer_repeat(send, claimed, body_hash)
            return
        where = (table.c.key == key, table.c.caller == caller, table.c.claim == claimed.claim)

        start: Message | None = None
        parts: list[bytes] = []
        size = 0
        # "held" until the answer is complete; "streaming" once an answer too large to keep was
        # recorded as such, and goes out as it comes; "dropped" when even that could not be recorded.
        mode = "held"

        async def held_send(message: Message) -> None:
            nonlocal start, size, mode
            if mode == "streaming":
                await send(message)
            elif mode == "dropped":
                return
            elif message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                size += len(parts[-1])
                if size > MAX_STORED_ANSWER_BYTES and start is not None:
                    status = start["status"]
                    recorded = True  # a 5xx frees the key; should that fail, its lease does
                    if status >= 500:
                        await self._finish(runtime, delete(table).where(*where), quietly=True)
                    else:
                        # Kept: that the request was answered, and with which status; not the answer.
                        recorded = await self._finish(
                            runtime,
                            update(table).where(*where).values(status_code=status, locked_until=None),
                            quietly=True,
                        )
                    if not recorded:
                        mode = "dropped"
                        await send_problem(send, NOT_STORED)
                        return
                    mode = "streaming"
                    await send(start)
                    more = message.get("more_body", False)
                    await send({"type": "http.response.body", "body": b"".join(parts), "more_body": more})
                    parts.clear()
            else:
                await send(message)

        try:
            await self.app(scope, receive, held_send)
        except BaseException:
            if mode == "held":
                # No answer left: the request failed, and the key may be used again.
                await self._finish(runtime, delete(table).where(*where), quietly=True)
            raise
        if mode != "held":
            return
        if start is None:  # an app that answered nothing: as a failure
            await self._finish(runtime, delete(table).where(*where), quietly=True)
            return
        answer = b"".join(parts)
        status = start["status"]
        if status >= 500:
            # Nothing was changed (the request failed): the key may be used again. Should the
            # database not answer, the lease frees the key.
            await self._finish(runtime, delete(table).where(*where), quietly=True)
        else:
            content_type = next(
                (v.decode("latin-1") for k, v in start.get("headers", []) if k.lower() == b"content-type"),
                "application/json",
            )
            stored = await self._finish(
                runtime,
                update(table)
                .where(*where)
                .values(
                    status_code=status,
                    response_body=answer.decode("utf-8", "replace"),
                    content_type=content_type[:100],
                    locked_until=None,
                ),
                quietly=True,
            )
            if not stored:
                await send_problem(send, NOT_STORED)
                return
        await send(start)
        await send({"type": "http.response.body", "body": answer})

    @staticmethod
    async def _claim(runtime: Any, table: Any, key: str, caller: str, scope: Scope, body_hash: str) -> _Owner | Any:
        """Claim the key: :class:`_Owner` when this request runs, else the key's row (a repeat, a
        concurrent twin, or another body). A claim whose lease ran out is taken over."""
        claim = uuid.uuid4().hex
        for _ in range(3):
            now = datetime.now(UTC)
            lease = now + timedelta(seconds=CLAIM_LEASE_SECONDS)
            async with one_statement(runtime.engine) as conn:
                inserted = await conn.execute(
                    insert_or_ignore(table, conn.dialect.name).values(
                        key=key,
                        caller=caller,
                        method=scope["method"],
                        path=scope["path"][:500],  # the column's width; body_hash has all of it
                        body_hash=body_hash,
                        created_at=now,
                        claim=claim,
                        locked_until=lease,
                    )
                )
                if inserted.rowcount == 1:
                    return _Owner(claim)
                row = (await conn.execute(select(table).where(table.c.key == key, table.c.caller == caller))).first()
                if row is None:  # the first request failed and gave the key back meanwhile: claim it
                    continue
                if row.body_hash != body_hash or row.status_code is not None:
                    return row
                if row.locked_until is not None and row.locked_until > now:
                    return row
                # The request that claimed the key died before it answered: take the key over.
                taken = await conn.execute(
                    update(table)
                    .where(
                        table.c.key == key,
                        table.c.caller == caller,
                        table.c.status_code.is_(None),
                        table.c.claim.is_not_distinct_from(row.claim),
                    )
                    .values(claim=claim, locked_until=lease, created_at=now)
                )
                if taken.rowcount == 1:
                    log.warning("idempotency key %r: its request died before answering; running it again", key)
                    return _Owner(claim)
                # Another repeat took it over, or it was answered or freed meanwhile: look again.
        return None

    @staticmethod
    async def _answer_repeat(send: Send, row: Any, body_hash: str) -> None:
        if row is None:
            await send_problem(send, in_progress(1), retry_after=1)
            return
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
            # A request claimed moments ago is most likely about to answer; one running for longer
            # has most likely died, and its key is free once its lease runs out.
            now = datetime.now(UTC)
            wait = 1
            if row.locked_until is not None and (now - row.created_at).total_seconds() >= LIKELY_ALIVE_SECONDS:
                wait = max(1, math.ceil((row.locked_until - now).total_seconds()))
            await send_problem(send, in_progress(wait), retry_after=wait)
            return
        if row.response_body is None:
            await send_problem(
                send,
                Problem(
                    409,
                    "IDEMPOTENT_ANSWER_NOT_STORED",
                    f"the request with this Idempotency-Key was carried out (status {row.status_code}); its answer "
                    f"was larger than {MAX_STORED_ANSWER_BYTES} bytes and was not kept for replay",
                    f"使用该幂等键的请求已执行（状态 {row.status_code}）；其应答超过 {MAX_STORED_ANSWER_BYTES} "
                    "字节，未保存以供重放",
                ),
            )
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
        await send({"type": "http.response.body", "body": row.response_body.encode()})

    @staticmethod
    async def _finish(runtime: Any, statement: Any, *, quietly: bool = False) -> bool:
        """Store the answer, or free the key, before the answer leaves. Retried on a fresh
        connection: when the database connection was cut mid-request, the first attempt may meet a
        dead connection too. False (``quietly``) when the database never answered."""
        for attempt in range(1, FINALISE_ATTEMPTS + 1):
            try:
                async with one_statement(runtime.engine) as conn:
                    done = await conn.execute(statement)
                if done.rowcount == 0:
                    log.warning("idempotency key: its claim was taken over by a repeat after its lease ran out")
                return True
            except (DBAPIError, OSError) as exc:
                if attempt == FINALISE_ATTEMPTS:
                    if not quietly:
                        raise
                    log.error("idempotency key: recording the answer failed (%s)", exc)
                    return False
                log.warning("idempotency key: recording the answer failed (%s); retrying", exc)
                await asyncio.sleep(0.1 * attempt)
        return False


async def send_problem(send: Send, problem: Problem, *, retry_after: int | None = None) -> None:
    """Answer ``problem`` from a pure ASGI middleware."""
    headers = [(b"content-type", b"application/problem+json")]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(problem.body(), ensure_ascii=False).encode()})
