"""Steps shared by the tests that run the four services together (tests/system.py), no tests here:
the unit's accounts in both registries, the binding handshake between them, and what the allowance
registry shows of a frozen lot (待抵销)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.new_ccer_registry.service_layer.commands import GetBinding, RequestBinding
from shared.timeutil import CST
from tests.system import System
from tests.unit.service_layer import test_allowance_support as alw
from tests.unit.service_layer import test_new_registry_support as ncr

PROVINCE = "110000"
START = datetime(2025, 6, 2, 9, 0, tzinfo=CST)


async def request_binding(system: System, allowance_account: str, holding: ncr.Holding) -> str:
    """The unit's binding request and its round trip (requested → confirmed); returns the binding id."""
    binding = await system.handle(
        "new",
        RequestBinding(account_id=holding.account_id, allowance_account_id=allowance_account),
        holding.principal,
    )
    published = [p.event_type for p in await system.drain()]
    assert published == ["new_ccer_registry.binding.requested", "allowance_registry.binding.confirmed"]
    return binding.id


async def assert_bound(system: System, binding_id: str, allowance_account: str, holding: ncr.Holding) -> None:
    active = await system.handle("new", GetBinding(account_id=holding.account_id), holding.principal)
    assert (active.id, active.status, active.allowance_account_id) == (binding_id, "active", allowance_account)


async def bind(system: System, org: str, allowance_account: str, holding: ncr.Holding) -> alw.Unit:
    """The unit's binding request and its round trip (requested → confirmed → active)."""
    binding_id = await request_binding(system, allowance_account, holding)
    await assert_bound(system, binding_id, allowance_account, holding)
    return alw.Unit(org, allowance_account, holding.account_id, PROVINCE)


async def bound_unit(system: System) -> tuple[alw.Unit, ncr.Holding]:
    """The unit's accounts in both registries, bound through the real handshake."""
    org = ncr.new_uscc()
    allowance_account = await alw.open_account(system["allowance"], org=org, province=PROVINCE)
    holding = await ncr.open_account(system["new"], province=PROVINCE, org=org, name="火电测试企业")
    return await bind(system, org, allowance_account, holding), holding


async def pending(system: System, unit: alw.Unit, lot_id: str) -> dict[str, Any]:
    """The allowance registry's pending offset of ``lot_id``: its quantities and status."""
    p = await alw.lot(system["allowance"], unit, lot_id)
    return {k: getattr(p, k) for k in ("reserved", "registered", "recalled", "cancelled", "released", "status")}
