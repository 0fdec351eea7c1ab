"""Compliance periods (履约范围 / 抵销规则, domain.md §4): a definition is data, built in or
proposed in full, approved by a second person; its recall instant follows the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.domain_types import BilingualError
from shared.findings import Finding, two_person_rule
from shared.offset_rules import Eligibility
from shared.validation_zh import zh_message
from shared.workdays import WorkdayCalendar, due_after_working_days

__all__ = [
    "CODE_PATTERN",
    "DefinitionInvalid",
    "PeriodDefinition",
    "PeriodStatus",
    "build_definition",
    "recall_instant",
    "two_person_finding",
]

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"


class PeriodStatus(StrEnum):
    """pending_approval — 待审核; active — 已生效"""

    pending_approval = "pending_approval"
    active = "active"


class PeriodDefinition(BaseModel):
    """Everything a period decides: scope, cap, eligible CCER, deadlines, recall."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    allowance_instruments: list[str] = Field(min_length=1)
    cap_bp: int = Field(ge=0, le=10000, strict=True)
    eligibility: Eligibility
    application_deadline: AwareDatetime
    target_date: AwareDatetime | None = None
    recall_after_working_days: int | None = Field(default=None, ge=1, le=250, strict=True)
    period_end: date | None = None

    @model_validator(mode="after")
    def _recall_needs_period_end(self) -> PeriodDefinition:
        if self.recall_after_working_days is not None and self.period_end is None:
            raise BilingualError(
                "recall_after_working_days needs period_end (the day the working days count from)",
                "设置 recall_after_working_days 时须同时设置 period_end（工作日自该日起算）",
            )
        if len(set(self.allowance_instruments)) != len(self.allowance_instruments):
            raise BilingualError(
                "allowance_instruments lists an instrument twice", "allowance_instruments 中有重复的配额标的"
            )
        return self


class DefinitionInvalid(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def build_definition(
    builtin: dict[str, Any] | None, builtin_key: str | None, overrides: dict[str, Any]
) -> PeriodDefinition:
    """A built-in definition with any field overridden, or a full definition; every problem at once."""
    values: dict[str, Any] = {}
    if builtin is not None:
        values.update(builtin)
        values.setdefault("code", builtin_key)
    # Only the fields the proposer sent: an explicit null clears a built-in value.
    values.update(overrides)
    try:
        return PeriodDefinition.model_validate(values)
    except ValidationError as exc:
        raise DefinitionInvalid([_finding(err) for err in exc.errors()]) from exc


def _finding(err: Any) -> Finding:
    field = ".".join(str(p) for p in err.get("loc", ())) or "body"
    kind = str(err.get("type", "value_error"))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if kind == "missing":
        return Finding(
            code="PERIOD_FIELD_MISSING",
            message=f"{field} is required for a period definition",
            message_zh=f"履约期定义缺少字段 {field}",
            field=field,
        )
    return Finding(
        code="PERIOD_FIELD_INVALID",
        message=f"{field}: {msg}",
        message_zh=f"履约期定义字段 {field} 无效：{zh_message(err)}",
        field=field,
    )


def two_person_finding(proposed_by: str, approver: str) -> Finding | None:
    """Maker-checker: the person who proposed a period may never approve it, whatever roles they hold."""
    return two_person_rule(proposed_by, approver, "proposed this period", "发起该履约期")


def recall_instant(calendar: WorkdayCalendar, definition: PeriodDefinition) -> datetime | None:
    """Pending CCER still unused N working days after the period's end are recalled at this instant."""
    if definition.recall_after_working_days is None or definition.period_end is None:
        return None
    return due_after_working_days(calendar, definition.period_end, definition.recall_after_working_days)
