"""The joint account opening's web edge (seed 004 §三): the checklist and its CSV name the letter of
authorisation and the authorised person's identity when an authorised person signs the entry
agreement, and which materials are posted on paper; an application without them is a 422 listing
every missing material."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from services.new_ccer_registry.bootstrap import bootstrap
from services.new_ccer_registry.entrypoints.api import API
from shared.auth import mint_token
from shared.clock import Clock
from shared.messaging.memory import InMemoryBroker
from shared.settings import Settings
from shared.webapp import create_service_app

CHECKLIST = "/api/v1/account-applications/checklist?account_type=project_owner&org_form=legal_person"
USCC = "91130700MA0HBLT23E"
PDF = "12f6ad90fd613c8994773abac58165b3e700ea795c7e4b6a3fb2175d03ea497d"


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    settings = Settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/new.db")
    app = create_service_app(lambda s: bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker()), API, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield http, settings.secret


def enterprise(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(secret, 'enterprise', sub='owner-zhao', org=USCC)}"}


async def test_the_checklist_and_its_csv_add_15_and_16_for_an_authorised_signatory_and_mark_13_and_14_electronic(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as (http, secret):
        legal = await http.get(CHECKLIST, headers=enterprise(secret))
        authorised = await http.get(CHECKLIST + "&agreement_signed_by=authorised_person", headers=enterprise(secret))
        as_csv = await http.get(
            CHECKLIST + "&agreement_signed_by=authorised_person",
            headers={**enterprise(secret), "Accept": "text/csv"},
        )

    assert legal.status_code == authorised.status_code == as_csv.status_code == 200, authorised.text
    assert [i["no"] for i in legal.json()["items"]] == [1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    items = authorised.json()["items"]
    assert [i["no"] for i in items] == [1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    assert {i["no"]: i["paper_copies"] for i in items if i["paper_copies"] != 2} == {13: 0, 14: 0}
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["no"], r["paper_copies"]) for r in rows][-4:] == [("13", "0"), ("14", "0"), ("15", "2"), ("16", "2")]
    assert rows[-2]["name_zh"].startswith("授权委托书")


async def test_an_application_signed_by_an_authorised_person_without_the_letter_is_a_422_listing_each_missing(
    tmp_path: Path,
) -> None:
    contact = {"name": "赵敏", "phone": "13800000001", "email": "zhaomin@example.cn"}
    given = [{"no": n, "file_name": f"{n}.pdf", "sha256": PDF} for n in (1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13)]
    body: dict[str, Any] = {
        "org": {"name": "塞罕坝", "uscc": USCC, "org_form": "legal_person", "foreign_invested": False},
        "account_type": "project_owner",
        "province": "130000",
        "contacts": {"account_representative": contact, "trading_representative": contact},
        "materials": given,
        "agreement_signed_by": "authorised_person",
    }
    async with running(tmp_path) as (http, secret):
        refused = await http.post("/api/v1/account-applications", json=body, headers=enterprise(secret))
        body["materials"] = given + [{"no": n, "file_name": f"{n}.pdf", "sha256": PDF} for n in (14, 15, 16)]
        accepted = await http.post("/api/v1/account-applications", json=body, headers=enterprise(secret))

    assert refused.status_code == 422, refused.text
    assert [(e["code"], e["message"].split(" (")[0]) for e in refused.json()["errors"]] == [
        ("MATERIAL_MISSING", "material 14"),
        ("MATERIAL_MISSING", "material 15"),
        ("MATERIAL_MISSING", "material 16"),
    ]
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["agreement_signed_by"] == "authorised_person"
