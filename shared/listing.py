"""List conventions: ``?limit=`` (default 50, max 500) and ``?cursor=``; ``{"items", "next_cursor"}``;
``Accept: text/csv`` returns the same rows as CSV."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from shared.problems import Problem

__all__ = ["MAX_OFFSET", "Page", "PageParams", "page_params", "respond_list"]

T = TypeVar("T")

# The furthest a cursor pages (OFFSET in SQL): deeper rows are reached by filtering the list. A
# cursor beyond it is never issued, and one that says so is refused.
MAX_OFFSET = 10_000_000
_MAX_CURSOR_CHARS = 64


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="page size (max 500)")] = 50,
    cursor: Annotated[
        str | None,
        Query(
            # The request-wide bound (422 VALIDATION_FAILED above it); _offset_of refuses anything the
            # service did not issue, longer than _MAX_CURSOR_CHARS included, as INVALID_CURSOR.
            max_length=1000,
            description="opaque cursor from next_cursor; a list pages up to offset "
            f"{MAX_OFFSET:,} (filter it to reach rows beyond). Any other value: 422 INVALID_CURSOR",
        ),
    ] = None,
) -> PageParams:
    offset = 0 if not cursor else _offset_of(cursor)
    if offset is None:
        raise Problem(
            422,
            "INVALID_CURSOR",
            "the cursor is not one this service issued (use next_cursor of the previous page)",
            "游标无效：不是本服务签发的游标（请使用上一页返回的 next_cursor）",
            field="cursor",
        )
    return PageParams(limit=limit, offset=offset)


def _offset_of(cursor: str) -> int | None:
    """The offset in a cursor this service issued (``_cursor``), or None for anything else."""
    if len(cursor) > _MAX_CURSOR_CHARS:
        return None
    try:
        claims = json.loads(base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True).decode())
    except ValueError:  # binascii.Error, UnicodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(claims, dict) or claims.keys() != {"o"}:
        return None
    offset = claims["o"]
    # bool is an int in Python; a cursor never holds one.
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        return None
    return offset


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _flat(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def respond_list(request: Request, rows: Sequence[BaseModel], page: PageParams, has_more: bool) -> Any:
    """``rows`` is the page (the caller fetched ``limit + 1`` to learn ``has_more``)."""
    following = page.offset + page.limit
    next_cursor = _cursor(following) if has_more and following <= MAX_OFFSET else None
    if "text/csv" in request.headers.get("accept", ""):
        docs = [r.model_dump(mode="json") for r in rows]
        out = io.StringIO()
        fields = list(docs[0].keys()) if docs else []
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for d in docs:
            writer.writerow({k: _flat(v) for k, v in d.items()})
        headers = {"X-Next-Cursor": next_cursor} if next_cursor else {}
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    return {"items": [r.model_dump(mode="json") for r in rows], "next_cursor": next_cursor}
