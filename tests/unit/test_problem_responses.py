"""The web edge's answers to bodies it cannot read, and how its error answers are documented
(found by fuzzing: an undocumented 400 ``HTTP_ERROR``; problems documented as application/json)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import httpx
import pytest

from services.allowance_registry.bootstrap import bootstrap
from services.allowance_registry.entrypoints.api import API
from shared.auth import mint_token
from shared.clock import Clock
from shared.messaging.memory import InMemoryBroker
from shared.settings import SERVICES, Settings
from shared.webapp import create_service_app


def _app(tmp_path: Path) -> tuple[httpx.AsyncClient, dict[str, str], object]:
    settings = Settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/allowance.db")
    app = create_service_app(lambda s: bootstrap(s, clock=Clock("simulated"), broker=InMemoryBroker()), API, settings)
    token = mint_token(settings.secret, "registry_initiator", sub="edge-test")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return client, {"Authorization": f"Bearer {token}", "content-type": "application/json"}, app


async def test_a_body_that_is_not_utf8_json_is_a_documented_422_problem(tmp_path: Path) -> None:
    client, headers, _ = _app(tmp_path)
    async with client:
        for body, code in (
            (b"\xff\xfe{not utf-8", "INVALID_JSON_INVALID"),
            (b"[" * 1000 + b"]" * 1000, "BODY_NOT_JSON"),
        ):
            answer = await client.post("/api/v1/accounts", content=body, headers=headers)
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            problem = answer.json()
            assert problem["code"] == "VALIDATION_FAILED"
            assert [e["code"] for e in problem["errors"]] == [code], problem
            assert problem["errors"][0]["message_zh"] != problem["errors"][0]["message"]


async def test_every_documented_error_answer_is_problem_json(tmp_path: Path) -> None:
    client, _, app = _app(tmp_path)
    schema = app.openapi()  # type: ignore[attr-defined]
    documented = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5") and response.get("content"):
                    assert set(response["content"]) == {"application/problem+json"}, (method, path, status)
                    documented += 1
    assert documented > 100
    assert "405" in schema["paths"]["/api/v1/accounts"]["post"]["responses"]
    await client.aclose()


@pytest.mark.parametrize("service", SERVICES)
async def test_the_api_docs_of_every_service_load_their_scripts_from_the_service_itself(
    service: str, tmp_path: Path
) -> None:
    # tests/e2e/test_docs_render.py shows in a browser that the pages then render the operations.
    create_app = importlib.import_module(f"services.{service}.entrypoints.app").create_app
    app = create_app(Settings(data_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            assets = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert assets and all(a.startswith("/") for a in assets), (page, assets)
            for asset in assets:
                if asset != "/openapi.json":
                    answer = await client.get(asset)
                    assert answer.status_code == 200 and len(answer.content) > 1000, asset
