"""Legacy CCER synced into the new registry (domain.md §6.1 steps 5-6, seed 000 §一 第三步/第四步):
what an approved sync application brings in, its states, and each legacy unit's record date.

Pure: the checks return findings with stable codes; the service layer decides what they mean. An
approved sync is a request: what a person typed on the form (the new account, the unit name) is
checked by :func:`request_findings`, and a part of a cancellation record whose serials came in
already or which would bring in more than was cancelled by :func:`part_findings`; either refuses the
request by event. A record may be synced in parts over several forms: invariant 3 (a legacy
cancellation synced in at most once) holds per serial. What the legacy registry computed itself
(serials, record dates, quantities) is checked by :func:`sync_in_blocks` and, when wrong, is an
inconsistent event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.findings import Finding
from shared.names import normalise_name, same_name
from shared.serials import SerialRange, merge_ranges, overlaps, total

__all__ = [
    "SYNC_CONFLICT_CODES",
    "AccountFacts",
    "SyncBlock",
    "SyncLine",
    "SyncStatus",
    "SyncedPart",
    "legacy_vintage",
    "part_findings",
    "parts_discrepancies",
    "recorded_ranges",
    "request_findings",
    "sync_in_blocks",
    "sync_not_awaiting",
    "synced_of_own_cancellation",
]


class SyncStatus(StrEnum):
    """awaiting_confirmation — 待确认; confirmed — 已确认（可用）; disputed — 有异议（待注登机构处理）"""

    awaiting_confirmation = "awaiting_confirmation"
    confirmed = "confirmed"
    disputed = "disputed"


SYNC_CONFLICT_CODES = frozenset({"SYNC_NOT_AWAITING_CONFIRMATION"})


@dataclass(frozen=True)
class SyncLine:
    """One item of an approved sync application: a legacy cancellation and its units."""

    cancellation_id: str
    project_number: str
    quantity: int
    serial_ranges: Sequence[tuple[str, str]]
    units_recorded_at: date | None
    # Each range with its own record date, when the legacy registry sends them.
    recorded: Sequence[tuple[str, str, date]] | None
    # The cancellation's whole quantity (the line may sync a part of it), when the legacy registry sends it.
    cancellation_quantity: int | None = None


@dataclass(frozen=True)
class SyncedPart:
    """A part of a legacy cancellation synced in already: the sync that brought it, its quantity and
    the cancellation's whole quantity as that sync told it (None when not told)."""

    sync_id: str
    quantity: int
    cancellation_quantity: int | None


@dataclass(frozen=True)
class SyncBlock:
    """Legacy units received as one block: one range, one record date, one cancellation."""

    cancellation_id: str
    project_number: str
    vintage: int
    range: SerialRange
    units_recorded_at: date | None


def _f(code: str, message: str, message_zh: str) -> Finding:
    return Finding(code=code, message=message, message_zh=message_zh)


@dataclass(frozen=True)
class AccountFacts:
    """What the request's checks need of the account the form names."""

    holder_uscc: str
    holder_name: str


def request_findings(
    *,
    new_account_id: str,
    account: AccountFacts | None,
    holder_uscc: str,
    unit_name: str | None,
) -> list[Finding]:
    """Every reason the new registry refuses a sync request as the form was written: the named
    account must exist and be held by the form's unit (USCC, then name: width and spacing aside,
    ``shared.names``)."""
    findings = []
    if account is None or account.holder_uscc != holder_uscc:
        # One code for "unknown" and "another unit's": the refusal does not tell who holds an account.
        findings.append(
            _f(
                "SYNC_ACCOUNT_MISMATCH",
                f"new registry account {new_account_id} is unknown or not held by the unit {holder_uscc}",
                f"新CCER注登系统账户 {new_account_id} 不存在或不属于统一社会信用代码为 {holder_uscc} 的单位",
            )
        )
    elif unit_name is not None and not same_name(unit_name, account.holder_name):
        findings.append(
            _f(
                "SYNC_UNIT_NAME_MISMATCH",
                f"the form's unit name {normalise_name(unit_name)!r} is not the holder of account "
                f"{new_account_id} ({account.holder_name!r})",
                f"申请表中的单位名称「{normalise_name(unit_name)}」与新CCER注登系统账户 {new_account_id} "
                f"的持有人名称「{account.holder_name}」不一致",
            )
        )
    return findings


