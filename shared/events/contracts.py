"""Payload contracts, one pydantic model per event type and schema version (events.md "Catalogue").

Adding an optional field keeps the version; anything else is a new version registered beside the
old one, which consumers keep accepting for a release.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["EVENT_TYPES", "PAYLOADS", "payload_model"]

Quantity = int
SerialRange = tuple[str, str]


class Contract(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Holder(Contract):
    name: str
    uscc: str


class Reason(Contract):
    code: str
    message: str
    message_zh: str | None = None


class AccountRef(Contract):
    id: str
    name: str
    uscc: str
    province: str


class LegacyProject(Contract):
    number: str
    name: str
    type: str
    region: str
    recorded_at: date
    within_national_ets: bool = False


class OffsetProject(Contract):
    number: str
    name: str
    type: str
    region: str
    methodology: str | None = None
    registered_or_recorded_at: date
    within_national_ets: bool = False


# --- legacy_ccer_registry -------------------------------------------------------------------
class RecordedRange(Contract):
    """A serial range and the date its reductions were recorded (备案): eligibility is judged per unit."""

    first: str
    last: str
    units_recorded_at: date


class CancellationRecordedV1(Contract):
    cancellation_id: str
    legacy_account_id: str
    holder: Holder
    project: LegacyProject
    units_recorded_at: date
    quantity: Quantity = Field(gt=0)
    serial_ranges: list[SerialRange]
    purpose: str
    cancelled_at: AwareDatetime
    # Added in v1 (optional): each range with its own record date; units_recorded_at is the latest.
    recorded_ranges: list[RecordedRange] | None = None


class SyncItem(Contract):
    cancellation_id: str
    project: LegacyProject
    quantity: Quantity = Field(gt=0)
    serial_ranges: list[SerialRange]
    units_recorded_at: date | None = None
    # Added in v1 (optional): each range with its own record date (a record may span issuances).
    recorded_ranges: list[RecordedRange] | None = None
    # Added in v1 (optional): the cancellation record's whole quantity; ``quantity`` may be a part of
    # it (a record may be synced over several forms), and the parts never add up to more.
    cancellation_quantity: Quantity | None = Field(default=None, gt=0)


class SyncApprovedV1(Contract):
    """NCSC approved the form: a request the new registry accepts (``sync.accepted``) or refuses
    (``sync.refused``); the legacy registry counts the units synced only once it is accepted."""

    sync_application_id: str
    holder: Holder
    legacy_account_id: str
    new_account_id: str
    purpose: str
    items: list[SyncItem] = Field(min_length=1)
    # Added in v1 (optional): the unit name typed on the form, matched to the new account's holder.
    unit_name: str | None = None


# --- new_ccer_registry: its answer to an approved sync ----------------------------------------
class SyncAcceptedV1(Contract):
    """The units came into ``new_account_id``, awaiting the holder's confirmation (``legacy_sync_id``)."""

    sync_application_id: str
    legacy_sync_id: str
    new_account_id: str
    quantity: Quantity = Field(gt=0)
    accepted_at: AwareDatetime


class SyncRefusedV1(Contract):
    """The form cannot be synced as written (e.g. its new account is another unit's): every finding."""

    sync_application_id: str
    new_account_id: str
    reasons: list[Reason] = Field(min_length=1)
    refused_at: AwareDatetime


# --- binding ---------------------------------------------------------------------------------
class BindingRequestedV1(Contract):
    binding_id: str
    registry_account_id: str
    holder: Holder
    allowance_account_id: str


class BindingConfirmedV1(Contract):
    binding_id: str
    allowance_account_id: str
    registry_account_id: str


class BindingRejectedV1(Contract):
    binding_id: str
    allowance_account_id: str
    registry_account_id: str
    reasons: list[Reason] = Field(min_length=1)


