"""Projects recorded (备案) before 2017-03-14 and their issuances onto an exchange's trading side."""

from __future__ import annotations

from fastapi import APIRouter

from services.legacy_ccer_registry.entrypoints.api.deps import BusDep, IdPath, NcscOperator
from services.legacy_ccer_registry.entrypoints.api.schemas import IssuanceIn, IssuanceOut, ProjectIn, ProjectOut
from services.legacy_ccer_registry.service_layer.commands import IssueUnits, RecordProject
from shared.timeutil import local

__all__ = ["router"]

router = APIRouter(prefix="/projects", tags=["projects"])


@router.post("", status_code=201, response_model=ProjectOut, summary="Record a project — 项目备案")
async def record_project(body: ProjectIn, bus: BusDep, principal: NcscOperator) -> ProjectOut:
    project = await bus.handle(RecordProject(**body.model_dump()), principal)
    return ProjectOut(
        number=project.number,
        name=project.name,
        owner_uscc=project.owner_uscc,
        type=project.type,
        region=project.region,
        recorded_at=project.recorded_at,
        within_national_ets=project.within_national_ets,
        created_at=local(project.created_at),
    )


@router.post(
    "/{project_number}/issuances",
    status_code=201,
    response_model=IssuanceOut,
    summary="Issue units onto an exchange's trading side — 签发减排量（进入交易持仓）",
)
async def issue(project_number: IdPath, body: IssuanceIn, bus: BusDep, principal: NcscOperator) -> IssuanceOut:
    issuance = await bus.handle(IssueUnits(project_number=project_number, **body.model_dump()), principal)
    first, last = f"{issuance.serial_prefix}-{issuance.first_n}", f"{issuance.serial_prefix}-{issuance.last_n}"
    return IssuanceOut(
        issuance_id=issuance.id,
        project_number=issuance.project_number,
        vintage=issuance.vintage,
        quantity=issuance.quantity,
        account_id=issuance.account_id,
        exchange=issuance.exchange,
        recorded_at=issuance.recorded_at,
        serial_ranges=[(first, last)],
        issued_at=local(issuance.issued_at),
    )