def synced_of_own_cancellation(
    blocks: Sequence[SyncBlock], here: Sequence[tuple[SerialRange, str | None, str | None]]
) -> dict[str, list[tuple[SerialRange, str]]]:
    """Per cancellation, the serials of its blocks an earlier part of the same cancellation brought in
    (``here``: ranges already in the registry sharing a serial with the blocks, each with the
    cancellation and the sync it came in by, None for units issued here), each with that sync."""
    own: dict[str, list[tuple[SerialRange, str]]] = {}
    for b in blocks:
        for r, c, s in here:
            if c == b.cancellation_id and s is not None and r.prefix == b.range.prefix:
                first, last = max(r.first, b.range.first), min(r.last, b.range.last)
                if first <= last:
                    own.setdefault(c, []).append((SerialRange(r.prefix, first, last), s))
    return own


def part_findings(
    lines: Sequence[SyncLine],
    earlier: Mapping[str, Sequence[SyncedPart]],
    here: Mapping[str, Sequence[tuple[SerialRange, str]]],
) -> list[Finding]:
    """Every reason a line, as a part of its legacy cancellation, cannot come in: serials of that
    cancellation synced in already (``here``: cancellation id -> its ranges already in this registry
    that share a serial with the line, each with its sync), or parts adding up to more than the
    cancellation's quantity (``earlier``: cancellation id -> its parts synced in already; the limit
    is the smallest whole quantity any part told, none when no part told one). A part whose serials
    are new and within the quantity is accepted however many parts came before."""
    findings = []
    for line in lines:
        c = line.cancellation_id
        taken = here.get(c, [])
        if taken:
            ranges = merge_ranges(r for r, _ in taken)
            syncs = ", ".join(sorted({s for _, s in taken}))
            findings.append(
                _f(
                    "SYNC_CANCELLATION_ALREADY_SYNCED",
                    f"serials {[r.labels() for r in ranges]} of legacy cancellation {c} were synced in already "
                    f"(sync {syncs}); a serial is synced once",
                    f"旧CCER注销记录 {c} 的序列号 {[r.labels() for r in ranges]} 已同步（同步 {syncs}），"
                    "同一序列号只能同步一次",
                )
            )
        parts = earlier.get(c, [])
        told = [q for q in [line.cancellation_quantity, *(p.cancellation_quantity for p in parts)] if q is not None]
        before = sum(p.quantity for p in parts)
        if told and before + line.quantity > min(told):
            findings.append(
                _f(
                    "SYNC_CANCELLATION_QUANTITY_EXCEEDED",
                    f"legacy cancellation {c}: {min(told)} t cancelled, {before} t synced in already, "
                    f"{line.quantity} t more would exceed it",
                    f"旧CCER注销记录 {c}：注销 {min(told)} 吨，已同步 {before} 吨，再同步 {line.quantity} 吨将超出注销量",
                )
            )
    return findings


def parts_discrepancies(
    parts: Mapping[str, Sequence[SyncedPart]], received: Mapping[tuple[str, str], int]
) -> list[Finding]:
    """Reconciliation of the parts of legacy cancellations (``parts``: cancellation id -> its parts)
    against the units each sync brought in of each (``received``: (cancellation id, sync id)
    -> units): every part brought in exactly its quantity, no units came in of a cancellation without
    a part, and the parts of a cancellation add up to no more than its smallest told quantity."""
    findings = []
    known = {(c, p.sync_id) for c, rows in parts.items() for p in rows}
    for c, rows in sorted(parts.items()):
        for part in rows:
            s = part.sync_id
            got = received.get((c, s), 0)
            if got != part.quantity:
                findings.append(
                    _f(
                        "LEGACY_SYNC_PART_MISMATCH",
                        f"legacy cancellation {c}, sync {s}: a part of {part.quantity} t, {got} t synced in",
                        f"旧CCER注销记录 {c}（同步 {s}）：同步部分 {part.quantity} 吨，实际同步 {got} 吨",
                    )
                )
        told = [p.cancellation_quantity for p in rows if p.cancellation_quantity is not None]
        synced = sum(p.quantity for p in rows)
        if told and synced > min(told):
            findings.append(
                _f(
                    "LEGACY_CANCELLATION_OVERSYNCED",
                    f"legacy cancellation {c}: {min(told)} t cancelled, {synced} t synced in over {len(rows)} parts",
                    f"旧CCER注销记录 {c}：注销 {min(told)} 吨，分 {len(rows)} 次同步共 {synced} 吨",
                )
            )
    findings += [
        _f(
            "LEGACY_SYNC_PART_MISMATCH",
            f"legacy cancellation {c}, sync {s}: {n} t synced in without a recorded part",
            f"旧CCER注销记录 {c}（同步 {s}）：同步 {n} 吨，但无同步部分记录",
        )
        for (c, s), n in sorted(received.items())
        if (c, s) not in known
    ]
    return findings


def legacy_vintage(project_number: str, prefix: str) -> int | None:
    """The vintage of a legacy serial prefix ``VER-{project_number}-{vintage}``; None when the prefix
    is not one of that project's."""
    head = f"VER-{project_number}-"
    rest = prefix[len(head) :] if prefix.startswith(head) else ""
    return int(rest) if rest.isdigit() and len(rest) == 4 else None


