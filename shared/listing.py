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

__all__ = ["Page", "PageParams", "page_params", "respond_list"]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="page size (max 500)")] = 50,
    cursor: Annotated[str | None, Query(max_length=1000, description="opaque cursor from next_cursor")] = None,
) -> PageParams:
    offset = 0
    if cursor:
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())["o"])
        except Exception as exc:
            raise Problem(
                422, "INVALID_CURSOR", "cursor is not one this service issued", "游标无效", field="cursor"
            ) from exc
    return PageParams(limit=limit, offset=offset)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _flat(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def respond_list(request: Request, rows: Sequence[BaseModel], page: PageParams, has_more: bool) -> Any:
    """``rows`` is the page (the caller fetched ``limit + 1`` to learn ``has_more``)."""
    next_cursor = _cursor(page.offset + page.limit) if has_more else None
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
