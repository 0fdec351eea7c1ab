"""Bounds on every input, declared once (api.md "limits"): each request string has a maximum length,
each number a minimum and a maximum, each list a maximum number of items, each date and instant the
range 1990-01-01 .. 2100-12-31. The types carry their bounds into the OpenAPI document, and a value
outside them is a 422 problem (never a 500, never a 20 MB row)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field

from shared.timeutil import CST

__all__ = [
    "DATE_RANGE",
    "FIRST_DAY",
    "FIRST_INSTANT",
    "LAST_DAY",
    "LAST_INSTANT",
    "MAX_ITEMS",
    "MAX_QUANTITY",
    "Code",
    "Day",
    "Id",
    "Instant",
    "Name",
    "Quantity",
    "Reason",
    "ReasonCode",
    "Remark",
    "Sha256",
    "SignedQuantity",
    "Year",
]

FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2100, 12, 31)
FIRST_INSTANT = datetime(1990, 1, 1, tzinfo=CST)
LAST_INSTANT = datetime(2100, 12, 31, 23, 59, 59, tzinfo=CST)
DATE_RANGE = "from 1990-01-01 to 2100-12-31 — 日期范围 1990-01-01 至 2100-12-31"

# Far above any real holding or obligation (tonnes), far below a 64-bit column.
MAX_QUANTITY = 10**12
# The most entries a request list takes unless a field says otherwise.
MAX_ITEMS = 200


Id = Annotated[str, Field(min_length=1, max_length=64)]  # ids of accounts, applications, lots … (path, query, body)
Code = Annotated[str, Field(min_length=1, max_length=60)]  # codes: periods, instruments, filters
Name = Annotated[str, Field(min_length=1, max_length=200)]  # names of units, projects, instruments, periods
Remark = Annotated[str, Field(max_length=1000)]  # free text: reasons, comments, messages
Sha256 = Annotated[str, Field(max_length=64, pattern=r"^[0-9a-fA-F]{64}$")]
Reason = Annotated[str, Field(min_length=1, max_length=500)]  # one reason of a rejection or a return
ReasonCode = Annotated[str, Field(max_length=60, pattern=r"^[A-Z][A-Z0-9_]{0,59}$")]  # its stable code

Quantity = Annotated[
    int, Field(strict=True, gt=0, le=MAX_QUANTITY, description="whole tonnes CO2e — 吨二氧化碳当量（正整数）")
]
# An application item's quantity: its sign is checked at submission with every other problem.
SignedQuantity = Annotated[int, Field(strict=True, ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
Year = Annotated[int, Field(strict=True, ge=FIRST_DAY.year, le=LAST_DAY.year)]


def _note_range(schema: dict[str, Any]) -> None:
    # Appended, so a field's own description keeps the range (a description set on the field
    # replaces the type's).
    schema["description"] = f"{schema.get('description', '')} ({DATE_RANGE})".lstrip()


Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra=_note_range)]
Instant = Annotated[AwareDatetime, Field(ge=FIRST_INSTANT, le=LAST_INSTANT, json_schema_extra=_note_range)]
