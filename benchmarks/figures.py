"""Pure arithmetic of the benchmark: percentiles, per-phase figures, totals and the issue's targets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Issue 10's targets, printed beside the figures (never asserted: the machine is shared and noisy).
TARGET_CPU_MS_PER_UNIT = 30.0
TARGET_EVENTS_RATIO = 0.05
TARGET_DRAIN_SHARE = 0.20
TARGET_HOP_P99_MS = 15.0
TARGET_RSS_MB = 150.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n × p / 100), at least 1
    return ordered[int(min(rank, len(ordered))) - 1]


@dataclass
class Phase:
    name: str
    wall_s: float = 0.0
    drain_s: float = 0.0
    calls: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    events: int = 0
    statements: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def drain_share(self) -> float:
        return self.drain_s / self.wall_s if self.wall_s else 0.0

    @property
    def events_per_s(self) -> float:
        return self.events / self.wall_s if self.wall_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("latencies_ms")
        d.update(
            p50_ms=percentile(self.latencies_ms, 50),
            p95_ms=percentile(self.latencies_ms, 95),
            drain_share=self.drain_share,
            events_per_s=self.events_per_s,
        )
        return d


@dataclass
class Totals:
    units: int
    wall_s: float
    events: int
    cpu_s: float
    publish_rate: float
    statements: int
    busiest_phase: str
    busiest_events_per_s: float
    max_drain_share: float
    hop_p50_ms: float
    hop_p99_ms: float
    rss_max_mb: float

    @property
    def units_per_s(self) -> float:
        return self.units / self.wall_s if self.wall_s else 0.0

    @property
    def events_per_s(self) -> float:
        return self.events / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_unit(self) -> float:
        return 1000 * self.cpu_s / self.units if self.units else 0.0

    @property
    def statements_per_unit(self) -> float:
        return self.statements / self.units if self.units else 0.0

    @property
    def busiest_ratio(self) -> float:
        return self.busiest_events_per_s / self.publish_rate if self.publish_rate else 0.0

    def targets(self) -> list[tuple[str, str, bool]]:
        """(figure, target, met) for each of the issue's targets this run can judge on its own."""
        return [
            (
                f"service CPU {self.cpu_ms_per_unit:.1f} ms/unit",
                f"≤ {TARGET_CPU_MS_PER_UNIT:g}",
                self.cpu_ms_per_unit <= TARGET_CPU_MS_PER_UNIT,
            ),
            (
                f"busiest phase ({self.busiest_phase}) {self.busiest_ratio:.3f} × publish rate",
                f"≥ {TARGET_EVENTS_RATIO:g}",
                self.busiest_ratio >= TARGET_EVENTS_RATIO,
            ),
            (
                f"drain ≤ {self.max_drain_share:.0%} of each phase",
                f"≤ {TARGET_DRAIN_SHARE:.0%}",
                self.max_drain_share <= TARGET_DRAIN_SHARE,
            ),
            (f"hop p99 {self.hop_p99_ms:.1f} ms", f"≤ {TARGET_HOP_P99_MS:g}", self.hop_p99_ms <= TARGET_HOP_P99_MS),
            (f"RSS max {self.rss_max_mb:.0f} MB", f"≤ {TARGET_RSS_MB:g}", self.rss_max_mb <= TARGET_RSS_MB),
        ]

    def summary(self, db: str, replicas: int) -> str:
        return (
            f"bench units={self.units} db={db} replicas={replicas}: {self.units_per_s:.1f} units/s, "
            f"{self.events_per_s:.0f} events/s, {self.cpu_ms_per_unit:.1f} ms CPU/unit, "
            f"{self.statements_per_unit:.0f} statements/unit, "
            f"busiest {self.busiest_events_per_s:.0f} events/s = {self.busiest_ratio:.3f} × publish "
            f"({self.publish_rate:.0f} msg/s), drain max {self.max_drain_share:.0%}, "
            f"hop p50/p99 {self.hop_p50_ms:.1f}/{self.hop_p99_ms:.1f} ms, RSS max {self.rss_max_mb:.0f} MB"
        )


def totals(
    units: int,
    phases: list[Phase],
    publish_rate: float,
    hop_ms: list[float],
    rss_mb: list[float],
    counted: tuple[str, ...],
) -> Totals:
    """``counted``: the phases of the cycle proper (set-up and verification excluded)."""
    cycle = [p for p in phases if p.name in counted]
    busiest = max(cycle, key=lambda p: p.events_per_s) if cycle else Phase("none")
    return Totals(
        units=units,
        wall_s=sum(p.wall_s for p in cycle),
        events=sum(p.events for p in cycle),
        cpu_s=sum(sum(p.cpu_s.values()) for p in cycle),
        publish_rate=publish_rate,
        statements=sum(p.statements for p in cycle),
        busiest_phase=busiest.name,
        busiest_events_per_s=busiest.events_per_s,
        max_drain_share=max((p.drain_share for p in cycle), default=0.0),
        hop_p50_ms=percentile(hop_ms, 50),
        hop_p99_ms=percentile(hop_ms, 99),
        rss_max_mb=max(rss_mb, default=0.0),
    )
