"""The objects of party A in each service, made through the service's own handlers and consumer,
and the request each route of the walk sends (``tests/security/walk.py``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.security.walk import Req, World
from tests.service_layer import ServiceUnderTest

__all__ = ["allowance_registry_world", "legacy_registry_world", "new_registry_world", "provincial_review_world"]

API = "/api/v1"


def _common(world: World) -> None:
    """The admin routes every service has."""
    later = (world.svc.now + timedelta(minutes=1)).isoformat()
    world.requests |= {
        f"PUT {API}/admin/clock": lambda role: Req(json={"now": later}),
        f"POST {API}/admin/reset": lambda role: Req(),
        f"GET {API}/admin/events": lambda role: Req(query={"correlation_id": "walk"}),
    }


async def new_registry_world(svc: ServiceUnderTest[Any]) -> World:
    from services.new_ccer_registry.entrypoints.api import API as SPEC
    from tests.service_layer import as_
    from tests.unit.service_layer.test_new_registry_account_opening import application
    from tests.unit.service_layer.test_new_registry_legacy import item, legacy_number, synced
    from tests.unit.service_layer.test_new_registry_support import (
        bind,
        freeze,
        issue,
        new_uscc,
        open_account,
        register_project,
    )

    org, province = new_uscc(), "130000"
    world = World(
        svc,
        SPEC,
        own={"org": org, "province": province, "exchange": "CBGEX"},
        stranger={"org": new_uscc(), "province": "310000", "exchange": "TCX"},
    )
    applied = await svc.handle(application(org), as_("enterprise", org=org))
    account = await open_account(svc, province=province, org=org)
    other = await open_account(svc, province=province)
    project = await register_project(svc)
    ranges = await issue(svc, project, account, 1000)
    await bind(svc, account)
    lot = await freeze(svc, account, project, 10)
    sync_id = await synced(svc, account, item(legacy_number(), 1, 100))
    await svc.sent()
    world.params = {
        "application_id": applied.id,
        "account_id": account.account_id,
        "number": project,
        "lot_id": lot.id,
        "sync_id": sync_id,
        "serial": ranges[0][0],
    }
    world.secrets = {org, account.account_id, applied.id, lot.id, sync_id}
    body = _account_application_body(org)
    _common(world)
    world.requests |= {
        f"GET {API}/account-applications/checklist": lambda role: Req(
            query={"account_type": "project_owner", "org_form": "legal_person"}
        ),
        f"POST {API}/account-applications": lambda role: Req(json=body, names_object=True),
        f"PUT {API}/account-applications/{{application_id}}": lambda role: Req(json=body),
        f"POST {API}/account-applications/{{application_id}}/paper-received": lambda role: Req(),
        f"POST {API}/account-applications/{{application_id}}/reviews": lambda role: Req(
            json={"stage": "registry" if role == "ncsc_operator" else "exchange_initial", "decision": "approve"}
        ),
        f"POST {API}/accounts": lambda role: Req(
            json={
                "holder": {"name": "某企业", "uscc": new_uscc()},
                "account_type": "national_key_emitter",
                "province": province,
            }
        ),
        f"POST {API}/accounts/{{account_id}}/fees": lambda role: Req(json={"kind": "opening", "amount": 2000}),
        f"POST {API}/accounts/{{account_id}}/binding": lambda role: Req(json={"allowance_account_id": "ALW-0002"}),
        f"POST {API}/accounts/{{account_id}}/transfers": lambda role: Req(
            json={"direction": "to_trading", "project_number": project, "quantity": 1}
        ),
        f"POST {API}/projects": lambda role: Req(json={}),
        f"POST {API}/projects/{{number}}/issuances": lambda role: Req(
            json={"vintage": 2024, "quantity": 5, "account_id": account.account_id}
        ),
        f"POST {API}/trades": lambda role: Req(
            json={
                "seller_account_id": account.account_id,
                "buyer_account_id": other.account_id,
                "project_number": project,
                "quantity": 1,
            },
            names_object=True,
        ),
        f"POST {API}/offset-lots": lambda role: Req(
            json={"account_id": account.account_id, "project_number": project, "origin": "new", "quantity": 1},
            names_object=True,
        ),
        f"POST {API}/legacy-syncs/{{sync_id}}/confirm": lambda role: Req(),
        f"POST {API}/legacy-syncs/{{sync_id}}/dispute": lambda role: Req(json={"reason": "数量不符"}),
    }
    return world


def _account_application_body(org: str) -> dict[str, Any]:
    from services.new_ccer_registry.domain.account_opening import OrgForm, required_materials

    contact = {"name": "张敏", "phone": "13800000001", "email": "zhang@example.cn"}
    return {
        "org": {"name": "塞罕坝林业碳汇有限公司", "uscc": org, "org_form": "legal_person", "foreign_invested": False},
        "account_type": "project_owner",
        "province": "130000",
        "contacts": {"account_representative": contact, "trading_representative": contact},
        "materials": [
            {"no": n, "file_name": f"{n:02d}.pdf", "sha256": f"{n:064x}"}
            for n in required_materials("project_owner", OrgForm.legal_person, False)
        ],
    }


async def legacy_registry_world(svc: ServiceUnderTest[Any]) -> World:
    from services.legacy_ccer_registry.entrypoints.api import API as SPEC
    from services.legacy_ccer_registry.service_layer.commands import OpenAccount
    from tests.harness import uscc
    from tests.service_layer import as_
    from tests.unit.service_layer.test_legacy_accounts import apply
    from tests.unit.service_layer.test_legacy_support import (
        Unit,
        cancel,
        form,
        issue,
        ncsc,
        record_project,
        to_registry,
    )

    org, province, exchange, project = uscc(), "440000", "TCX", "P1001"
    world = World(
        svc,
        SPEC,
        own={"org": org, "province": province, "exchange": exchange},
        stranger={"org": uscc(), "province": "310000", "exchange": "SEEE"},
    )
    applied = await svc.handle(apply(org, exchange=exchange, province=province), as_("enterprise", org=org))
    opened = await svc.handle(
        OpenAccount(holder_name="某单位", holder_uscc=org, province=province, exchanges=(exchange,)), ncsc()
    )
    unit = Unit(org, opened.account.id, "某单位", province)
    buyer = await svc.handle(
        OpenAccount(holder_name="买方", holder_uscc=uscc(), province=province, exchanges=(exchange,)), ncsc()
    )
    await record_project(svc, project)
    issuance = await issue(svc, unit, 100, project=project, exchange=exchange)
    await to_registry(svc, unit, 60, project=project, exchange=exchange)
    cancellation = await cancel(svc, unit, 10, project=project)
    sync = await svc.handle(form(unit, (cancellation.id, project, 10)), unit.me)
    await svc.sent()
    world.params = {
        "account_id": unit.account_id,
        "application_id": applied.id,
        "project_number": project,
        "cancellation_id": cancellation.id,
        "serial": f"{issuance.serial_prefix}-{issuance.first_n}",
    }
    world.secrets = {org, unit.account_id, applied.id, cancellation.id, sync.id}
    contact = {"name": "李四", "phone": "020-87654321", "email": "li@example.cn"}
    application = {
        "org": {"name": "某单位", "uscc": org, "province": province},
        "exchange": exchange,
        "contacts": [contact],
    }
    of_sync = {"application_id": sync.id}
    _common(world)
    world.requests |= {
        f"POST {API}/accounts": lambda role: Req(
            json={"holder": {"name": "某单位", "uscc": uscc()}, "province": province}
        ),
        f"POST {API}/accounts/{{account_id}}/transfers": lambda role: Req(
            json={"direction": "to_registry", "exchange": exchange, "project_number": project, "quantity": 1}
        ),
        f"POST {API}/account-applications": lambda role: Req(json=application, names_object=True),
        f"PUT {API}/account-applications/{{application_id}}": lambda role: Req(json=application),
        f"POST {API}/account-applications/{{application_id}}/reviews": lambda role: Req(
            json={"stage": "registry" if role == "ncsc_operator" else "exchange", "decision": "approve"}
        ),
        f"POST {API}/projects": lambda role: Req(json={}),
        f"POST {API}/projects/{{project_number}}/issuances": lambda role: Req(
            json={
                "vintage": 2015,
                "quantity": 5,
                "account_id": unit.account_id,
                "exchange": exchange,
                "recorded_at": "2016-05-10",
            }
        ),
        f"POST {API}/trades": lambda role: Req(
            json={
                "seller_account_id": unit.account_id,
                "buyer_account_id": buyer.account.id,
                "project_number": project,
                "quantity": 1,
            },
            names_object=True,
        ),
        f"POST {API}/cancellations": lambda role: Req(
            json={"account_id": unit.account_id, "project_number": project, "quantity": 1, "purpose": "voluntary"},
            names_object=True,
        ),
        f"POST {API}/sync-applications": lambda role: Req(
            json={
                "unit_name": "某单位",
                "uscc": org,
                "legacy_account_id": unit.account_id,
                "new_account_id": "NA-000000000001",
                "contact": contact,
                "lines": [{"cancellation_id": cancellation.id, "project_number": project, "quantity": 10}],
            },
            names_object=True,
        ),
        f"GET {API}/sync-applications/{{application_id}}": lambda role: Req(params=of_sync),
        f"POST {API}/sync-applications/{{application_id}}/decision": lambda role: Req(
            params=of_sync, json={"decision": "approve"}
        ),
    }
    return world


async def allowance_registry_world(svc: ServiceUnderTest[Any]) -> World:
    from services.allowance_registry.entrypoints.api import API as SPEC
    from services.allowance_registry.service_layer.commands import DraftApplication
    from tests.unit.service_layer.test_allowance_offset_ccer_requests import drafted
    from tests.unit.service_layer.test_allowance_support import (
        INSTRUMENT_2024,
        active_period,
        allocate,
        allowances,
        bound_unit,
        frozen_payload,
        issue_notice,
        new_uscc,
    )

    unit = await bound_unit(svc, province="110000")
    world = World(
        svc,
        SPEC,
        own={"org": unit.org, "province": unit.province, "exchange": "CBGEX"},
        stranger={"org": new_uscc(), "province": "310000", "exchange": "TCX"},
    )
    period = await active_period(svc, "2024")
    await allocate(svc, unit, 1000)
    notice = (await issue_notice(svc, period.code, unit, 500)).notice
    lot = frozen_payload(unit, 100)
    await svc.deliver(lot)
    draft = await svc.handle(DraftApplication(notice_id=notice.id, items=(allowances(10),)), unit.principal)
    request = await drafted(svc, unit.org, 1000)
    await svc.sent()
    world.params = {
        "account_id": unit.account_id,
        "code": period.code,
        "notice_id": notice.id,
        "application_id": draft.id,
        "request_id": request.id,
        "serial": lot.serial_ranges[0][0],
        "instrument": INSTRUMENT_2024,
    }
    world.secrets = {unit.org, unit.account_id, notice.id, draft.id, request.id, lot.lot_id}
    items = {"items": [{"kind": "allowance", "instrument": INSTRUMENT_2024, "quantity": 10}]}
    _common(world)
    world.requests |= {
        f"POST {API}/accounts": lambda role: Req(
            json={
                "holder": {"name": "某企业", "uscc": new_uscc()},
                "province": unit.province,
                "account_type": "national_key_emitter",
            }
        ),
        f"POST {API}/accounts/{{account_id}}/transfers": lambda role: Req(
            json={"instrument": INSTRUMENT_2024, "quantity": 1, "direction": "to_trading"}
        ),
        f"POST {API}/allocations": lambda role: Req(
            json={"account_id": unit.account_id, "instrument": INSTRUMENT_2024, "quantity": 1, "side": "registry"}
        ),
        f"POST {API}/instruments": lambda role: Req(json={}),
        f"POST {API}/compliance-periods": lambda role: Req(json={}),
        f"POST {API}/compliance-periods/{{code}}/approve": lambda role: Req(),
        f"POST {API}/provincial-notices": lambda role: Req(json={}),
        f"POST {API}/notices": lambda role: Req(
            json={"period_code": period.code, "account_id": unit.account_id, "obligation": 500}, names_object=True
        ),
        f"POST {API}/applications": lambda role: Req(json={"notice_id": notice.id, **items}, names_object=True),
        f"PUT {API}/applications/{{application_id}}": lambda role: Req(json=items),
        f"POST {API}/applications/{{application_id}}/submit": lambda role: Req(),
        f"GET {API}/compliance-stats": lambda role: Req(
            query={"period_code": period.code, "province": unit.province}, names_object=True
        ),
        f"POST {API}/offset-ccer-requests/{{request_id}}/submit": lambda role: Req(),
        f"POST {API}/offset-ccer-requests/{{request_id}}/approve": lambda role: Req(),
        f"POST {API}/offset-ccer-requests/{{request_id}}/reject": lambda role: Req(json={}),
    }
    return world


async def provincial_review_world(svc: ServiceUnderTest[Any]) -> World:
    from services.provincial_review.entrypoints.api import API as SPEC
    from tests.harness import uscc
    from tests.unit.service_layer.test_review_forms_support import Unit as FormUnit
    from tests.unit.service_layer.test_review_intake import Unit as CaseUnit
    from tests.unit.service_layer.test_review_intake import open_case

    unit = FormUnit(province="420000")
    world = World(
        svc,
        SPEC,
        own={"org": unit.uscc, "province": unit.province, "exchange": "CBGEX"},
        stranger={"org": uscc(), "province": "310000", "exchange": "TCX"},
    )
    await unit.issued(svc)
    form = await unit.submit(svc)
    case = await open_case(svc, CaseUnit(province=unit.province, uscc=unit.uscc))
    await svc.sent()
    world.params = {"form_id": form.form.id, "case_id": case.case.id, "notice_id": unit.notice_id}
    world.secrets = {unit.uscc, form.form.id, case.case.id}
    fields = unit.fields()
    body = {
        "period_code": fields["period_code"],
        "unit": {"name": fields["unit_name"], "uscc": fields["unit_uscc"]},
        "province": fields["province"],
        "obligation": fields["obligation"],
        "requested_quantity": fields["requested_quantity"],
    }
    _common(world)
    world.requests |= {
        f"POST {API}/reviews/{{case_id}}/first-review": lambda role: Req(json={"recommendation": "approve"}),
        f"POST {API}/reviews/{{case_id}}/second-review": lambda role: Req(json={"decision": "confirm"}),
        f"GET {API}/dashboard": lambda role: Req(query={"period_code": "2023"}),
        f"POST {API}/offset-forms": lambda role: Req(json=body, names_object=True),
        f"PUT {API}/offset-forms/{{form_id}}": lambda role: Req(json=body),
        f"POST {API}/offset-forms/{{form_id}}/decision": lambda role: Req(json={"decision": "confirm"}),
        f"POST {API}/offset-forms/{{form_id}}/cancellation-proof": lambda role: Req(
            json={"file_name": "截图.png", "sha256": "5d41402abc4b2a76b9719d911017c592aabbccddeeff00112233445566778899"}
        ),
        f"GET {API}/overdue-handling": lambda role: Req(
            query={"period_code": "2019-2020", "province": unit.province}, names_object=True
        ),
        f"PUT {API}/overdue-handling/{{notice_id}}": lambda role: Req(
            json={"kind": "ordered_to_correct", "description": "责令限期改正"}
        ),
    }
    return world
