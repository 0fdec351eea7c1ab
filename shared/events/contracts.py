"""The event catalogue: one pydantic class per event type and schema version.

Each event class says, once, everything the backbone needs to know about it: its routing key (the
``event_type`` on the wire), its schema version, the payload field naming the aggregate it belongs to
(events of one aggregate are applied one at a time, in order), and the services that consume it (the
topology binds each one's queue to the routing key). Handlers are keyed by the class
(``EVENT_HANDLERS = {OffsetFrozenV1: on_offset_frozen}``), ``uow.emit(OffsetFrozenV1(...))`` takes the
payload alone, and ``ccer asyncapi`` writes the catalogue out as AsyncAPI (docs/asyncapi.yaml).

Adding an optional field keeps the version; anything else is a new version: a new class beside the
old one (same routing key, ``version = 2``), which consumers keep accepting for a release.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["EVENTS", "EVENT_TYPES", "PAYLOADS", "Contract", "Event", "consumers_of", "payload_model"]

Quantity = int
SerialRange = tuple[str, str]


class Contract(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Event(Contract):
    """A payload sent on the ``ccer.events`` exchange. Subclasses declare their routing key, version,
    aggregate field and consumers as class attributes and are registered in :data:`PAYLOADS`."""

    routing_key: ClassVar[str]
    version: ClassVar[int] = 1
    # The payload field naming the aggregate (lot, application, binding ...) the event belongs to.
    aggregate: ClassVar[str]
    # The services whose queue is bound to this routing key (the catalogue's "consumers" column).
    consumers: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "routing_key" not in cls.__dict__:
            raise TypeError(f"event class {cls.__name__} declares no routing_key")
        if cls.aggregate not in cls.model_fields or not cls.model_fields[cls.aggregate].is_required():
            raise TypeError(f"{cls.__name__}.aggregate {cls.aggregate!r} is not a required payload field")
        key = (cls.routing_key, cls.version)
        if key in PAYLOADS:
            raise TypeError(f"{cls.__name__}: {key} is already {PAYLOADS[key].__name__}")
        PAYLOADS[key] = cls

    @classmethod
    def producer(cls) -> str:
        """The service that sends it: the routing key's first part."""
        return cls.routing_key.split(".", 1)[0]

    def aggregate_key(self) -> str:
        """``lot_id=…``: one key per aggregate, whichever of its events this is."""
        return f"{self.aggregate}={getattr(self, self.aggregate)}"


# Every event class, by (routing key, version), in the order they are declared.
PAYLOADS: dict[tuple[str, int], type[Event]] = {}


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


class CancellationRecordedV1(Event):
    """A cancellation recorded in the legacy registry (NCSC's daily records): the allowance registry
    drafts an offset-CCER creation request from it, the province checks offset forms against it."""

    routing_key: ClassVar[str] = "legacy_ccer_registry.cancellation.recorded"
    aggregate: ClassVar[str] = "cancellation_id"
    consumers: ClassVar[tuple[str, ...]] = ("allowance_registry", "provincial_review")

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


class SyncApprovedV1(Event):
    """NCSC approved the form: a request the new registry accepts (``sync.accepted``) or refuses
    (``sync.refused``); the legacy registry counts the units synced only once it is accepted."""

    routing_key: ClassVar[str] = "legacy_ccer_registry.sync.approved"
    aggregate: ClassVar[str] = "sync_application_id"
    consumers: ClassVar[tuple[str, ...]] = ("new_ccer_registry",)

    sync_application_id: str
    holder: Holder
    legacy_account_id: str
    new_account_id: str
    purpose: str
    items: list[SyncItem] = Field(min_length=1)
    # Added in v1 (optional): the unit name typed on the form, matched to the new account's holder.
    unit_name: str | None = None


