"""Reconciliation rules of the legacy registry (domain.md §3): pure, no I/O.

- Invariant 1 (per serial prefix, i.e. project and vintage): the blocks of every state are disjoint
  and cover exactly the issued ranges — ``shared.serials.coverage_discrepancies``.
- Invariant 2: a cancelled unit belongs to exactly one cancellation record, and each record's
  cancelled blocks add up to its quantity and are exactly its serial ranges.
- Invariant 3: a record is never synced beyond its quantity, its quantity in transit (approved,
  awaiting the new registry's answer) is part of what is claimed, and no unit is on two forms sent
  to the new registry (awaiting its answer or synced; a refused form holds none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.serials import SerialRange, merge_ranges, overlaps, total

__all__ = ["RecordFacts", "RecordProblem", "record_problems", "sync_overlaps"]


@dataclass(frozen=True)
class RecordFacts:
    cancellation_id: str
    quantity: int
    synced: int
    claimed: int
    record_ranges: tuple[SerialRange, ...]
    cancelled_blocks: tuple[SerialRange, ...]
    in_transit: int = 0


@dataclass(frozen=True)
class RecordProblem:
    code: str
    message: str
    message_zh: str
    cancellation_id: str | None
    ranges: tuple[SerialRange, ...] = ()


def record_problems(record: RecordFacts) -> list[RecordProblem]:
    """Every way one cancellation record disagrees with its blocks and its sync claims."""
    found = []
    held = total(record.cancelled_blocks)
    if held != record.quantity or merge_ranges(record.cancelled_blocks) != merge_ranges(record.record_ranges):
        found.append(
            RecordProblem(
                "CANCELLATION_BLOCKS_MISMATCH",
                f"cancellation {record.cancellation_id}: {record.quantity} t on record, {held} t in cancelled blocks",
                f"注销记录 {record.cancellation_id}：记录 {record.quantity} 吨，注销持仓 {held} 吨",
                record.cancellation_id,
                tuple(record.cancelled_blocks),
            )
        )
    if record.synced < 0 or record.claimed < 0 or record.synced + record.claimed > record.quantity:
        found.append(
            RecordProblem(
                "CANCELLATION_OVERSYNCED",
                f"cancellation {record.cancellation_id}: synced {record.synced} + claimed {record.claimed} "
                f"> {record.quantity} t",
                f"注销记录 {record.cancellation_id}：已同步 {record.synced} + 申请中 {record.claimed} 超过 {record.quantity} 吨",
                record.cancellation_id,
            )
        )
    if record.in_transit < 0 or record.in_transit > record.claimed:
        found.append(
            RecordProblem(
                "CANCELLATION_OVERSYNCED",
                f"cancellation {record.cancellation_id}: {record.in_transit} t in transit to the new registry, "
                f"{record.claimed} t claimed",
                f"注销记录 {record.cancellation_id}：待新注登系统接收 {record.in_transit} 吨，超过申请中 {record.claimed} 吨",
                record.cancellation_id,
            )
        )
    return found


def sync_overlaps(synced: Iterable[Sequence[SerialRange]]) -> list[RecordProblem]:
    """Units named by more than one form sent to the new registry (invariant 3)."""
    twice = overlaps([r for ranges in synced for r in ranges])
    if not twice:
        return []
    return [
        RecordProblem(
            "UNITS_SYNCED_TWICE",
            "units were synced into the new registry more than once",
            "同一减排量被多次同步至新注登系统",
            None,
            tuple(twice),
        )
    ]
