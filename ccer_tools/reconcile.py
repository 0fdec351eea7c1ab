"""Cross-registry reconciliation (账实核对, docs/invariants.md): reads the four registries over their REST APIs
as their operators and names every discrepancy with the objects involved.

Each registry checks its own books (``GET /api/v1/admin/reconciliation``); this adds what only a
look across registries can see: a lot against its pending offset, a legacy cancellation against
what was synced in or generated from it, and cancellation records against each other by serial.
Run it once the system is quiet: an event still in flight looks like a discrepancy."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from shared.auth import mint_token
from shared.serials import SerialRange

__all__ = [
    "INVARIANTS",
    "Discrepancy",
    "RegistryUnavailable",
    "Report",
    "reconcile",
]

API = "/api/v1"
NEW, LEGACY, ALLOWANCE, REVIEW = "new_ccer_registry", "legacy_ccer_registry", "allowance_registry", "provincial_review"
# The role that sees everything in each registry.
OPERATOR = {NEW: "ncsc_operator", LEGACY: "ncsc_operator", ALLOWANCE: "registry_initiator", REVIEW: "sim_admin"}

SERIAL_RANGES = "serial_ranges"  # 1: per project, holdings disjoint and covering exactly the issued ranges
CANCELLED_ONCE = "cancelled_once"  # 2: a unit cancelled at most once, used to offset at most once
SYNCED_ONCE = "synced_once"  # 3: a legacy cancellation synced into the new registry at most once (per serial: in parts)
LOT_BALANCE = "lot_balance"  # 4: a lot's quantities agree across the registries
OFFSET_CAP = "offset_cap"  # 5: approved CCER within the notice's cap, fulfilled within its obligation
NO_NEGATIVE_HOLDINGS = "no_negative_holdings"  # 6
INVARIANTS = (SERIAL_RANGES, CANCELLED_ONCE, SYNCED_ONCE, LOT_BALANCE, OFFSET_CAP, NO_NEGATIVE_HOLDINGS)

# The invariant each registry's own discrepancy codes belong to (by prefix).
_CODE_INVARIANT = (
    ("SERIALS_", SERIAL_RANGES),
    ("CANCELLATION_BLOCKS", CANCELLED_ONCE),
    ("CANCELLATION_OVERSYNCED", SYNCED_ONCE),
    ("UNITS_SYNCED", SYNCED_ONCE),
    ("LEGACY_SYNC", SYNCED_ONCE),
    ("LOT_CANCELLED", CANCELLED_ONCE),
    ("LOT_", LOT_BALANCE),
    ("BLOCK_LOT", LOT_BALANCE),
    ("PENDING_OFFSET", LOT_BALANCE),
    ("OFFSET_CCER_", CANCELLED_ONCE),
    ("NOTICE_", OFFSET_CAP),
    ("HOLDING_", NO_NEGATIVE_HOLDINGS),
)
PAGE = 500


@dataclass(frozen=True)
class Discrepancy:
    invariant: str
    message: str
    objects: dict[str, Any] = field(default_factory=dict)
    registry: str = ""  # the registry whose books show it ("" for a cross-registry one)
    code: str = ""


@dataclass
class Report:
    discrepancies: list[Discrepancy] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    def add(self, invariant: str, message: str, code: str, **objects: Any) -> None:
        self.discrepancies.append(Discrepancy(invariant, message, objects, code=code))

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "discrepancies": [asdict(d) for d in self.discrepancies]}


class RegistryUnavailable(Exception):
    """A registry could not be reached, or answered an error."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service


