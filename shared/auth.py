"""JWT authentication (HS256) and the role dependency of routes (api.md "Conventions", domain.md §2).
What a principal may *see* is the access-scope rule of ``shared.scope``."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from shared.principal import ROLES, Principal, Role
from shared.problems import Problem
from shared.reference import EXCHANGES, PROVINCES
from shared.uscc import is_valid_uscc

__all__ = [
    "ROLES",
    "Principal",
    "Role",
    "decode_token",
    "get_principal",
    "mint_token",
    "require",
]

ALGORITHM = "HS256"


def mint_token(
    secret: str,
    role: str,
    *,
    sub: str | None = None,
    org: str | None = None,
    province: str | None = None,
    exchange: str | None = None,
    ttl_seconds: int = 12 * 3600,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub or f"{role}-{uuid.uuid4().hex[:8]}",
        "role": role,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    for key, value in (("org", org), ("province", province), ("exchange", exchange)):
        if value is not None:
            claims[key] = value
    problems = _claim_problems(claims)
    if problems:
        raise ValueError("; ".join(problems))
    with warnings.catch_warnings():
        # The simulation's documented default secret is short; real deployments configure their own.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _claim_problems(claims: dict[str, Any]) -> list[str]:
    role = claims.get("role")
    problems = []
    if role not in ROLES:
        problems.append(f"unknown role {role!r}")
    if not claims.get("sub"):
        problems.append("claim sub is required")
    if role == "enterprise" and not is_valid_uscc(str(claims.get("org", ""))):
        problems.append("an enterprise token needs org = a valid USCC")
    if role in ("province_initiator", "province_confirmer") and claims.get("province") not in PROVINCES:
        problems.append("a province token needs province = a 6-digit division code")
    if role == "exchange_operator" and claims.get("exchange") not in EXCHANGES:
        problems.append("an exchange token needs exchange = an exchange code")
    return problems


# Tokens verified lately, with their expiry: a client sends the same token on every call, and verifying
# the signature and claims again each time cost a tenth of a simple request. Bounded (oldest dropped);
# an entry is used only before its exp, and only for the same secret and lifetime limit.
_VERIFIED: dict[tuple[str, str, int], tuple[float, Principal]] = {}
_VERIFIED_MAX = 4096


def decode_token(secret: str, token: str, *, max_lifetime_seconds: int) -> Principal:
    key = (secret, token, max_lifetime_seconds)
    hit = _VERIFIED.get(key)
    if hit is not None and time.time() < hit[0]:
        return hit[1]
    principal, exp = _verify(secret, token, max_lifetime_seconds)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        del _VERIFIED[next(iter(_VERIFIED))]
    _VERIFIED[key] = (exp, principal)
    return principal


def _verify(secret: str, token: str, max_lifetime_seconds: int) -> tuple[Principal, float]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as exc:
        raise Problem(401, "INVALID_TOKEN", f"invalid token: {exc}", "令牌无效") from exc
    problems = _claim_problems(claims)
    if problems:
        raise Problem(401, "INVALID_TOKEN", "invalid token: " + "; ".join(problems), "令牌声明无效")
    _check_lifetime(claims, max_lifetime_seconds)
    return Principal.model_validate(claims), float(claims["exp"])


def _check_lifetime(claims: dict[str, Any], longest: int) -> None:
    """``exp`` (and ``iat``, when present) are JSON numbers, and ``exp`` lies at most ``longest``
    seconds after ``iat`` (without one: after now). PyJWT already refused an expired token, an
    ``iat`` in the future, and values it cannot read as integers."""
    times = {k: claims[k] for k in ("exp", "iat") if k in claims}
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in times.values()):
        raise Problem(
            401, "INVALID_TOKEN", "invalid token: exp and iat must be numbers", "令牌无效：exp 与 iat 须为数字"
        )
    start = times.get("iat", time.time())
    if times["exp"] - start > longest:
        raise Problem(
            401,
            "TOKEN_LIFETIME_TOO_LONG",
            f"the token lives longer than the {longest} seconds allowed (exp - iat); ask for a shorter-lived one",
            f"令牌有效期超过允许的 {longest} 秒（exp - iat），请使用有效期更短的令牌",
        )


async def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "UNAUTHORIZED", "missing bearer token", "缺少访问令牌")
    settings = request.app.state.settings
    return decode_token(settings.secret, token.strip(), max_lifetime_seconds=settings.token_max_lifetime_seconds)


def require(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller must hold one of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Problem(
                403,
                "FORBIDDEN_ROLE",
                f"role {principal.role} may not do this (allowed: {', '.join(sorted(allowed))})",
                f"角色 {principal.role} 无权执行此操作",
            )
        return principal

    dependency.__name__ = "require_" + "_or_".join(sorted(allowed))
    return dependency
