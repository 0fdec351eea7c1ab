"""A finding: one problem with a stable code, in English and Chinese. Pure (no web framework), so
domain layers can return findings; shared.errors turns a list of them into a problem response."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["Finding"]


class Finding(BaseModel):
    code: str
    message: str
    message_zh: str
    field: str | None = None
    item: int | None = None
