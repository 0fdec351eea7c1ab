"""Role dependencies of the allowance registry's routes (function-level authorisation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from shared.auth import Principal, get_principal, require
from shared.listing import PageParams, page_params

__all__ = [
    "Anyone",
    "Confirmer",
    "Holder",
    "HolderOrProvince",
    "Initiator",
    "Page",
    "ProvinceInitiator",
    "Readers",
    "RegistryOrProvince",
]

Anyone = Annotated[Principal, Depends(get_principal)]
Initiator = Annotated[Principal, Depends(require("registry_initiator"))]
Confirmer = Annotated[Principal, Depends(require("registry_confirmer"))]
Holder = Annotated[Principal, Depends(require("enterprise"))]
ProvinceInitiator = Annotated[Principal, Depends(require("province_initiator"))]
HolderOrProvince = Annotated[Principal, Depends(require("enterprise", "province_initiator", "province_confirmer"))]
# Holder, province and the registry's operators.
Readers = Annotated[
    Principal,
    Depends(
        require("enterprise", "province_initiator", "province_confirmer", "registry_initiator", "registry_confirmer")
    ),
]
RegistryOrProvince = Annotated[
    Principal, Depends(require("registry_initiator", "registry_confirmer", "province_initiator", "province_confirmer"))
]
Page = Annotated[PageParams, Depends(page_params)]

CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "the rows (JSON, or CSV with Accept: text/csv) — 列表"}
}
