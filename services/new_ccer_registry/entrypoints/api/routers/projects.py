"""CCER projects registered in the new registry, and the issuance (签发) of their units."""

from __future__ import annotations

from fastapi import APIRouter

from services.new_ccer_registry.entrypoints.api.deps import AnyPrincipal, BusDep, NcscOperator
from services.new_ccer_registry.entrypoints.api.schemas import (
    IssuanceIn,
    IssuanceOut,
    ProjectIn,
    ProjectOut,
    issuance_out,
    project_out,
)
from services.new_ccer_registry.service_layer.commands import GetProject, IssueUnits, RegisterProject
from shared.bounds import Id

router = APIRouter(prefix="/projects", tags=["projects"])


@router.post("", status_code=201, response_model=ProjectOut, summary="Register a CCER project — 项目登记")
async def register_project(body: ProjectIn, bus: BusDep, principal: NcscOperator) -> ProjectOut:
    return project_out(await bus.handle(RegisterProject(**body.model_dump()), principal))


@router.get("/{number}", response_model=ProjectOut, summary="A CCER project — 项目")
async def get_project(number: Id, bus: BusDep, principal: AnyPrincipal) -> ProjectOut:
    return project_out(await bus.handle(GetProject(number=number), principal))


@router.post(
    "/{number}/issuances",
    status_code=201,
    response_model=IssuanceOut,
    summary="Issue units into a general holding account — 签发减排量",
)
async def issue(number: Id, body: IssuanceIn, bus: BusDep, principal: NcscOperator) -> IssuanceOut:
    command = IssueUnits(project_number=number, **body.model_dump())
    return issuance_out(await bus.handle(command, principal))
