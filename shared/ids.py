"""Readable, unique identifiers: a prefix naming the kind of object, then 12 hex digits."""

from __future__ import annotations

import uuid

__all__ = ["new_id"]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