# --- new_ccer_registry: its answer to an approved sync ----------------------------------------
class SyncAcceptedV1(Event):
    """The units came into ``new_account_id``, awaiting the holder's confirmation (``legacy_sync_id``)."""

    routing_key: ClassVar[str] = "new_ccer_registry.sync.accepted"
    aggregate: ClassVar[str] = "sync_application_id"
    consumers: ClassVar[tuple[str, ...]] = ("legacy_ccer_registry",)

    sync_application_id: str
    legacy_sync_id: str
    new_account_id: str
    quantity: Quantity = Field(gt=0)
    accepted_at: AwareDatetime


class SyncRefusedV1(Event):
    """The form cannot be synced as written (e.g. its new account is another unit's): every finding."""

    routing_key: ClassVar[str] = "new_ccer_registry.sync.refused"
    aggregate: ClassVar[str] = "sync_application_id"
    consumers: ClassVar[tuple[str, ...]] = ("legacy_ccer_registry",)

    sync_application_id: str
    new_account_id: str
    reasons: list[Reason] = Field(min_length=1)
    refused_at: AwareDatetime


# --- binding ---------------------------------------------------------------------------------
class BindingRequestedV1(Event):
    """A holder asks to bind its new-registry account to its allowance account; the allowance
    registry answers ``binding.confirmed`` or ``binding.rejected``."""

    routing_key: ClassVar[str] = "new_ccer_registry.binding.requested"
    aggregate: ClassVar[str] = "binding_id"
    consumers: ClassVar[tuple[str, ...]] = ("allowance_registry",)

    binding_id: str
    registry_account_id: str
    holder: Holder
    allowance_account_id: str


class BindingConfirmedV1(Event):
    """The allowance registry bound the two accounts."""

    routing_key: ClassVar[str] = "allowance_registry.binding.confirmed"
    aggregate: ClassVar[str] = "binding_id"
    consumers: ClassVar[tuple[str, ...]] = ("new_ccer_registry",)

    binding_id: str
    allowance_account_id: str
    registry_account_id: str


class BindingRejectedV1(Event):
    """The allowance registry refused the binding, with every reason."""

    routing_key: ClassVar[str] = "allowance_registry.binding.rejected"
    aggregate: ClassVar[str] = "binding_id"
    consumers: ClassVar[tuple[str, ...]] = ("new_ccer_registry",)

    binding_id: str
    allowance_account_id: str
    registry_account_id: str
    reasons: list[Reason] = Field(min_length=1)


# --- offset lots -----------------------------------------------------------------------------
class OffsetFrozenV1(Event):
    """Units frozen in the new registry into an offset lot for the holder's bound allowance account
    (全国履约抵销); the allowance registry records a pending offset or refuses the lot."""

    routing_key: ClassVar[str] = "new_ccer_registry.offset.frozen"
    aggregate: ClassVar[str] = "lot_id"
    consumers: ClassVar[tuple[str, ...]] = ("allowance_registry",)

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


class OffsetRefusedV1(Event):
    """The allowance registry refused the lot, with every reason; the new registry releases its units."""

    routing_key: ClassVar[str] = "allowance_registry.offset.refused"
    aggregate: ClassVar[str] = "lot_id"
    consumers: ClassVar[tuple[str, ...]] = ("new_ccer_registry",)

    lot_id: str
    reasons: list[Reason] = Field(min_length=1)


class OffsetRegisteredV1(Event):
    """An approved compliance application registered (抵销登记) units of the lot for a period; the
    new registry cancels exactly those units (注销登记)."""

    routing_key: ClassVar[str] = "allowance_registry.offset.registered"
    aggregate: ClassVar[str] = "lot_id"
    consumers: ClassVar[tuple[str, ...]] = ("new_ccer_registry",)

    registration_id: str
    lot_id: str
    application_id: str
    period_code: str
    quantity: Quantity = Field(gt=0)
    registered_at: AwareDatetime
    # Added in v1 (optional): exactly which units of the lot were registered; the new registry
    # cancels exactly these (lowest frozen serials when absent).
    serial_ranges: list[SerialRange] | None = None


