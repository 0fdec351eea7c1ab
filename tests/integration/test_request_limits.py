"""What the web edge of every service refuses before any handler runs (quality.md "Security"):
cursors it did not issue, bodies over the size limit, over-long headers and tokens that live too
long. Each refusal is a 4xx problem in English and Chinese, and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from services.new_ccer_registry.adapters.orm import Account
from shared.listing import MAX_OFFSET
from shared.settings import Settings
from tests.harness import Stack, uscc

pytestmark = pytest.mark.integration

LIMIT = Settings().max_body_bytes


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


# One list of each service, and a role that may read it.
LISTS = {
    "new_ccer_registry": ("/api/v1/offset-lots", "ncsc_operator", {}),
    "legacy_ccer_registry": ("/api/v1/cancellations", "ncsc_operator", {}),
    "allowance_registry": ("/api/v1/accounts", "registry_initiator", {}),
    "provincial_review": ("/api/v1/reviews", "province_initiator", {"province": "110000"}),
}

NOT_ISSUED = {
    "not base64": "%%%not-base64%%%",
    "base64 of a non-JSON text": base64.urlsafe_b64encode(b"offset=10").decode(),
    "base64 of bytes that are not UTF-8": base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    "a JSON list": cursor_of([10]),
    "a JSON number": cursor_of(10),
    "an object without o": cursor_of({"x": 10}),
    "an object with another key too": cursor_of({"o": 10, "x": 1}),
    "a negative offset": cursor_of({"o": -1}),
    "an offset of 10^30": cursor_of({"o": 10**30}),
    "an offset just above the maximum": cursor_of({"o": MAX_OFFSET + 1}),
    "a float offset": cursor_of({"o": 1.5}),
    "a string offset": cursor_of({"o": "5"}),
    "a boolean offset": cursor_of({"o": True}),
    "a null offset": cursor_of({"o": None}),
    "an overlong cursor": cursor_of({"o": 1, "pad": "x" * 500}),
}


async def test_a_cursor_the_service_did_not_issue_is_a_422_invalid_cursor_on_every_service(stack: Stack) -> None:
    for service, (path, role, claims) in LISTS.items():
        client = stack[service].client
        headers = stack.token(role, **claims)
        for what, cursor in NOT_ISSUED.items():
            answer = await client.get(path, params={"cursor": cursor}, headers=headers)
            assert answer.status_code == 422, (service, what, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            body = answer.json()
            assert body["code"] == "INVALID_CURSOR", (service, what)
            assert body["errors"][0]["field"] == "cursor"
            assert body["errors"][0]["message"] and body["errors"][0]["message_zh"]


async def test_issued_cursors_and_the_maximum_offset_are_accepted(stack: Stack) -> None:
    for service, (path, role, claims) in LISTS.items():
        client = stack[service].client
        headers = stack.token(role, **claims)
        for cursor in (cursor_of({"o": 0}), cursor_of({"o": 3}), cursor_of({"o": MAX_OFFSET})):
            answer = await client.get(path, params={"cursor": cursor}, headers=headers)
            assert answer.status_code == 200, (service, answer.text)
        assert (await client.get(path, params={"cursor": cursor_of({"o": MAX_OFFSET})}, headers=headers)).json()[
            "items"
        ] == []


async def test_next_cursor_pages_through_a_list(stack: Stack) -> None:
    client = stack["allowance_registry"].client
    headers = stack.token("registry_initiator")
    for _ in range(2):
        opened = await client.post(
            "/api/v1/accounts",
            json={
                "holder": {"name": "测试单位", "uscc": uscc()},
                "province": "110000",
                "account_type": "national_key_emitter",
                "sector": "power",
            },
            headers=headers,
        )
        assert opened.status_code == 201, opened.text
    first = (await client.get("/api/v1/accounts", params={"limit": 1}, headers=headers)).json()
    assert first["next_cursor"]
    second = await client.get("/api/v1/accounts", params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers)
    assert second.status_code == 200
    assert second.json()["items"] and second.json()["items"] != first["items"]


# --- request bodies ---------------------------------------------------------------------------------


def account_json(org: str, size: int | None = None) -> bytes:
    """A valid account-opening body for ``org``, padded with JSON whitespace to ``size`` bytes."""
    body = json.dumps(
        {"holder": {"name": "测试单位", "uscc": org}, "province": "110000", "account_type": "national_key_emitter"},
        ensure_ascii=False,
    ).encode()
    return body if size is None else body + b" " * (size - len(body))


async def accounts_of(stack: Stack, org: str) -> int:
    async with stack["new_ccer_registry"].runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Account).where(Account.holder_uscc == org)))


def assert_too_large(answer: httpx.Response) -> None:
    assert answer.status_code == 413, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "BODY_TOO_LARGE"
    assert str(LIMIT) in body["detail"]
    assert body["errors"][0]["message_zh"]


async def test_a_body_over_the_limit_is_refused_with_413_by_its_content_length_and_nothing_is_stored(
    stack: Stack,
) -> None:
    org = uscc()
    client = stack["new_ccer_registry"].client
    headers = {**stack.token("ncsc_operator"), "content-type": "application/json"}
    answer = await client.post("/api/v1/accounts", content=account_json(org, LIMIT + 1), headers=headers)
    assert_too_large(answer)
    assert await accounts_of(stack, org) == 0


async def test_a_content_length_far_over_the_limit_is_refused_before_the_body_is_read(stack: Stack) -> None:
    read: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(1000):
            read.append(1)
            yield b" " * 65536

    client = stack["new_ccer_registry"].client
    headers = {**stack.token("ncsc_operator"), "content-type": "application/json", "content-length": str(10**12)}
    answer = await client.post("/api/v1/accounts", content=endless(), headers=headers)
    assert_too_large(answer)
    assert len(read) <= 1


async def test_a_chunked_body_over_the_limit_is_refused_with_413_as_it_streams_and_nothing_is_stored(
    stack: Stack,
) -> None:
    org = uscc()
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        # A complete, valid body first; then whitespace until well past the limit.
        yield account_json(org)
        for _ in range(4 * LIMIT // 65536):
            sent.append(65536)
            yield b" " * 65536

    client = stack["new_ccer_registry"].client
    for extra in ({}, {"Idempotency-Key": f"big-{org}"}):
        sent.clear()
        headers = {**stack.token("ncsc_operator"), "content-type": "application/json", **extra}
        answer = await client.post("/api/v1/accounts", content=chunks(), headers=headers)
        assert "content-length" not in answer.request.headers
        assert_too_large(answer)
        assert sum(sent) <= LIMIT + 65536  # it stopped reading at the limit
    assert await accounts_of(stack, org) == 0


async def test_a_body_of_exactly_the_limit_passes_to_validation(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    headers = {**stack.token("ncsc_operator"), "content-type": "application/json"}
    org = uscc()
    created = await client.post("/api/v1/accounts", content=account_json(org, LIMIT), headers=headers)
    assert created.status_code == 201, created.text
    assert await accounts_of(stack, org) == 1
    invalid = json.dumps({"holder": {"name": "x", "uscc": "bad"}}).encode()
    refused = await client.post(
        "/api/v1/accounts", content=invalid + b" " * (LIMIT - 1 - len(invalid)), headers=headers
    )
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_FAILED"


async def test_413_is_documented_as_a_problem_on_every_operation(stack: Stack) -> None:
    spec = (await stack["allowance_registry"].client.get("/openapi.json")).json()
    create = spec["paths"]["/api/v1/accounts"]["post"]["responses"]["413"]
    assert list(create["content"]) == ["application/problem+json"]


# --- headers ----------------------------------------------------------------------------------------


async def test_an_overlong_or_unprintable_idempotency_key_is_a_422_problem_and_changes_nothing(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    for key in ("k" * 201, b"key\twith-a-tab", "ключ".encode()):
        org = uscc()
        answer = await client.post(
            "/api/v1/accounts",
            content=account_json(org),
            headers={**stack.token("ncsc_operator"), "content-type": "application/json", "Idempotency-Key": key},
        )
        assert answer.status_code == 422, (key[:20], answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "INVALID_HEADER"
        assert answer.json()["errors"][0]["field"] == "Idempotency-Key"
        assert answer.json()["errors"][0]["message_zh"]
        assert await accounts_of(stack, org) == 0
    org = uscc()
    fine = await client.post(
        "/api/v1/accounts",
        content=account_json(org),
        headers={**stack.token("ncsc_operator"), "content-type": "application/json", "Idempotency-Key": "k" * 200},
    )
    assert fine.status_code == 201, fine.text


async def test_overlong_authorization_and_accept_headers_are_422_problems(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    token = stack.token("ncsc_operator")
    for name, headers in (
        ("Authorization", {"Authorization": "Bearer " + "a" * 9000}),
        ("Accept", {**token, "Accept": "text/csv," + "x" * 2000}),
    ):
        answer = await client.get("/api/v1/offset-lots", headers=headers)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["code"] == "INVALID_HEADER"
        assert answer.json()["errors"][0]["field"] == name


async def test_a_header_value_that_is_not_utf8_is_not_a_500(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    headers = {**stack.token("ncsc_operator"), "content-type": "application/json", "X-Note": b"caf\xe9"}
    org = uscc()
    answer = await client.post(
        "/api/v1/accounts",
        content=account_json(org),
        headers={**headers, "Idempotency-Key": f"latin1-{org}"},
    )
    assert answer.status_code == 201, answer.text


async def test_an_idempotent_post_to_a_very_long_path_is_not_a_500(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    answer = await client.post(
        "/api/v1/accounts/" + "A" * 600 + "/binding",
        json={"allowance_account_id": "ALW-1"},
        headers={**stack.token("enterprise", org=uscc()), "Idempotency-Key": f"long-{uscc()}"},
    )
    assert 400 <= answer.status_code < 500, answer.text


# --- token lifetime ---------------------------------------------------------------------------------


def signed(stack: Stack, **claims: Any) -> dict[str, str]:
    token = jwt.encode({"sub": "u-1", "role": "ncsc_operator", **claims}, stack.settings.secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def raw_token(stack: Stack, payload: str) -> dict[str, str]:
    """A token whose claims are ``payload`` as written (JSON that jwt.encode would not produce)."""

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(payload.encode())
    signature = hmac.new(stack.settings.secret.encode(), signing_input, hashlib.sha256).digest()
    return {"Authorization": "Bearer " + (signing_input + b"." + b64(signature)).decode()}


async def test_a_token_that_lives_longer_than_the_maximum_is_a_401_problem(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    now = int(time.time())
    longest = stack.settings.token_max_lifetime_seconds
    for what, headers in (
        ("exp 10^30", signed(stack, exp=10**30)),
        ("exp 10^30 with iat", signed(stack, iat=now, exp=10**30)),
        ("a day and an hour from iat", signed(stack, iat=now, exp=now + longest + 3600)),
        ("a day and an hour from now, no iat", signed(stack, exp=now + longest + 3600)),
        ("issued long ago, still valid", signed(stack, iat=now - 10 * longest, exp=now + 60)),
    ):
        answer = await client.get("/api/v1/offset-lots", headers=headers)
        assert answer.status_code == 401, (what, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "TOKEN_LIFETIME_TOO_LONG", what
        assert answer.json()["errors"][0]["message_zh"]


async def test_a_token_with_odd_exp_or_iat_is_a_401_problem_not_a_500(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    now = int(time.time())
    for payload in (
        '{"sub":"u","role":"ncsc_operator","exp":1e400}',
        f'{{"sub":"u","role":"ncsc_operator","exp":{"9" * 5000}}}',
        f'{{"sub":"u","role":"ncsc_operator","exp":"{now + 60}"}}',
        '{"sub":"u","role":"ncsc_operator","exp":true}',
        f'{{"sub":"u","role":"ncsc_operator","exp":{now + 60},"iat":1e400}}',
        f'{{"sub":"u","role":"ncsc_operator","exp":{now + 60},"iat":"{now}"}}',
        f'{{"sub":"u","role":"ncsc_operator","exp":{now + 60},"iat":-1e300}}',
        '{"sub":"u","role":"ncsc_operator","exp":NaN}',
    ):
        answer = await client.get("/api/v1/offset-lots", headers=raw_token(stack, payload))
        assert answer.status_code == 401, (payload[:80], answer.text)
        assert answer.json()["errors"][0]["message_zh"]


async def test_tokens_within_the_maximum_lifetime_are_accepted(stack: Stack) -> None:
    client = stack["new_ccer_registry"].client
    now = int(time.time())
    longest = stack.settings.token_max_lifetime_seconds
    for headers in (
        stack.token("ncsc_operator"),  # minted as `ccer token` mints (12 h)
        signed(stack, iat=now, exp=now + longest),
        signed(stack, exp=now + longest - 60),
        signed(stack, iat=now - 3600, exp=now + 3600),
    ):
        answer = await client.get("/api/v1/offset-lots", headers=headers)
        assert answer.status_code == 200, answer.text