# --- offset lots -----------------------------------------------------------------------------
class OffsetFrozenV1(Contract):
    lot_id: str
    registry_account_id: str
    allowance_account_id: str
    holder: Holder
    project: OffsetProject
    origin: Literal["new", "legacy"]
    vintage: int
    # Legacy units: the latest 备案 date among the lot's units (eligibility needs every unit's).
    units_recorded_at: date | None = None
    quantity: Quantity = Field(gt=0)
    serial_ranges: list[SerialRange]
    frozen_at: AwareDatetime
    # Added in v1 (optional): legacy units, each range with its own record date.
    recorded_ranges: list[RecordedRange] | None = None


class OffsetRefusedV1(Contract):
    lot_id: str
    reasons: list[Reason] = Field(min_length=1)


class OffsetRegisteredV1(Contract):
    registration_id: str
    lot_id: str
    application_id: str
    period_code: str
    quantity: Quantity = Field(gt=0)
    registered_at: AwareDatetime
    # Added in v1 (optional): exactly which units of the lot were registered; the new registry
    # cancels exactly these (lowest frozen serials when absent).
    serial_ranges: list[SerialRange] | None = None


class OffsetCancelledV1(Contract):
    lot_id: str
    registration_id: str
    quantity: Quantity = Field(gt=0)
    serial_ranges: list[SerialRange]
    cancelled_at: AwareDatetime


class OffsetRecalledV1(Contract):
    lot_id: str
    # Optional (v1-compatible): identifies one recall, so a re-sent recall is applied once.
    recall_id: str | None = None
    quantity: Quantity = Field(gt=0)
    period_code: str
    reason: str
    recalled_at: AwareDatetime
    # Added in v1 (optional): exactly which units are recalled (lowest frozen serials when absent).
    serial_ranges: list[SerialRange] | None = None


class OffsetReleasedV1(Contract):
    lot_id: str
    quantity: Quantity = Field(gt=0)
    serial_ranges: list[SerialRange]
    released_at: AwareDatetime


# --- compliance applications -----------------------------------------------------------------
class PeriodRef(Contract):
    code: str
    cap_bp: int
    deadline: AwareDatetime
    eligibility: dict[str, object] = Field(default_factory=dict)


class NoticeRef(Contract):
    """The notice as it stood before the submission it travels with (so a reviewer recomputes the
    checks of domain.md §6.3 with the same figures the registry used)."""

    id: str
    obligation: Quantity
    fulfilled: Quantity
    under_review: Quantity
    # CCER already registered / under review for the notice (the cap check's "already" part).
    ccer_registered: Quantity | None = None
    ccer_under_review: Quantity | None = None
    period_code: str | None = None


class AllowanceItem(Contract):
    kind: Literal["allowance"] = "allowance"
    instrument: str
    quantity: Quantity = Field(gt=0)


class CcerItem(Contract):
    kind: Literal["ccer"] = "ccer"
    lot_id: str
    project: OffsetProject
    origin: Literal["new", "legacy"]
    # The latest 备案 date among the units this item takes (lowest serials of the lot first), so a
    # single ineligible unit makes the item ineligible.
    units_recorded_at: date | None = None
    quantity: Quantity = Field(gt=0)
    # Added in v1 (optional): the units this item takes, with their record dates (legacy).
    serial_ranges: list[SerialRange] | None = None
    recorded_ranges: list[RecordedRange] | None = None


class OffsetCcerItem(Contract):
    kind: Literal["offset_ccer"] = "offset_ccer"
    instrument: str
    quantity: Quantity = Field(gt=0)
    # Added in v1 (optional): the facts of the legacy project whose cancellation generated the
    # instrument (first period), so the province can check the ETS exclusion.
    project: LegacyProject | None = None


class ApplicationSubmittedV1(Contract):
    application_id: str
    revision: int = Field(ge=1)
    account: AccountRef
    period: PeriodRef
    notice: NoticeRef
    items: list[Annotated[AllowanceItem | CcerItem | OffsetCcerItem, Field(discriminator="kind")]] = Field(min_length=1)
    submitted_at: AwareDatetime


class ReviewFinding(Contract):
    code: str
    message: str
    message_zh: str
    item: int | None = None