class _Registries:
    def __init__(self, clients: Mapping[str, httpx.AsyncClient], secret: str) -> None:
        self.clients = clients
        self.headers = {
            s: {"Authorization": f"Bearer {mint_token(secret, role, sub='reconciliation')}"}
            for s, role in OPERATOR.items()
        }

    async def get(self, service: str, path: str, **params: Any) -> Any:
        try:
            answer = await self.clients[service].get(path, params=params, headers=self.headers[service])
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(service, f"GET {path}: {exc!r}") from exc
        if answer.status_code != 200:
            raise RegistryUnavailable(service, f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
        try:
            return answer.json()
        except ValueError as exc:
            raise RegistryUnavailable(service, f"GET {path} answered no JSON") from exc

    async def every(self, service: str, path: str, **filters: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list (``limit`` / ``cursor`` / ``next_cursor``), filtered."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": PAGE, **filters}
        while True:
            page = await self.get(service, path, **params)
            items += page["items"]
            if not page.get("next_cursor"):
                return items
            params["cursor"] = page["next_cursor"]


@contextlib.asynccontextmanager
async def _clients(urls: Mapping[str, str]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    async with contextlib.AsyncExitStack() as stack:
        yield {
            s: await stack.enter_async_context(httpx.AsyncClient(base_url=url.rstrip("/"), timeout=60))
            for s, url in urls.items()
        }


async def reconcile(
    urls: Mapping[str, str], *, secret: str, clients: Mapping[str, httpx.AsyncClient] | None = None
) -> Report:
    """Check every invariant of domain.md §3 across the registries at ``urls`` (keys: the service
    names of ``shared.settings.SERVICES``). ``clients`` replaces the HTTP clients (tests pass the
    in-process apps'). Raises :class:`RegistryUnavailable` when a registry is unreachable or errs."""
    missing = [s for s in OPERATOR if s not in (clients or urls)]
    if missing:
        raise RegistryUnavailable(missing[0], "no URL given")
    if clients is None:
        async with _clients({s: urls[s] for s in OPERATOR}) as made:
            return await _reconcile(_Registries(made, secret))
    return await _reconcile(_Registries(clients, secret))


async def _reconcile(reg: _Registries) -> Report:
    report = Report()
    await reg.get(REVIEW, "/readyz")  # holds no units: reachable is all it owes
    report.checked["events_in_flight"] = await _in_flight(reg)
    await _own_books(reg, report)
    await _lots(reg, report)
    new_cancellations = await reg.every(NEW, f"{API}/cancellations")
    legacy_cancellations = await reg.every(LEGACY, f"{API}/cancellations")
    syncs = await reg.every(NEW, f"{API}/legacy-syncs")
    requests = await reg.every(ALLOWANCE, f"{API}/offset-ccer-requests")
    first_period = await reg.every(ALLOWANCE, f"{API}/offset-registrations", kind="offset_ccer")
    report.checked |= {
        "new_cancellations": len(new_cancellations),
        "legacy_cancellations": len(legacy_cancellations),
        "legacy_syncs": len(syncs),
        "offset_ccer_requests": len(requests),
        "offset_ccer_registrations": len(first_period),
    }
    _cancelled_once(report, NEW, new_cancellations)
    _cancelled_once(report, LEGACY, legacy_cancellations)
    _synced_once(report, legacy_cancellations, syncs)
    _offset_once(report, syncs, requests)
    _registered_within_cancelled(report, legacy_cancellations, first_period)
    return report


async def _in_flight(reg: _Registries) -> int:
    """Events not yet published or being consumed: while any are, a discrepancy may be one in transit."""
    total = 0
    for service in OPERATOR:
        outbox = await reg.get(service, f"{API}/admin/outbox")
        total += outbox["pending"] + outbox.get("in_flight", 0)
    return total


async def _own_books(reg: _Registries, report: Report) -> None:
    """Each registry's reconciliation of its own books, each finding filed under its invariant."""
    for service in (NEW, LEGACY, ALLOWANCE):
        own = await reg.get(service, f"{API}/admin/reconciliation")
        for key, value in own.items():
            if key.endswith("_checked"):
                report.checked[f"{service}.{key.removesuffix('_checked')}"] = value
        for d in own["discrepancies"]:
            code = d["code"]
            invariant = next((inv for prefix, inv in _CODE_INVARIANT if code.startswith(prefix)), LOT_BALANCE)
            objects = {k: v for k, v in d.items() if k not in ("code", "message", "message_zh") and v}
            objects = {**objects.pop("objects", {}), **objects}
            report.discrepancies.append(Discrepancy(invariant, d["message"], objects, registry=service, code=code))


async def _lots(reg: _Registries, report: Report) -> None:
    """Invariant 4 across registries: each lot against its pending offset (or its refusal)."""
    lots = {lot["lot_id"]: lot for lot in await reg.every(NEW, f"{API}/offset-lots")}
    pending = {p["lot_id"]: p for p in await reg.every(ALLOWANCE, f"{API}/admin/reconciliation/lots")}
    report.checked |= {"lots": len(lots), "pending_offsets": len(pending)}
    for lot_id in sorted(set(lots) | set(pending)):
        lot, p = lots.get(lot_id), pending.get(lot_id)
        if lot is None:
            report.add(
                LOT_BALANCE, f"pending offset {lot_id} has no lot in the new registry", "LOT_UNKNOWN", lot_id=lot_id
            )
            continue
        if p is None:
            report.add(
                LOT_BALANCE,
                f"lot {lot_id} ({lot['quantity']} t) is neither pending nor refused in the allowance registry",
                "LOT_NOT_RECEIVED",
                lot_id=lot_id,
                quantity=lot["quantity"],
            )
            continue
        problems = _lot_problems(lot, p)
        if problems:
            report.add(
                LOT_BALANCE, f"lot {lot_id}: {'; '.join(problems)}", "LOT_PENDING_MISMATCH", **_lot_objects(lot, p)
            )


def _lot_problems(lot: dict[str, Any], p: dict[str, Any]) -> list[str]:
    if p["status"] == "refused":
        checks = [
            ("refused quantity", p["quantity"], lot["quantity"]),
            ("released of a refused lot", lot["released"], lot["quantity"]),
            ("cancelled of a refused lot", lot["cancelled"], 0),
        ]
    else:
        checks = [
            ("quantity", p["quantity"], lot["quantity"]),
            ("registered = cancelled", p["registered"], lot["cancelled"]),
            ("recalled = released", p["recalled"], lot["released"]),
            ("available + reserved = frozen", p["available"] + p["reserved"], lot["frozen"]),
        ]
    return [f"{what}: allowance registry {a} t, new registry {b} t" for what, a, b in checks if a != b]


def _lot_objects(lot: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    return {
        "lot_id": lot["lot_id"],
        "account_id": lot["account_id"],
        "allowance_account_id": lot["allowance_account_id"],
        "new_registry": {k: lot[k] for k in ("quantity", "frozen", "cancelled", "released")},
        "allowance_registry": {
            k: p[k] for k in ("status", "quantity", "available", "reserved", "registered", "recalled")
        },
    }


def _ranges(labels: Iterable[Iterable[str]]) -> list[SerialRange]:
    return [SerialRange.from_labels(*pair) for pair in labels]


def _overlapping(owned: Iterable[tuple[str, SerialRange]]) -> list[tuple[str, str, list[str]]]:
    """Pairs of owners whose ranges share units, with the shared range (a sweep per serial prefix)."""
    found = []
    by_prefix: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for owner, r in owned:
        by_prefix[r.prefix].append((r.first, r.last, owner))
    for prefix, spans in by_prefix.items():
        spans.sort()
        reach, holder = -1, ""
        for first, last, owner in spans:
            if first <= reach:
                shared = SerialRange(prefix, first, min(last, reach))
                found.append((holder, owner, list(shared.labels())))
            if last > reach:
                reach, holder = last, owner
    return found


def _cancelled_once(report: Report, service: str, records: list[dict[str, Any]]) -> None:
    """Invariant 2 within a registry: no unit in two cancellation records."""
    owned = [(c["id"], r) for c in records for r in _ranges(c["serial_ranges"])]
    for a, b, shared in _overlapping(owned):
        report.add(
            CANCELLED_ONCE,
            f"{service}: units {shared[0]}..{shared[1]} cancelled by both {a} and {b}",
            "UNITS_CANCELLED_TWICE",
            registry=service,
            cancellation_ids=[a, b],
            serial_range=shared,
        )


def _synced_once(report: Report, legacy: list[dict[str, Any]], syncs: list[dict[str, Any]]) -> None:
    """Invariant 3: no legacy unit synced in twice; per legacy cancellation, what the new registry
    received (added up over its parts: a record may be synced over several forms) is what the legacy
    registry counts as synced, and no more than was cancelled."""
    owned = [(s["id"], r) for s in syncs for item in s["items"] for r in _ranges(item["serial_ranges"])]
    for a, b, shared in _overlapping(owned):
        report.add(
            SYNCED_ONCE,
            f"legacy units {shared[0]}..{shared[1]} synced into the new registry by both {a} and {b}",
            "UNITS_SYNCED_TWICE",
            legacy_sync_ids=[a, b],
            serial_range=shared,
        )
    received: dict[str, int] = defaultdict(int)
    sync_ids: dict[str, list[str]] = defaultdict(list)
    for s in syncs:
        for item in s["items"]:
            received[item["cancellation_id"]] += item["quantity"]
            sync_ids[item["cancellation_id"]].append(s["id"])
    records = {c["id"]: c for c in legacy}
    for cancellation_id in sorted(set(received) | {c for c, r in records.items() if r["synced"]}):
        record, got = records.get(cancellation_id), received.get(cancellation_id, 0)
        objects = {"cancellation_id": cancellation_id, "legacy_sync_ids": sync_ids.get(cancellation_id, [])}
        if record is None:
            report.add(
                SYNCED_ONCE,
                f"{got} t synced in from legacy cancellation {cancellation_id}, unknown to the legacy registry",
                "SYNC_OF_UNKNOWN_CANCELLATION",
                received=got,
                **objects,
            )
        elif got > record["quantity"] or not record["synced"] <= got <= record["synced"] + record.get("in_transit", 0):
            # A form awaiting the new registry's answer is in transit: the new registry may have
            # received it (its acceptance still on its way) or not yet. A refused form counts nowhere.
            report.add(
                SYNCED_ONCE,
                f"legacy cancellation {cancellation_id}: {record['quantity']} t cancelled, {record['synced']} t "
                f"synced by the legacy registry ({record.get('in_transit', 0)} t in transit), {got} t received by "
                "the new registry",
                "SYNC_QUANTITY_MISMATCH",
                cancelled=record["quantity"],
                synced=record["synced"],
                in_transit=record.get("in_transit", 0),
                received=got,
                **objects,
            )


def _offset_once(report: Report, syncs: list[dict[str, Any]], requests: list[dict[str, Any]]) -> None:
    """Invariant 2 across the system: a legacy cancellation either generated first-period offset CCER
    in the allowance registry or was synced into the new registry, never both."""
    generated = {r["cancellation_id"]: r for r in requests if r["status"] != "rejected"}
    for s in syncs:
        for item in s["items"]:
            request = generated.get(item["cancellation_id"])
            if request is not None:
                report.add(
                    CANCELLED_ONCE,
                    f"legacy cancellation {item['cancellation_id']} both generated offset CCER "
                    f"({request['id']}, {request['status']}) and was synced into the new registry ({s['id']})",
                    "CANCELLATION_USED_TWICE",
                    cancellation_id=item["cancellation_id"],
                    offset_ccer_request_id=request["id"],
                    legacy_sync_id=s["id"],
                    quantity=item["quantity"],
                )


def _registered_within_cancelled(
    report: Report, legacy: list[dict[str, Any]], registrations: list[dict[str, Any]]
) -> None:
    """Invariant 2 for the first period: the offset registered from generated offset CCER (抵销配额清缴
    登记) never exceeds what the legacy registry cancelled in the record it was generated from."""
    records = {c["id"]: c for c in legacy}
    registered: dict[str, int] = defaultdict(int)
    ids: dict[str, list[str]] = defaultdict(list)
    for r in registrations:
        source = r.get("source") or {}
        cancellation_id = source.get("cancellation_id")
        if cancellation_id:
            registered[cancellation_id] += r["quantity"]
            ids[cancellation_id].append(r["registration_id"])
    for cancellation_id in sorted(registered):
        record, got = records.get(cancellation_id), registered[cancellation_id]
        objects = {"cancellation_id": cancellation_id, "registration_ids": ids[cancellation_id], "registered": got}
        if record is None:
            report.add(
                CANCELLED_ONCE,
                f"{got} t of offset registered from cancellation {cancellation_id}, unknown to the legacy registry",
                "OFFSET_REGISTERED_FROM_UNKNOWN_CANCELLATION",
                **objects,
            )
        elif got > record["quantity"]:
            report.add(
                CANCELLED_ONCE,
                f"cancellation {cancellation_id}: {record['quantity']} t cancelled, {got} t registered as offset",
                "OFFSET_REGISTERED_BEYOND_CANCELLED",
                cancelled=record["quantity"],
                **objects,
            )
