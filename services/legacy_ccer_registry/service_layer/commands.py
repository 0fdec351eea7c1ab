"""Typed commands of the legacy registry (none yet: the legacy path adds them)."""

from __future__ import annotations

__all__: list[str] = []
