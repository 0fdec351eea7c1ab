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
    claims: dict[str, Any] = {
        "sub": sub or f"{role}-{uuid.uuid4().hex[:8]}",
        "role": role,
        "exp": int(time.time()) + ttl_seconds,
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


def decode_token(secret: str, token: str) -> Principal:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as exc:
        raise Problem(401, "INVALID_TOKEN", f"invalid token: {exc}", "令牌无效") from exc
    problems = _claim_problems(claims)
    if problems:
        raise Problem(401, "INVALID_TOKEN", "invalid token: " + "; ".join(problems), "令牌声明无效")
    return Principal.model_validate(claims)


async def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "UNAUTHORIZED", "missing bearer token", "缺少访问令牌")
    return decode_token(request.app.state.settings.secret, token.strip())


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
