"""A verified token is remembered until its ``exp`` (clients send the same token on every call), and
never past it, nor for another secret or lifetime limit."""

from __future__ import annotations

import time

import pytest

from shared.auth import decode_token, mint_token
from shared.problems import Problem

SECRET = "unit-test-secret-of-some-length-0123456789"


def test_a_token_decodes_the_same_from_the_cache() -> None:
    token = mint_token(SECRET, "province_initiator", province="110000", sub="ini-1")
    first = decode_token(SECRET, token, max_lifetime_seconds=86_400)
    again = decode_token(SECRET, token, max_lifetime_seconds=86_400)
    assert again == first and (again.role, again.province, again.sub) == ("province_initiator", "110000", "ini-1")


def test_a_remembered_token_is_refused_once_it_expired() -> None:
    token = mint_token(SECRET, "ncsc_operator", sub="n-1", ttl_seconds=1)
    assert decode_token(SECRET, token, max_lifetime_seconds=86_400).sub == "n-1"
    time.sleep(1.1)
    with pytest.raises(Problem) as refused:
        decode_token(SECRET, token, max_lifetime_seconds=86_400)
    assert (refused.value.status, refused.value.code) == (401, "INVALID_TOKEN")


def test_a_remembered_token_is_checked_again_for_another_secret_or_lifetime_limit() -> None:
    token = mint_token(SECRET, "ncsc_operator", sub="n-2", ttl_seconds=7200)
    assert decode_token(SECRET, token, max_lifetime_seconds=86_400).sub == "n-2"
    with pytest.raises(Problem) as wrong_secret:
        decode_token("another-secret-of-some-length-0123456789", token, max_lifetime_seconds=86_400)
    assert wrong_secret.value.code == "INVALID_TOKEN"
    with pytest.raises(Problem) as too_long:
        decode_token(SECRET, token, max_lifetime_seconds=3_600)
    assert too_long.value.code == "TOKEN_LIFETIME_TOO_LONG"