class ApplicationApprovedV1(Contract):
    application_id: str
    revision: int
    case_id: str
    first_reviewer: str
    second_reviewer: str
    decided_at: AwareDatetime


class ApplicationRejectedV1(Contract):
    application_id: str
    revision: int
    case_id: str
    findings: list[ReviewFinding] = Field(min_length=1)
    decided_at: AwareDatetime


class NoticeIssuedV1(Contract):
    notice_id: str
    period_code: str
    account: AccountRef
    obligation: Quantity
    deadline: AwareDatetime


class ComplianceCompletedV1(Contract):
    notice_id: str
    period_code: str
    account: AccountRef
    completed_at: AwareDatetime


PAYLOADS: dict[tuple[str, int], type[Contract]] = {
    ("legacy_ccer_registry.cancellation.recorded", 1): CancellationRecordedV1,
    ("legacy_ccer_registry.sync.approved", 1): SyncApprovedV1,
    ("new_ccer_registry.sync.accepted", 1): SyncAcceptedV1,
    ("new_ccer_registry.sync.refused", 1): SyncRefusedV1,
    ("new_ccer_registry.binding.requested", 1): BindingRequestedV1,
    ("allowance_registry.binding.confirmed", 1): BindingConfirmedV1,
    ("allowance_registry.binding.rejected", 1): BindingRejectedV1,
    ("new_ccer_registry.offset.frozen", 1): OffsetFrozenV1,
    ("allowance_registry.offset.refused", 1): OffsetRefusedV1,
    ("allowance_registry.application.submitted", 1): ApplicationSubmittedV1,
    ("provincial_review.application.approved", 1): ApplicationApprovedV1,
    ("provincial_review.application.rejected", 1): ApplicationRejectedV1,
    ("allowance_registry.offset.registered", 1): OffsetRegisteredV1,
    ("new_ccer_registry.offset.cancelled", 1): OffsetCancelledV1,
    ("allowance_registry.offset.recalled", 1): OffsetRecalledV1,
    ("new_ccer_registry.offset.released", 1): OffsetReleasedV1,
    ("allowance_registry.notice.issued", 1): NoticeIssuedV1,
    ("allowance_registry.compliance.completed", 1): ComplianceCompletedV1,
}
EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t for t, _ in PAYLOADS))

# Who consumes what (the catalogue's "producer → consumers" column). The topology binds each
# consuming service's queue to exactly these routing keys.
CONSUMERS: dict[str, tuple[str, ...]] = {
    "legacy_ccer_registry.cancellation.recorded": ("allowance_registry", "provincial_review"),
    "legacy_ccer_registry.sync.approved": ("new_ccer_registry",),
    "new_ccer_registry.sync.accepted": ("legacy_ccer_registry",),
    "new_ccer_registry.sync.refused": ("legacy_ccer_registry",),
    "new_ccer_registry.binding.requested": ("allowance_registry",),
    "allowance_registry.binding.confirmed": ("new_ccer_registry",),
    "allowance_registry.binding.rejected": ("new_ccer_registry",),
    "new_ccer_registry.offset.frozen": ("allowance_registry",),
    "allowance_registry.offset.refused": ("new_ccer_registry",),
    "allowance_registry.application.submitted": ("provincial_review",),
    "provincial_review.application.approved": ("allowance_registry",),
    "provincial_review.application.rejected": ("allowance_registry",),
    "allowance_registry.offset.registered": ("new_ccer_registry",),
    "new_ccer_registry.offset.cancelled": ("allowance_registry",),
    "allowance_registry.offset.recalled": ("new_ccer_registry",),
    "new_ccer_registry.offset.released": ("allowance_registry",),
    "allowance_registry.notice.issued": ("provincial_review",),
    "allowance_registry.compliance.completed": ("provincial_review",),
}


def payload_model(event_type: str, version: int = 1) -> type[Contract]:
    try:
        return PAYLOADS[(event_type, version)]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r} version {version}") from None
