"""The body limit over real HTTP (uvicorn with httptools, as ``ccer run`` serves): the client gets
the 413 problem, not a reset connection, and the service goes on answering."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.auth import mint_token
from shared.settings import Settings
from tests.harness import uscc

pytestmark = pytest.mark.e2e

LIMIT = Settings().max_body_bytes


async def test_a_body_over_the_limit_is_answered_413_over_http_and_the_service_keeps_serving(served: str) -> None:
    org = uscc()
    body = json.dumps(
        {"holder": {"name": "测试单位", "uscc": org}, "province": "110000", "account_type": "national_key_emitter"}
    ).encode()
    token = mint_token(Settings().secret, "ncsc_operator")
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}

    async def chunked() -> AsyncIterator[bytes]:
        yield body
        for _ in range(2 * LIMIT // 65536):
            yield b" " * 65536

    async with httpx.AsyncClient(base_url=served, timeout=60) as client:
        declared = await client.post("/api/v1/accounts", content=body + b" " * LIMIT, headers=headers)
        streamed = await client.post("/api/v1/accounts", content=chunked(), headers=headers)
        for answer in (declared, streamed):
            assert answer.status_code == 413, answer.text[:300]
            assert answer.json()["code"] == "BODY_TOO_LARGE"
        assert (await client.get("/healthz")).status_code == 200
        lots = await client.get("/api/v1/accounts/none", headers=headers)
        assert lots.status_code == 404
