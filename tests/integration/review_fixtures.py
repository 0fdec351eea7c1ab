"""Builders for the provincial-review integration tests: the events the allowance registry would
publish (application.submitted, notice.issued, compliance.completed) and small API helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.harness import Stack, uscc

ELIGIBILITY_2023 = {
    "origins": ["new", "legacy"],
    "legacy_recorded_before": "2017-03-14",
    "new_registered_on_or_after": "2024-01-22",
    "exclude_within_national_ets": True,
}
BASE = "/api/v1"


def new_project(number: str = "CCER-14-0001", **kw: Any) -> dict[str, Any]:
    return {
        "number": number,
        "name": "风电项目",
        "type": "wind",
        "region": "河北省",
        "methodology": "CCER-01-001",
        "registered_or_recorded_at": "2024-06-01",
        "within_national_ets": False,
        **kw,
    }


@dataclass
class Unit:
    """A key emitting unit of a province with an enterprise notice for 2023."""

    province: str = "110000"
    name: str = "华能测试电厂"
    uscc: str = field(default_factory=uscc)
    account_id: str = field(default_factory=lambda: f"ALA-{uuid.uuid4().hex[:12]}")
    notice_id: str = field(default_factory=lambda: f"NTC-{uuid.uuid4().hex[:12]}")
    obligation: int = 1_000_000
    period_code: str = "2023"

    def account(self) -> dict[str, str]:
        return {"id": self.account_id, "name": self.name, "uscc": self.uscc, "province": self.province}

    def notice_issued(self, **kw: Any) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "period_code": self.period_code,
            "account": self.account(),
            "obligation": self.obligation,
            "deadline": "2025-01-01T00:00:00+08:00",
            **kw,
        }

    def submitted(
        self,
        application_id: str | None = None,
        *,
        revision: int = 1,
        allowances: int = 950_000,
        ccer: int = 50_000,
        project: dict[str, Any] | None = None,
        obligation: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        items: list[dict[str, Any]] = [{"kind": "allowance", "instrument": "PE2023000001", "quantity": allowances}]
        if ccer:
            items.append(
                {
                    "kind": "ccer",
                    "lot_id": f"LOT-{uuid.uuid4().hex[:12]}",
                    "project": project or new_project(),
                    "origin": "new",
                    "quantity": ccer,
                }
            )
        return {
            "application_id": application_id or f"APP-{uuid.uuid4().hex[:12]}",
            "revision": revision,
            "account": self.account(),
            "period": {
                "code": self.period_code,
                "cap_bp": 500,
                "deadline": "2025-01-01T00:00:00+08:00",
                "eligibility": ELIGIBILITY_2023,
            },
            "notice": {
                "id": self.notice_id,
                "obligation": obligation or self.obligation,
                "fulfilled": 0,
                "under_review": 0,
            },
            "items": items,
            "submitted_at": "2024-12-20T10:00:00+08:00",
            **kw,
        }


async def issue_notice(stack: Stack, unit: Unit) -> None:
    await stack.publish("allowance_registry.notice.issued", unit.notice_issued(), correlation_id=unit.notice_id)


async def submit(stack: Stack, payload: dict[str, Any], *, quiet: bool = True) -> None:
    await stack.publish("allowance_registry.application.submitted", payload, correlation_id=payload["application_id"])
    if quiet:
        await stack.quiet()


def initiator(stack: Stack, unit: Unit, sub: str | None = None) -> dict[str, str]:
    return stack.token("province_initiator", province=unit.province, sub=sub or f"init-{uuid.uuid4().hex[:6]}")


def confirmer(stack: Stack, unit: Unit, sub: str | None = None) -> dict[str, str]:
    return stack.token("province_confirmer", province=unit.province, sub=sub or f"conf-{uuid.uuid4().hex[:6]}")


async def cases_of(stack: Stack, unit: Unit, application_id: str) -> list[dict[str, Any]]:
    answer = await stack["provincial_review"].client.get(
        f"{BASE}/reviews", params={"application_id": application_id}, headers=initiator(stack, unit)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]  # type: ignore[no-any-return]


async def the_case(stack: Stack, unit: Unit, application_id: str) -> dict[str, Any]:
    cases = await cases_of(stack, unit, application_id)
    assert len(cases) == 1, cases
    return cases[0]


async def first_review(
    stack: Stack,
    case_id: str,
    headers: dict[str, str],
    recommendation: str,
    findings: list[dict[str, Any]] | None = None,
) -> Any:
    return await stack["provincial_review"].client.post(
        f"{BASE}/reviews/{case_id}/first-review",
        headers=headers,
        json={"recommendation": recommendation, "findings": findings or []},
    )


async def second_review(stack: Stack, case_id: str, headers: dict[str, str], decision: str, comment: str = "") -> Any:
    return await stack["provincial_review"].client.post(
        f"{BASE}/reviews/{case_id}/second-review", headers=headers, json={"decision": decision, "comment": comment}
    )


async def produced(stack: Stack, application_id: str) -> list[dict[str, Any]]:
    """Events provincial_review produced for the application (its outbox, published or not)."""
    answer = await stack["provincial_review"].client.get(
        f"{BASE}/admin/events", params={"correlation_id": application_id}, headers=stack.token("sim_admin")
    )
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json() if e["direction"] == "produced"]
