"""Projects registered in the new registry and the issuance (签发) of their units."""

from __future__ import annotations

from dataclasses import asdict

from services.new_ccer_registry.adapters.orm import HoldingBlock, Issuance, Project
from services.new_ccer_registry.domain.holdings import Origin, UnitState
from services.new_ccer_registry.domain.lots import CONFLICT_CODES
from services.new_ccer_registry.domain.projects import issuance_findings, next_issuance_range
from services.new_ccer_registry.service_layer.commands import GetProject, IssueUnits, RegisterProject
from services.new_ccer_registry.service_layer.movements import record_movement
from services.new_ccer_registry.service_layer.unit_of_work import NewRegistryUnitOfWork
from services.new_ccer_registry.service_layer.views import ProjectView
from shared.errors import Conflict, NotFound, refuse
from shared.ids import new_id
from shared.principal import Principal
from shared.serials import labels
from shared.timeutil import local

__all__ = ["get_project", "issue_units", "register_project"]


async def register_project(uow: NewRegistryUnitOfWork, cmd: RegisterProject, principal: Principal) -> ProjectView:
    project = Project(
        number=cmd.number,
        name=cmd.name,
        owner_uscc=cmd.owner_uscc,
        type=cmd.type,
        methodology=cmd.methodology,
        region=cmd.region,
        home_registry=Origin.new,
        registered_at=cmd.registered_at,
        within_national_ets=cmd.within_national_ets,
        created_at=uow.now(),
    )
    if not await uow.projects.add(project):
        raise Conflict("PROJECT_EXISTS", f"project {cmd.number} is already registered", f"项目 {cmd.number} 已登记")
    uow.audit("register_project", "project", project.number, **asdict(cmd))
    return ProjectView(project, issued=0)


async def get_project(uow: NewRegistryUnitOfWork, cmd: GetProject, principal: Principal) -> ProjectView:
    """Projects are public: anyone signed in may read one."""
    project = await uow.projects.get(cmd.number)
    if project is None:
        raise NotFound.of("project", "项目", cmd.number)
    return ProjectView(project, await uow.issuances.issued_quantity(project.number))


async def issue_units(uow: NewRegistryUnitOfWork, cmd: IssueUnits, principal: Principal) -> Issuance:
    """签发: a new contiguous range of the project and vintage into the account's general holding account."""
    project = await uow.projects.get(cmd.project_number, lock=True)  # serialises numbering per project
    if project is None or project.home_registry != Origin.new:
        raise NotFound.of("project", "项目", cmd.project_number)
    account = (await uow.accounts.lock(cmd.account_id)).get(cmd.account_id)
    refuse(
        issuance_findings(
            account_known=account is not None,
            account_active=account is not None and account.status == "active",
            vintage=cmd.vintage,
            current_year=local(uow.now()).year,
        ),
        "the issuance is refused",
        "签发被拒绝",
        conflict_codes=CONFLICT_CODES,
    )
    last = await uow.issuances.last_issued(cmd.project_number, cmd.vintage)
    rng = next_issuance_range(cmd.project_number, cmd.vintage, last, cmd.quantity)
    issuance = Issuance(
        id=new_id("ISS"),
        project_number=cmd.project_number,
        origin=Origin.new,
        vintage=cmd.vintage,
        serial_prefix=rng.prefix,
        first_n=rng.first,
        last_n=rng.last,
        quantity=cmd.quantity,
        account_id=cmd.account_id,
        units_recorded_at=None,
        issued_at=uow.now(),
    )
    await uow.issuances.add(issuance)
    uow.blocks.add(
        HoldingBlock(
            project_number=cmd.project_number,
            vintage=cmd.vintage,
            origin=Origin.new,
            account_id=cmd.account_id,
            state=UnitState.available,
            lot_id=None,
            serial_prefix=rng.prefix,
            first_n=rng.first,
            last_n=rng.last,
        )
    )
    record_movement(
        uow,
        "issuance",
        cmd.project_number,
        cmd.quantity,
        [rng],
        to_state=UnitState.available,
        to_account=cmd.account_id,
    )
    uow.audit(
        "issue_units",
        "issuance",
        issuance.id,
        project_number=cmd.project_number,
        vintage=cmd.vintage,
        quantity=cmd.quantity,
        account_id=cmd.account_id,
        serial_ranges=labels([rng]),
    )
    return issuance
