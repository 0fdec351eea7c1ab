"""Dependencies of the allowance registry's routes: the roles that act here, named for whose role they
are. What each role then sees is the scope rule's (``shared.scope``, ``domain/access.py``)."""

from __future__ import annotations

from shared.api_deps import (
    CSV,
    AnyPrincipal,
    BusDep,
    Enterprise,
    Page,
    ProvinceInitiator,
    RegistryConfirmer,
    RegistryInitiator,
    roles,
)

__all__ = [
    "CSV",
    "AnyPrincipal",
    "BusDep",
    "Enterprise",
    "EnterpriseOrProvince",
    "EnterpriseProvinceOrRegistry",
    "OffsetCcerRequestReader",
    "Page",
    "ProvinceInitiator",
    "ProvinceOrRegistry",
    "RegistryConfirmer",
    "RegistryInitiator",
    "RegistryOperator",
    "RegistryOrSimAdmin",
    "SerialReader",
]

# The account holder and its province (经办 or 复核).
EnterpriseOrProvince = roles("enterprise", "province_initiator", "province_confirmer")
# The holder, its province, and the allowance registry's own operators.
EnterpriseProvinceOrRegistry = roles(
    "enterprise", "province_initiator", "province_confirmer", "registry_initiator", "registry_confirmer"
)
# The allowance registry's operators and the provinces (provincial notices).
ProvinceOrRegistry = roles("registry_initiator", "registry_confirmer", "province_initiator", "province_confirmer")

# First period (offset-CCER creation requests): either of the allowance registry's operators.
RegistryOperator = roles("registry_initiator", "registry_confirmer")
# A creation request is read by the registry's operators and by its own unit (api.md).
OffsetCcerRequestReader = roles("enterprise", "registry_initiator", "registry_confirmer")
# A unit's history (api.md "serials"): its holder, the NCSC, the registry's operators.
SerialReader = roles("enterprise", "ncsc_operator", "registry_initiator", "registry_confirmer")
# Reconciliation (账实核对): the registry's operators and the simulation's operator.
RegistryOrSimAdmin = roles("registry_initiator", "registry_confirmer", "sim_admin")
