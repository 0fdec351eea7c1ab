"""A finding: one problem with a stable code, in English and Chinese. Pure (no web framework), so
domain layers can return findings; shared.errors turns a list of them into a problem response."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["TWO_PERSON_RULE", "Finding", "two_person_rule"]

# Answered with HTTP 403 by every approval (periods, reviews, creations, openings).
TWO_PERSON_RULE = "TWO_PERSON_RULE"


class Finding(BaseModel):
    code: str
    message: str
    message_zh: str
    field: str | None = None
    item: int | None = None


def two_person_rule(first_actor: str | None, second_actor: str, step: str, step_zh: str) -> Finding | None:
    """Maker-checker on user ids (``sub``): the person who took the first step of an approval may
    never take the second, whatever roles they hold. ``step`` names the first step (e.g. "proposed
    the period")."""
    if first_actor is None or first_actor != second_actor:
        return None
    return Finding(
        code=TWO_PERSON_RULE,
        message=f"you {step}; another person must take this step (two-person rule)",
        message_zh=f"您已{step_zh}，此步骤须由另一人完成（双人复核）",
    )