def _parse(pairs: Sequence[tuple[str, str]]) -> list[SerialRange] | None:
    try:
        return [SerialRange.from_labels(first, last) for first, last in pairs]
    except ValueError:
        return None


def _line_blocks(line: SyncLine) -> tuple[list[SyncBlock], list[Finding]]:
    c = line.cancellation_id
    ranges = _parse(line.serial_ranges)
    if not ranges:
        return [], [
            _f("SYNC_SERIALS_INVALID", f"cancellation {c}: no valid serial ranges", f"注销记录 {c}：序列号区间无效")
        ]
    findings = []
    if total(ranges) != line.quantity:
        findings.append(
            _f(
                "SYNC_QUANTITY_MISMATCH",
                f"cancellation {c}: quantity {line.quantity} t, serial ranges {total(ranges)} t",
                f"注销记录 {c}：数量 {line.quantity} 吨，序列号区间 {total(ranges)} 吨",
            )
        )
    dated: list[tuple[SerialRange, date | None]] = [(r, line.units_recorded_at) for r in ranges]
    if line.recorded is not None:
        recorded = _parse([(a, b) for a, b, _ in line.recorded])
        if recorded is None or overlaps(recorded) or merge_ranges(recorded) != merge_ranges(ranges):
            findings.append(
                _f(
                    "SYNC_RECORDED_RANGES_MISMATCH",
                    f"cancellation {c}: the recorded ranges do not cover exactly its serial ranges",
                    f"注销记录 {c}：备案区间与序列号区间不一致",
                )
            )
        else:
            dated = [(r, d) for r, (_, _, d) in zip(recorded, line.recorded, strict=True)]
    blocks = []
    for rng, recorded_at in dated:
        vintage = legacy_vintage(line.project_number, rng.prefix)
        if vintage is None:
            findings.append(
                _f(
                    "SYNC_SERIALS_NOT_OF_PROJECT",
                    f"cancellation {c}: {rng.labels()[0]} is not a legacy serial of project {line.project_number}",
                    f"注销记录 {c}：{rng.labels()[0]} 不是项目 {line.project_number} 的旧CCER序列号",
                )
            )
        else:
            blocks.append(SyncBlock(c, line.project_number, vintage, rng, recorded_at))
    return blocks, findings


def sync_in_blocks(lines: Sequence[SyncLine]) -> tuple[list[SyncBlock], list[Finding]]:
    """The blocks an approved sync brings in, lowest serials first, and every reason it cannot
    (an empty list of findings when it can)."""
    blocks: list[SyncBlock] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    for line in lines:
        if line.cancellation_id in seen:
            findings.append(
                _f(
                    "SYNC_CANCELLATION_TWICE",
                    f"cancellation {line.cancellation_id} appears twice in the sync",
                    f"注销记录 {line.cancellation_id} 在同步申请中出现两次",
                )
            )
        seen.add(line.cancellation_id)
        more, why = _line_blocks(line)
        blocks += more
        findings += why
    twice = overlaps(b.range for b in blocks)
    if twice:
        findings.append(
            _f(
                "SYNC_RANGES_OVERLAP",
                f"serial ranges overlap within the sync: {[r.labels() for r in twice]}",
                f"同步申请内序列号区间重叠：{[r.labels() for r in twice]}",
            )
        )
    return sorted(blocks, key=lambda b: (b.vintage, b.range)), findings


def recorded_ranges(
    moved: Sequence[SerialRange], sources: Sequence[tuple[SerialRange, date | None]]
) -> list[tuple[SerialRange, date | None]]:
    """Each moved range with the record date of the block it came from (a moved range always lies
    within one source block), lowest first; adjacent ranges of one date joined."""
    out: list[tuple[SerialRange, date | None]] = []
    for rng in sorted(moved):
        when = next(
            (d for src, d in sources if src.prefix == rng.prefix and src.first <= rng.first and rng.last <= src.last),
            None,
        )
        if out and out[-1][1] == when and out[-1][0].prefix == rng.prefix and out[-1][0].last + 1 == rng.first:
            out[-1] = (SerialRange(rng.prefix, out[-1][0].first, rng.last), when)
        else:
            out.append((rng, when))
    return out


def sync_not_awaiting(sync_id: str, status: str) -> Finding:
    return _f(
        "SYNC_NOT_AWAITING_CONFIRMATION",
        f"legacy sync {sync_id} is {status}; only a sync awaiting confirmation may be confirmed or disputed",
        f"旧有CCER同步 {sync_id} 状态为 {status}，仅待确认的同步可确认或提出异议",
    )