class OffsetCancelledV1(Event):
    """The new registry cancelled the registered units of the lot."""

    routing_key: ClassVar[str] = "new_ccer_registry.offset.cancelled"
    aggregate: ClassVar[str] = "lot_id"
    consumers: ClassVar[tuple[str, ...]] = ("allowance_registry",)

    lot_id: str
    registration_id: str
    quantity: Quantity = Field(gt=0)
    serial_ranges: list[SerialRange]
    cancelled_at: AwareDatetime


class OffsetRecalledV1(Event):
    """The allowance registry recalls (召回) units of the lot; the new registry returns them to the
    general holding account, once per recall."""

    routing_key: ClassVar[str] = "allowance_registry.offset.recalled"
    aggregate: ClassVar[str] = "lot_id"
    consumers: ClassVar[tuple[str, ...]] = ("new_ccer_registry",)

    lot_id: str
    # Optional (v1-compatible): identifies one recall, so a re-sent recall is applied once.
    recall_id: str | None = None
    quantity: Quantity = Field(gt=0)
    period_code: str
    reason: str
    recalled_at: AwareDatetime
    # Added in v1 (optional): exactly which units are recalled (lowest frozen serials when absent).
    serial_ranges: list[SerialRange] | None = None


class OffsetReleasedV1(Event):
    """The new registry released recalled (or refused) units back to the general holding account."""

    routing_key: ClassVar[str] = "new_ccer_registry.offset.released"
    aggregate: ClassVar[str] = "lot_id"
    consumers: ClassVar[tuple[str, ...]] = ("allowance_registry",)

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
    compliance application checks with the same figures the registry used)."""

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


class ApplicationSubmittedV1(Event):
    """A compliance application submitted to the province, with the notice and period figures its
    checks need."""

    routing_key: ClassVar[str] = "allowance_registry.application.submitted"
    aggregate: ClassVar[str] = "application_id"
    consumers: ClassVar[tuple[str, ...]] = ("provincial_review",)

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


class ApplicationApprovedV1(Event):
    """The province approved the application (a first and a second reviewer)."""

    routing_key: ClassVar[str] = "provincial_review.application.approved"
    aggregate: ClassVar[str] = "application_id"
    consumers: ClassVar[tuple[str, ...]] = ("allowance_registry",)

    application_id: str
    revision: int
    case_id: str
    first_reviewer: str
    second_reviewer: str
    decided_at: AwareDatetime


class ApplicationRejectedV1(Event):
    """The province rejected the application, with every finding."""

    routing_key: ClassVar[str] = "provincial_review.application.rejected"
    aggregate: ClassVar[str] = "application_id"
    consumers: ClassVar[tuple[str, ...]] = ("allowance_registry",)

    application_id: str
    revision: int
    case_id: str
    findings: list[ReviewFinding] = Field(min_length=1)
    decided_at: AwareDatetime


class NoticeIssuedV1(Event):
    """A compliance notice: the unit's obligation for a period and its deadline."""

    routing_key: ClassVar[str] = "allowance_registry.notice.issued"
    aggregate: ClassVar[str] = "notice_id"
    consumers: ClassVar[tuple[str, ...]] = ("provincial_review",)

    notice_id: str
    period_code: str
    account: AccountRef
    obligation: Quantity
    deadline: AwareDatetime


class ComplianceCompletedV1(Event):
    """The unit fulfilled its obligation for the period."""

    routing_key: ClassVar[str] = "allowance_registry.compliance.completed"
    aggregate: ClassVar[str] = "notice_id"
    consumers: ClassVar[tuple[str, ...]] = ("provincial_review",)

    notice_id: str
    period_code: str
    account: AccountRef
    completed_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = tuple(PAYLOADS.values())
EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t for t, _ in PAYLOADS))


def consumers_of(event_type: str) -> tuple[str, ...]:
    """The services bound to ``event_type`` (every version of it)."""
    return tuple(dict.fromkeys(s for (t, _), e in PAYLOADS.items() if t == event_type for s in e.consumers))


def payload_model(event_type: str, version: int = 1) -> type[Event]:
    """The class of ``event_type`` at ``version``, as named on the wire."""
    try:
        return PAYLOADS[(event_type, version)]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r} version {version}") from None
