"""JWT authentication (HS256) and role / scope dependencies (api.md "Conventions", domain.md §2)."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel

from shared.errors import Problem
from shared.uscc import is_valid_uscc

__all__ = [
    "EXCHANGES",
    "PROVINCES",
    "ROLES",
    "Principal",
    "Role",
    "decode_token",
    "get_principal",
    "mint_token",
    "require",
]

Role = Literal[
    "enterprise",
    "province_initiator",
    "province_confirmer",
    "registry_initiator",
    "registry_confirmer",
    "ncsc_operator",
    "exchange_operator",
    "sim_admin",
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
ALGORITHM = "HS256"

PROVINCES: dict[str, str] = {
    "110000": "北京市",
    "120000": "天津市",
    "130000": "河北省",
    "140000": "山西省",
    "150000": "内蒙古自治区",
    "210000": "辽宁省",
    "220000": "吉林省",
    "230000": "黑龙江省",
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "350000": "福建省",
    "360000": "江西省",
    "370000": "山东省",
    "410000": "河南省",
    "420000": "湖北省",
    "430000": "湖南省",
    "440000": "广东省",
    "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
    "540000": "西藏自治区",
    "610000": "陕西省",
    "620000": "甘肃省",
    "630000": "青海省",
    "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区",
    "660000": "新疆生产建设兵团",
}
EXCHANGES: dict[str, str] = {
    "CBGEX": "北京绿色交易所（全国温室气体自愿减排交易）",
    "CBEEX": "北京绿色交易所",
    "TCX": "天津排放权交易所",
    "SEEE": "上海环境能源交易所",
    "CEEX": "广州碳排放权交易中心",
    "CNEEEX": "深圳排放权交易所",
    "HBEX": "湖北碳排放权交易中心",
    "CQUAEE": "重庆联合产权交易所",
    "SCEEX": "四川联合环境交易所",
    "HXEE": "海峡股权交易中心",
}


class Principal(BaseModel):
    sub: str
    role: Role
    org: str | None = None
    province: str | None = None
    exchange: str | None = None

    @property
    def is_province(self) -> bool:
        return self.role in ("province_initiator", "province_confirmer")


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
