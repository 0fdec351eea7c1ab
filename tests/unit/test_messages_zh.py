"""Every validation problem has a Chinese message in Chinese (found by hand: ``PERIOD_FIELD_INVALID``
and the USCC check carried English pydantic text in ``message_zh``; ``数值过大`` dropped the limit the
English message names). Codes, field names, quoted values and dates may stay as they are; English
words may not, and the limit must be there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic_core._pydantic_core import list_all_errors

from shared.validation_zh import zh_message
from tests.unit.test_date_bounds import running

# Notation, not English: acronyms, JSON literals, the date format.
NOTATION = {"JSON", "UTF", "RFC", "UUID", "URL", "ASCII", "Unicode", "null", "true", "false", "YYYY", "MM", "DD"}


def english_words(text: str, *allowed: str) -> list[str]:
    """The Latin-letter words left in ``text`` once the allowed parts are taken out."""
    for part in sorted(allowed, key=len, reverse=True):
        text = text.replace(part, " ")
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\^\S*\$", " ", text)  # quoted values, patterns
    text = re.sub(r"\b\w+_\w+\b", " ", text)  # field names and codes (snake_case, UPPER_SNAKE)
    text = re.sub(r"\d{4}-\d{2}-\d{2}(T[\d:.]+([+-]\d{2}:\d{2}|Z)?)?", " ", text)  # dates and instants
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in NOTATION]


@pytest.mark.parametrize("error", list_all_errors(), ids=lambda e: e["type"])
def test_every_pydantic_error_type_has_a_chinese_message_with_its_limits(error: dict[str, Any]) -> None:
    ctx = error.get("example_context") or {}
    if error["type"] in ("value_error", "assertion_error"):
        ctx = {"error": ValueError("something English")}
    ctx = {k: (123 if v in (0, None) and k not in ("error", "actual_length") else v) for k, v in ctx.items()}
    zh = zh_message({"type": error["type"], "msg": "English text", "ctx": ctx})
    assert re.search(r"[\u4e00-\u9fff]", zh), zh
    assert english_words(zh) == [], zh
    for key in ("gt", "ge", "lt", "le", "max_length", "min_length", "multiple_of", "max_digits"):
        if key in ctx:
            assert str(ctx[key]) in zh, (key, zh)


def _problems(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 422, answer.text
    return list(answer.json()["errors"])


def _chinese_with(problem: dict[str, Any], *expected: str) -> None:
    zh = problem["message_zh"]
    field = problem.get("field") or ""
    assert english_words(zh, field, *field.split("."), problem["code"]) == [], problem
    assert re.search(r"[\u4e00-\u9fff]", zh), problem
    for part in expected:
        assert part in zh, (part, problem)


async def test_representative_bad_requests_answer_fully_chinese_messages_with_their_limits(tmp_path: Path) -> None:
    async with running("allowance_registry", tmp_path) as c:
        initiator = c.as_("registry_initiator", sub="alice")
        account = await c.http.post(
            "/api/v1/accounts",
            json={
                "holder": {"name": "单" * 201, "uscc": "91350100M000100Y44"},
                "province": "990000",
                "account_type": "national_key_emitter",
                "sector": "x" * 61,
            },
            headers=initiator,
        )
        by_field = {p["field"]: p for p in _problems(account)}
        _chinese_with(by_field["holder.name"], "200")
        _chinese_with(by_field["holder.uscc"], "统一社会信用代码", "校验码", "4", "3")
        _chinese_with(by_field["province"], "990000")
        _chinese_with(by_field["sector"], "60")

        allocation = await c.http.post(
            "/api/v1/allocations",
            json={"account_id": "A" * 65, "instrument": "PE2021000097", "quantity": 10**13, "side": "sideways"},
            headers=initiator,
        )
        by_field = {p["field"]: p for p in _problems(allocation)}
        _chinese_with(by_field["account_id"], "64")
        _chinese_with(by_field["quantity"], "1000000000000")
        _chinese_with(by_field["side"], "registry", "trading")

        zero = await c.http.post(
            "/api/v1/allocations",
            json={"account_id": "A1", "instrument": "PE2021000097", "quantity": 0, "side": "registry"},
            headers=initiator,
        )
        _chinese_with(_problems(zero)[0], "0")

        clock = await c.http.put(
            "/api/v1/admin/clock", json={"now": "9999-01-01T00:00:00+08:00"}, headers=c.as_("sim_admin")
        )
        _chinese_with(_problems(clock)[0], "2100-12-31")

        # Found by the domain's own checks (a built-in definition with fields overridden).
        for overrides, field, limit in (
            ({"allowance_instruments": []}, "allowance_instruments", "1"),
            ({"period_end": None}, "body", ""),
            ({"allowance_instruments": ["PE2025000001", "PE2025000001"]}, "body", ""),
        ):
            period = await c.http.post(
                "/api/v1/compliance-periods", json={"builtin": "2024", "code": "p", **overrides}, headers=initiator
            )
            (problem,) = _problems(period)
            assert (problem["code"], problem["field"]) == ("PERIOD_FIELD_INVALID", field), problem
            _chinese_with(problem, limit)
